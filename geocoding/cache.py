"""The result cache: one row per normalised query, in the database (shared, durable)."""

from __future__ import annotations

from collections.abc import Iterable

from geocoding.models import GeocodeCacheEntry
from geocoding.result import GeocodeQuery, GeocodeResult


def geocode_cache_get_many(*, keys: Iterable[str]) -> dict[str, GeocodeResult]:
    """Cached results of `keys`, in one query."""
    keys = list(keys)
    if not keys:
        return {}
    entries = GeocodeCacheEntry.objects.filter(key__in=keys)
    return {
        entry.key: GeocodeResult(entry.latitude, entry.longitude, entry.precision, entry.provider)
        for entry in entries
    }


def geocode_cache_put(*, query: GeocodeQuery, result: GeocodeResult) -> None:
    """Remember `result` for `query`; a concurrent worker's equal answer wins silently."""
    GeocodeCacheEntry.objects.bulk_create(
        [
            GeocodeCacheEntry(
                key=query.key,
                query=query.normalized[:600],
                latitude=result.lat,
                longitude=result.lon,
                precision=result.precision,
                provider=result.provider,
            )
        ],
        ignore_conflicts=True,
    )
