"""Who must prove a second factor (TOTP) after the password, and the gate that asks.

STAFF_SECOND_FACTOR says who must have one:
- `privileged` (default): superusers and whoever may process people's data (the
  permission `crm.process_personal_data`: the data protection officer, network admins);
- `all-staff`: every staff account;
- `optional`: nobody must, anyone may.

Whoever has a confirmed device must prove it at every login, required or not. Until
then a staff session counts for nothing: the admin and the staff pages lead to the
second-factor page (set-up with a QR code when there is no device yet, so nobody is
locked out), and everywhere else the request is anonymous (the API answers 401/403).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

DATA_PROTECTION_GROUP = "Data protection officer"
SECOND_FACTOR_POLICIES = ("privileged", "all-staff", "optional")
#: What the half-logged-in are sent to the second-factor page from (the rest is anonymous).
STAFF_PATH_PREFIXES = ("/admin/", "/staff/")


def second_factor_required(user) -> bool:
    """Whether this account may not use staff pages without a second factor."""
    if not (user.is_authenticated and user.is_staff):
        return False
    policy = settings.STAFF_SECOND_FACTOR
    if policy == "all-staff":
        return True
    if policy == "privileged":
        # On the power, not the group's name: whoever may export or erase people (the
        # data protection officer and the network admins) proves a second factor.
        return user.is_superuser or user.has_perm("crm.process_personal_data")
    return False


def second_factor_device(user) -> TOTPDevice | None:
    """The user's confirmed authenticator, if any."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def second_factor_pending(request: HttpRequest) -> str | None:
    """`verify` or `setup` when this staff session still owes its second factor, else None."""
    user = request.user
    if not (user.is_authenticated and user.is_staff) or user.is_verified():
        return None
    if second_factor_device(user) is not None:
        return "verify"
    return "setup" if second_factor_required(user) else None


class SecondFactorMiddleware:
    """After django-otp's OTPMiddleware: holds a staff session until its second factor."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self._exempt(request.path):
            pending = second_factor_pending(request)
            if pending is not None:
                if request.path.startswith(STAFF_PATH_PREFIXES):
                    url = reverse(f"second_factor_{pending}")
                    return HttpResponseRedirect(f"{url}?{urlencode({'next': request.path})}")
                request.user = AnonymousUser()
        return self.get_response(request)

    @staticmethod
    def _exempt(path: str) -> bool:
        return path.startswith(
            (reverse("second_factor_verify"), reverse("admin:logout"), "/" + settings.STATIC_URL)
        )
