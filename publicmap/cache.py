"""The version of the public map feed: every cached answer is keyed by it.

Bumped whenever the core says the network changed (`publicmap.receivers`), so an
answer is never served after the members it shows have changed.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db import transaction

MAP_FEED_VERSION_KEY = "map-feed:version"


def map_feed_version() -> float:
    """When the network last changed as far as the map is concerned (a UNIX time).

    Bumped by `map_feed_invalidate`; set to now when the cache lost it, which can
    only make clients fetch the feed once more.
    """
    version = cache.get(MAP_FEED_VERSION_KEY)
    if version is None:
        cache.add(MAP_FEED_VERSION_KEY, time.time(), timeout=None)
        version = cache.get(MAP_FEED_VERSION_KEY) or time.time()
    return float(version)


def map_feed_invalidate() -> None:
    """Make every cached answer of the public map feed stale (they are keyed by this version).

    The version is bumped now and once more when the surrounding transaction commits:
    a request that read the rows before the commit cached its answer under the first
    version, which the second makes stale. Outside a transaction both happen at once.
    """
    _map_feed_version_bump()
    transaction.on_commit(_map_feed_version_bump)


def _map_feed_version_bump() -> None:
    # Never go backwards, even if two workers' clocks disagree slightly.
    previous = cache.get(MAP_FEED_VERSION_KEY) or 0.0
    cache.set(MAP_FEED_VERSION_KEY, max(time.time(), float(previous) + 0.001), timeout=None)
