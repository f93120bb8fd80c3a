from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    """Activities logged on members, follow-ups with a due date, the member's timeline."""

    name = "activities"
    verbose_name = _("Activities and follow-ups")
