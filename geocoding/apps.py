from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeocodingConfig(AppConfig):
    """Coordinates for every member: providers, shared rate limit, cache, gazetteer, tasks."""

    name = "geocoding"
    verbose_name = _("Geocoding")
