"""The result cache: one row per normalised query, in the database (shared, durable).

Negative answers ("no such place", "ambiguous") are kept too, for
GEOCODER_NEGATIVE_CACHE_SECONDS, so members in an unknown place cost one call, not one each.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from geocoding.models import GeocodeCacheEntry
from geocoding.result import GeocodeQuery, GeocodeResult


@dataclass(frozen=True)
class CachedMiss:
    """A remembered negative answer, with the message staff read."""

    error: str
    ambiguous: bool = False


def geocode_cache_get_many(*, keys: Iterable[str]) -> dict[str, GeocodeResult | CachedMiss]:
    """Cached answers of `keys` (expired negative ones left out), in one query."""
    keys = list(keys)
    if not keys:
        return {}
    entries = GeocodeCacheEntry.objects.filter(key__in=keys).filter(
        Q(found=True) | Q(expires_at__gt=timezone.now())
    )
    answers: dict[str, GeocodeResult | CachedMiss] = {}
    for entry in entries:
        if entry.found:
            answers[entry.key] = GeocodeResult(
                entry.latitude, entry.longitude, entry.precision, entry.provider
            )
        else:
            answers[entry.key] = CachedMiss(entry.error, entry.ambiguous)
    return answers


def _put(query: GeocodeQuery, **values) -> None:
    GeocodeCacheEntry.objects.bulk_create(
        [GeocodeCacheEntry(key=query.key, query=query.normalized[:600], **values)],
        update_conflicts=True,
        unique_fields=["key"],
        update_fields=[*values, "query"],
    )


def geocode_cache_put(*, query: GeocodeQuery, result: GeocodeResult) -> None:
    """Remember `result` for `query` (replacing an expired negative answer)."""
    _put(
        query,
        latitude=result.lat,
        longitude=result.lon,
        precision=result.precision,
        provider=result.provider,
        found=True,
        ambiguous=False,
        error="",
        expires_at=None,
    )


def geocode_cache_put_miss(*, query: GeocodeQuery, error: str, ambiguous: bool) -> None:
    """Remember that `query` has no single answer, for GEOCODER_NEGATIVE_CACHE_SECONDS."""
    seconds = settings.GEOCODER_NEGATIVE_CACHE_SECONDS
    if seconds <= 0:
        return
    _put(
        query,
        latitude=None,
        longitude=None,
        precision="",
        provider="",
        found=False,
        ambiguous=ambiguous,
        error=error[:300],
        expires_at=timezone.now() + datetime.timedelta(seconds=seconds),
    )
