"""The version of the public impact figures: their cached answer is keyed by it.

The same rule as the map feed's (`publicmap.cache`, see its docstring): the version
lives in the default cache when every process shares it (Redis, …), else in one row
of `ImpactVersion` (one primary-key SELECT per request). It is bumped when programmes,
deliveries, measurements or members change (`impact.receivers`), so an answer is never
served after the figures it shows have changed. When the shared cache is down, reading
raises `CacheUnavailable` and the figures are computed for that request.
"""

from __future__ import annotations

import time

from django.core.cache import cache, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest

from crm.shared_cache import CacheUnavailable, cache_call
from impact.models import ImpactVersion

IMPACT_VERSION_KEY = "impact:version"
STEP = 0.001
#: A change this process could not announce while the cache was down.
_bump_missed = False


def version_in_cache() -> bool:
    return not isinstance(caches["default"], LocMemCache | DummyCache)


def impact_version() -> float:
    """When the figures last changed (a UNIX time). Raises CacheUnavailable."""
    global _bump_missed
    if version_in_cache():
        if _bump_missed:
            cache_call(_cache_bump, what="impact version")
            _bump_missed = False
        return cache_call(_cache_version, what="impact version")
    for version in ImpactVersion.objects.filter(pk=ImpactVersion.ROW).values_list(
        "version", flat=True
    ):
        return version
    return _row_ensure()


def impact_invalidate() -> None:
    """Make the cached public figures stale: now, and again at commit (a request that read
    the rows before the commit keyed its answer by the first bump)."""
    if version_in_cache():
        _cache_bump_or_remember()
        transaction.on_commit(_cache_bump_or_remember)
        return
    updated = ImpactVersion.objects.filter(pk=ImpactVersion.ROW).update(
        version=Greatest(F("version") + STEP, Value(time.time()))
    )
    if not updated:
        _row_ensure()


def _cache_version() -> float:
    version = cache.get(IMPACT_VERSION_KEY)
    if version is None:
        cache.add(IMPACT_VERSION_KEY, time.time(), timeout=None)
        version = cache.get(IMPACT_VERSION_KEY) or time.time()
    return float(version)


def _cache_bump() -> None:
    previous = cache.get(IMPACT_VERSION_KEY) or 0.0
    cache.set(IMPACT_VERSION_KEY, max(time.time(), float(previous) + STEP), timeout=None)


def _cache_bump_or_remember() -> None:
    """A save must not fail because the cache is down: remember to bump it later."""
    global _bump_missed
    try:
        cache_call(_cache_bump, what="impact version bump")
    except CacheUnavailable:
        _bump_missed = True


def _row_ensure() -> float:
    now = time.time()
    ImpactVersion.objects.bulk_create(
        [ImpactVersion(pk=ImpactVersion.ROW, version=now)], ignore_conflicts=True
    )
    return now
