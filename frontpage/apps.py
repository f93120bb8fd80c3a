from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FrontPageConfig(AppConfig):
    """The network's shop window at `/`: live figures, a map preview, the way to join."""

    name = "frontpage"
    verbose_name = _("Front page")
