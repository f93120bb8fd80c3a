"""The shared cache (CACHE_URL) may be down: callers decide how to do without it.

Redis holds nothing that cannot be rebuilt (map answers, the map's version, rate-limit
counts), so an unreachable cache must never turn a page into a 500. Every use of the
cache on a public path goes through `cache_call`, which turns any failure of the
backend into `CacheUnavailable` (logged once per call); the caller then serves without
the cache (the map), answers anyway (the search) or refuses safely (the join form, which
cannot count submissions without it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
logger = logging.getLogger("kindnet.cache")


class CacheUnavailable(Exception):
    """The configured cache could not be reached or answered with an error."""


def cache_call(operation: Callable[[], T], *, what: str) -> T:
    """The result of `operation` (a call on the cache), or CacheUnavailable if it failed."""
    try:
        return operation()
    except Exception as exc:  # any client error: connection refused, timeout, protocol
        logger.warning("cache unavailable (%s): %s: %s", what, type(exc).__name__, exc)
        raise CacheUnavailable(what) from exc
