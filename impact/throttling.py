"""The throttle of the public impact endpoints; counts live in the configured cache."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle

from crm.shared_cache import CacheUnavailable, cache_call


class ImpactRateThrottle(AnonRateThrottle):
    """A per-address limit (IMPACT_THROTTLE_RATE). Fails open when the cache is down: the
    figures are public and read-only, and refusing them would take the page's line down."""

    scope = "impact"

    def get_rate(self) -> str:
        return settings.IMPACT_THROTTLE_RATE

    def allow_request(self, request, view) -> bool:
        try:
            return cache_call(
                lambda: super(ImpactRateThrottle, self).allow_request(request, view),
                what="impact throttle",
            )
        except CacheUnavailable:
            return True
