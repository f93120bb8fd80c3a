"""Technical records in the admin (API tokens, background task results, login attempts and
lockouts, second-factor devices): superusers only, hidden from other staff whatever their
permissions say, in the index, the nav sidebar and by URL.

A token is a password: a staff member who could read the superuser's token would act
as the superuser through the API. Task results hold internal arguments and errors; login
records hold addresses; a second-factor device holds its secret.
The libraries register their admins first (they come before `kindnet` in
INSTALLED_APPS); here each one is registered again behind a superuser check.
"""

from __future__ import annotations

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tasks_db.models import DBTaskResult
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

TECHNICAL_MODELS: tuple[type[models.Model], ...] = (
    TokenProxy,
    DBTaskResult,
    AccessAttempt,
    AccessFailureLog,
    AccessLog,
    TOTPDevice,
)


def _superuser(request: HttpRequest) -> bool:
    return request.user.is_active and request.user.is_superuser


class SuperusersOnlyAdmin:
    """Whatever the groups and permissions say, only superusers see or touch these rows."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _superuser(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return _superuser(request)

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return _superuser(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return _superuser(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return _superuser(request) and super().has_delete_permission(request, obj)


def _token_label(token: TokenProxy) -> str:
    return _("Token of %(user)s") % {"user": token.user}


# DRF's token names itself by its key, which the admin would print in titles, breadcrumbs
# and its log (LogEntry.object_repr). The admin's proxy is named after its owner instead.
TokenProxy.__str__ = _token_label


class TokenShownOnceAdmin(SuperusersOnlyAdmin, TokenAdmin):
    """A token is shown once, in the message that follows its creation, and never again:
    not in the list, not on its page (where only its owner and date are). A lost token is
    deleted and replaced. See docs/decisions.md (Roles and people's data)."""

    list_display = ("user", "created")
    readonly_fields = ("created",)

    def get_fields(self, request, obj=None):
        return ("user",) if obj is None else ("user", "created")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("user", "created")

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            self.message_user(
                request,
                _("The token of %(user)s is %(key)s. Copy it now: it will not be shown again.")
                % {"user": obj.user, "key": obj.key},
                messages.WARNING,
            )


for _model in TECHNICAL_MODELS:
    _registered = admin.site._registry.get(_model)
    if _registered is not None:
        admin.site.unregister(_model)
        _base = type(_registered)
        if _model is TokenProxy:
            admin.site.register(_model, TokenShownOnceAdmin)
        else:
            admin.site.register(
                _model, type(f"SuperusersOnly{_base.__name__}", (SuperusersOnlyAdmin, _base), {})
            )
