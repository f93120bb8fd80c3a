from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeocodingConfig(AppConfig):
    """Coordinates for every member: providers, shared rate limit, cache, gazetteer, tasks."""

    name = "geocoding"
    verbose_name = _("Geocoding")

    def ready(self) -> None:
        # Registers the system checks; connects the receiver of crm.signals.members_moved.
        from geocoding import checks, receivers  # noqa: F401
