"""The version of the public map feed: every cached answer is keyed by it.

Bumped whenever the core says the network changed (`publicmap.receivers`), so an
answer is never served after the members it shows have changed.

Where the version lives: every process must see the same one, or a change made by
`manage.py import`, a task worker or another web process would not reach the answers
this process keeps (for up to MAP_CACHE_TIMEOUT). So:

- when the default cache is shared between processes (any backend but Django's
  local-memory and dummy caches: Redis, Memcached, files, the database cache), the
  version lives in that cache, bumped at once and again when the change commits;
- otherwise (the default `locmemcache://`, one cache per process) it lives in the
  database, one row of `MapFeedVersion`: one primary-key SELECT per feed request.

The answers themselves stay in the default cache either way: their key holds the
version, so a per-process copy is never served after a change.

When the shared cache is down (`crm.shared_cache.CacheUnavailable`), reading the version
raises and the feed is built without the cache; a change made meanwhile cannot bump it,
so this process bumps it at its next successful read (a restarted Redis has lost the
version anyway, which makes every old answer unreachable).
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
from publicmap.models import MapFeedVersion

MAP_FEED_VERSION_KEY = "map-feed:version"
#: The smallest step of the version, so that it always moves even if clocks disagree.
STEP = 0.001
#: A change this process could not announce while the cache was down.
_bump_missed = False


def map_feed_version_in_cache() -> bool:
    """Whether the default cache is shared by every process, and so can hold the version."""
    return not isinstance(caches["default"], LocMemCache | DummyCache)


def map_feed_version() -> float:
    """When the network last changed as far as the map is concerned (a UNIX time).

    Bumped by `map_feed_invalidate`; set to now when it was lost (the cache evicted it,
    the row was deleted), which can only make clients fetch the feed once more.
    Raises CacheUnavailable when the version lives in a cache that is down.
    """
    if map_feed_version_in_cache():
        global _bump_missed
        if _bump_missed:
            cache_call(_cache_version_bump, what="map feed version")
            _bump_missed = False
        return cache_call(_cache_version, what="map feed version")
    return _database_version()


def map_feed_invalidate() -> None:
    """Make every cached answer of the public map feed stale (they are keyed by this version)."""
    if map_feed_version_in_cache():
        # The version is bumped now and once more when the surrounding transaction
        # commits: a request that read the rows before the commit cached its answer
        # under the first version, which the second makes stale. Outside a transaction
        # both happen at once.
        _cache_version_bump_or_remember()
        transaction.on_commit(_cache_version_bump_or_remember)
    else:
        # One UPDATE in the caller's transaction: this connection sees the new version
        # at once, every other process when the transaction commits, together with the
        # rows it changed. A request elsewhere that read the rows before the commit also
        # read the old version first, so its answer is keyed by the old one: no second
        # bump on commit is needed. The row stays locked until the commit (see
        # docs/decisions.md); it never goes backwards, even if clocks disagree.
        updated = MapFeedVersion.objects.filter(pk=MapFeedVersion.ROW).update(
            version=Greatest(F("version") + STEP, Value(time.time()))
        )
        if not updated:
            _database_row_ensure()


def _cache_version() -> float:
    version = cache.get(MAP_FEED_VERSION_KEY)
    if version is None:
        cache.add(MAP_FEED_VERSION_KEY, time.time(), timeout=None)
        version = cache.get(MAP_FEED_VERSION_KEY) or time.time()
    return float(version)


def _cache_version_bump_or_remember() -> None:
    """A save must not fail because the cache is down: remember to bump it later."""
    global _bump_missed
    try:
        cache_call(_cache_version_bump, what="map feed version bump")
    except CacheUnavailable:
        _bump_missed = True


def _cache_version_bump() -> None:
    previous = cache.get(MAP_FEED_VERSION_KEY) or 0.0
    cache.set(MAP_FEED_VERSION_KEY, max(time.time(), float(previous) + STEP), timeout=None)


def _database_version() -> float:
    row = MapFeedVersion.objects.filter(pk=MapFeedVersion.ROW).values_list("version", flat=True)
    for version in row:
        return version
    return _database_row_ensure()


def _database_row_ensure() -> float:
    """Recreate the row the migration inserted (a flush or a hand deleted it), at now."""
    now = time.time()
    MapFeedVersion.objects.bulk_create(
        [MapFeedVersion(pk=MapFeedVersion.ROW, version=now)], ignore_conflicts=True
    )
    return now
