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

import datetime
from collections.abc import Callable
from typing import TypeVar

from crm.scope import chapter_scope_key
from crm.shared_cache import VersionedCache

T = TypeVar("T")

#: A safety net: figures are dropped at the latest after this long, whatever happened.
FIGURES_SECONDS = 15 * 60
_figures = VersionedCache("dashboard", timeout=FIGURES_SECONDS)


def figures_invalidate() -> None:
    """Every cached figure of every scope goes (a new version makes the old keys unused)."""
    _figures.invalidate()


def figures_cached(name: str, user, today: datetime.date, compute: Callable[[], T]) -> T:
    """`compute()`'s result for this user's chapters and day, from the cache when there."""
    return _figures.cached(f"{today.isoformat()}:{chapter_scope_key(user)}:{name}", compute)
