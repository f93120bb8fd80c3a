"""The shared cache (CACHE_URL) may be down: callers decide how to do without it.

Redis holds nothing that cannot be rebuilt (map answers, the map's version, rate-limit
counts), so an unreachable cache must never turn a page into a 500. Every use of the
cache on a public path goes through `cache_call`, which turns any failure of the
backend into `CacheUnavailable` (logged once per call); the caller then serves without
the cache (the map), answers anyway (the search) or refuses safely (the join form, which
cannot count submissions without it).
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

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


class VersionedCache:
    """Values kept in the shared cache under a version: `invalidate()` replaces the
    version, so every value cached before it goes unused at once (a new key, whatever
    its parts), and `timeout` seconds (or a function that reads them from the settings)
    is the safety net for changes nobody announced.

    With the cache unreachable, `cached` computes the value each time: a page that uses
    it costs its queries, it never fails.
    """

    def __init__(self, namespace: str, *, timeout: int | Callable[[], int]) -> None:
        self.namespace = namespace
        self.timeout = timeout
        self.version_key = f"{namespace}:version"

    def invalidate(self) -> None:
        # Unreachable: nothing can be read from it either.
        with contextlib.suppress(CacheUnavailable):
            cache_call(
                lambda: cache.set(self.version_key, uuid.uuid4().hex, None), what=self.namespace
            )

    def _version(self) -> str:
        version = cache_call(lambda: cache.get(self.version_key), what=self.namespace)
        if version is None:
            # Another process may set one at the same moment: whichever came first wins.
            version = uuid.uuid4().hex
            cache_call(lambda: cache.add(self.version_key, version, None), what=self.namespace)
            version = cache_call(lambda: cache.get(self.version_key), what=self.namespace)
        return version or uuid.uuid4().hex

    def cached(self, key: str, compute: Callable[[], T]) -> T:
        """`compute()`'s result, from the cache when it holds one for this version."""
        try:
            full_key = f"{self.namespace}:{self._version()}:{key}"
            found = cache_call(lambda: cache.get(full_key), what=self.namespace)
        except CacheUnavailable:
            return compute()
        if found is not None:
            return found
        value = compute()
        timeout = self.timeout() if callable(self.timeout) else self.timeout
        with contextlib.suppress(CacheUnavailable):
            cache_call(lambda: cache.set(full_key, value, timeout), what=self.namespace)
        return value
