"""Throttles of the public map feed; counts live in the configured cache (CACHE_URL)."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle


class MapRateThrottle(AnonRateThrottle):
    """A generous per-address limit on the public map (MAP_THROTTLE_RATE, e.g. 600/minute)."""

    scope = "map"

    def get_rate(self) -> str:
        # Read at request time, not import time, so the setting can change in tests.
        return settings.MAP_THROTTLE_RATE
