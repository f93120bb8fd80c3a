"""The dashboard's costly figures, kept in the shared cache until the network changes.

Counting every member's agreements costs seconds on SQLite at 100,000 members (hundreds of
milliseconds on PostgreSQL): the figures that read the whole network (active members,
agreements expiring, new members, growth) are kept per chapter scope and day, under a
version that `network_changed` replaces (dashboard/receivers.py), so staff see a change
at their next visit. The to-do lists (join requests, members not on the map) are read
fresh at every visit: they are cheap and someone may just have dealt with one.
An unreachable cache costs only the queries (crm/shared_cache.py).
"""

from __future__ import annotations

import contextlib
import datetime
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

from crm.scope import ALL, user_chapter_ids
from crm.shared_cache import CacheUnavailable, cache_call

T = TypeVar("T")

VERSION_KEY = "dashboard:version"
#: A safety net: figures are dropped at the latest after this long, whatever happened.
FIGURES_SECONDS = 15 * 60


def figures_invalidate() -> None:
    """Every cached figure of every scope goes (a new version makes the old keys unused)."""
    # Unreachable: nothing can be read from it either.
    with contextlib.suppress(CacheUnavailable):
        cache_call(lambda: cache.set(VERSION_KEY, uuid.uuid4().hex, None), what="dashboard")


def figures_cached(name: str, user, today: datetime.date, compute: Callable[[], T]) -> T:
    """`compute()`'s result for this user's chapters and day, from the cache when there."""
    ids = user_chapter_ids(user)
    scope = "all" if ids is ALL else ",".join(str(pk) for pk in sorted(ids)) or "none"
    try:
        version = cache_call(lambda: cache.get(VERSION_KEY), what="dashboard")
        if version is None:
            version = uuid.uuid4().hex
            cache_call(lambda: cache.add(VERSION_KEY, version, None), what="dashboard")
            version = cache_call(lambda: cache.get(VERSION_KEY), what="dashboard") or version
        key = f"dashboard:{version}:{today.isoformat()}:{scope}:{name}"
        found = cache_call(lambda: cache.get(key), what="dashboard")
    except CacheUnavailable:
        return compute()
    if found is not None:
        return found
    value = compute()
    with contextlib.suppress(CacheUnavailable):
        cache_call(lambda: cache.set(key, value, FIGURES_SECONDS), what="dashboard")
    return value
