"""One request rate for the whole application, not per process.

geopy's `RateLimiter` spaces the calls of one process. `SharedRateLimiter` also reserves
each request slot in the database (`GeocoderThrottle`), with a single atomic UPDATE …
RETURNING that works the same on PostgreSQL and SQLite, so web processes, `db_worker`s
and `manage.py geocode` running side by side stay together under the limit. A 429 pushes
the shared next slot into the future (`throttle_penalize`): the whole queue slows down.
"""

from __future__ import annotations

import time

from django.db import connection
from geopy.extra.rate_limiter import RateLimiter

from geocoding.models import GeocoderThrottle

_RESERVE_SQL = (
    "UPDATE {table} SET next_slot = "
    "(CASE WHEN next_slot > %s THEN next_slot ELSE %s END) + %s "
    "WHERE name = %s RETURNING next_slot"
)
_PENALIZE_SQL = "UPDATE {table} SET next_slot = %s WHERE name = %s AND next_slot < %s"


def _table() -> str:
    return connection.ops.quote_name(GeocoderThrottle._meta.db_table)


def _ensure_row(name: str) -> None:
    GeocoderThrottle.objects.bulk_create([GeocoderThrottle(name=name)], ignore_conflicts=True)


def throttle_reserve(*, name: str, min_delay_seconds: float) -> float:
    """Reserve the next request slot of `name`; returns how many seconds to wait for it.

    Clocks of the worker machines are assumed to be in sync (NTP), as for any shared queue.
    """
    now = time.time()
    sql = _RESERVE_SQL.format(table=_table())
    for _attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(sql, [now, now, min_delay_seconds, name])
            row = cursor.fetchone()
        if row is not None:
            slot = row[0] - min_delay_seconds
            return max(0.0, slot - now)
        _ensure_row(name)
    raise RuntimeError(f"Could not reserve a request slot for {name}.")  # pragma: no cover


def throttle_penalize(*, name: str, seconds: float) -> None:
    """Nobody calls `name` again for `seconds` (after a 429)."""
    until = time.time() + seconds
    _ensure_row(name)
    with connection.cursor() as cursor:
        cursor.execute(_PENALIZE_SQL.format(table=_table()), [until, name, until])


class SharedRateLimiter(RateLimiter):
    """geopy's RateLimiter whose request slots are also reserved in the shared database."""

    def __init__(self, func, *, name: str, min_delay_seconds: float) -> None:
        # No retries here: a failure is recorded on the member and retried with backoff.
        super().__init__(
            func,
            min_delay_seconds=min_delay_seconds,
            max_retries=0,
            error_wait_seconds=min_delay_seconds,
            swallow_exceptions=False,
        )
        self.name = name

    def _acquire_request_slot(self) -> None:
        super()._acquire_request_slot()
        wait = throttle_reserve(name=self.name, min_delay_seconds=self.min_delay_seconds)
        if wait > 0:
            self._sleep(wait)
