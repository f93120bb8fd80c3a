"""Throttles of the public map feed; counts live in the configured cache (CACHE_URL)."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle

from crm.shared_cache import CacheUnavailable, cache_call


class MapRateThrottle(AnonRateThrottle):
    """A generous per-address limit on the public map (MAP_THROTTLE_RATE, e.g. 600/minute)."""

    scope = "map"

    def get_rate(self) -> str:
        # Read at request time, not import time, so the setting can change in tests.
        return settings.MAP_THROTTLE_RATE

    def allow_request(self, request, view) -> bool:
        # Fails open: the feed is public and read-only, and with the cache down it is
        # still answered (built per request); refusing it would take the map down.
        try:
            return cache_call(
                lambda: super(MapRateThrottle, self).allow_request(request, view),
                what="map throttle",
            )
        except CacheUnavailable:
            return True
