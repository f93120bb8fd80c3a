"""The project's own pages: the staff second factor (verify, set up) and the health check."""

from __future__ import annotations

from base64 import b32encode
from io import BytesIO
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from kindnet.health import health_report
from kindnet.second_factor import second_factor_device

DEVICE_NAME = "Authenticator app"


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Six-digit code"),
        min_length=6,
        max_length=8,
        help_text=gettext_lazy("The code your authenticator app shows now for Kindnet."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def __init__(self, *args, device: TOTPDevice, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        allowed, _details = self.device.verify_is_allowed()
        if not allowed:
            raise forms.ValidationError(
                _("Too many wrong codes: wait a few seconds before the next try.")
            )
        if not self.device.verify_token(code):
            raise forms.ValidationError(_("This code is not valid. Check your app and try again."))
        return code


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return "/admin/"


def _page(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    return render(
        request,
        template,
        {
            **admin.site.each_context(request),
            "is_nav_sidebar_enabled": False,
            "next": _next_url(request),
            **context,
        },
    )


@never_cache
@login_required(login_url="admin:login")
@require_http_methods(["GET", "POST"])
def second_factor_verify(request: HttpRequest) -> HttpResponse:
    """The code of the user's authenticator, after the password."""
    device = second_factor_device(request.user)
    if device is None:
        return redirect(f"{_setup_url()}?{urlencode({'next': _next_url(request)})}")
    form = CodeForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        otp_login(request, device)
        return redirect(_next_url(request))
    return _page(
        request,
        "kindnet/second_factor_verify.html",
        {"form": form, "title": _("Second factor")},
    )


@never_cache
@login_required(login_url="admin:login")
@require_http_methods(["GET", "POST"])
def second_factor_setup(request: HttpRequest) -> HttpResponse:
    """A new authenticator: QR code and secret, confirmed by one code it shows."""
    if second_factor_device(request.user) is not None and not request.user.is_verified():
        return redirect(f"{_verify_url()}?{urlencode({'next': _next_url(request)})}")
    # One unconfirmed device per user, kept until confirmed, so reloading shows the same QR.
    device = (
        TOTPDevice.objects.devices_for_user(request.user, confirmed=False)
        .filter(name=DEVICE_NAME)
        .first()
    ) or TOTPDevice.objects.create(user=request.user, name=DEVICE_NAME, confirmed=False)
    form = CodeForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        # A new authenticator replaces the old one.
        TOTPDevice.objects.filter(user=request.user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        otp_login(request, device)
        return redirect(_next_url(request))
    return _page(
        request,
        "kindnet/second_factor_setup.html",
        {
            "form": form,
            "title": _("Set up your second factor"),
            "qr_svg": _qr_svg(device.config_url),
            "secret": _secret(device),
        },
    )


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    # Inline SVG (no XML prolog): an image the CSP allows without data: URLs or a route.
    return mark_safe(svg[svg.index("<svg") :])


def _secret(device: TOTPDevice) -> str:
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _setup_url() -> str:
    return reverse("second_factor_setup")


def _verify_url() -> str:
    return reverse("second_factor_verify")


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """`{"status": "ok"}` or `"degraded"`/`"down"` for anyone; each check's details for staff.

    503 only when the database is down (the site cannot work); a dead cache or a late
    queue is `degraded` with 200, so a load balancer keeps the web processes in service.
    """
    report = health_report()
    body: dict = {"status": report.status}
    if request.user.is_authenticated and request.user.is_staff:
        body["checks"] = report.checks
    return JsonResponse(body, status=503 if report.status == "down" else 200)
