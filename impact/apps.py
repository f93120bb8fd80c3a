from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImpactConfig(AppConfig):
    """Programmes, their deliveries at members, measured change, the impact report and the
    rules of recognitions."""

    name = "impact"
    verbose_name = _("Impact")

    def ready(self) -> None:
        from impact import receivers  # noqa: F401  (connects them)
