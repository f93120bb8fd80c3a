"""One request rate for the whole application, on the database server's clock.

Every request slot is reserved in the database (`GeocoderThrottle`) with one atomic
UPDATE … RETURNING whose "now" is the database server's clock, read inside the same
statement: hosts whose clocks disagree still get slots one delay apart. A 429 or a 5xx
sets `blocked_until` (`throttle_penalize`); it is read again just before each request, so a
worker that reserved its slot before the pause does not send during it. That last check
(`throttle_permit`) also records when the request left, so a worker that got to its slot
late cannot bring the next request closer than the delay.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import connection

from geocoding.claims import query_claim_extend
from geocoding.clock import db_now_sql
from geocoding.models import GeocoderThrottle
from geocoding.result import ProviderPaused

#: Added to the spacing of requests: network jitter must not bring two requests closer
#: than the provider's limit when they reach it.
SPACING_MARGIN_SECONDS = 0.1
#: The permit's own margin: between the permit and the request's arrival lie a few ms.
PERMIT_MARGIN_SECONDS = 0.1
#: A query's claim lasts the wait for its slot, the request's timeout and this much more.
CLAIM_SLACK_SECONDS = 2.0


def _table() -> str:
    return connection.ops.quote_name(GeocoderThrottle._meta.db_table)


def _ensure_row(name: str) -> None:
    GeocoderThrottle.objects.bulk_create([GeocoderThrottle(name=name)], ignore_conflicts=True)


def throttle_spacing(min_delay_seconds: float) -> float:
    return min_delay_seconds + SPACING_MARGIN_SECONDS if min_delay_seconds > 0 else 0.0


def throttle_reserve(*, name: str, min_delay_seconds: float) -> float:
    """Reserve the next request slot of `name`; returns how many seconds to wait for it."""
    now = db_now_sql()
    sql = (
        f"UPDATE {_table()} SET next_slot = "
        f"(CASE WHEN next_slot > {now} THEN next_slot ELSE {now} END) + %s "
        f"WHERE name = %s RETURNING next_slot - %s - {now}"
    )
    spacing = throttle_spacing(min_delay_seconds)
    for _attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(sql, [spacing, name, spacing])
            row = cursor.fetchone()
        if row is not None:
            return max(0.0, float(row[0]))
        _ensure_row(name)
    raise RuntimeError(f"Could not reserve a request slot for {name}.")  # pragma: no cover


def throttle_permit(*, name: str, min_delay_seconds: float) -> float:
    """Permission to send now, in one atomic UPDATE on the database's clock: granted (0.0)
    when no pause holds and the last request left at least the delay ago; otherwise the
    seconds to wait (a worker whose slot came late must not bring the next one closer).
    Raises ProviderPaused during a pause."""
    now = db_now_sql()
    spacing = min_delay_seconds + PERMIT_MARGIN_SECONDS if min_delay_seconds > 0 else 0.0
    table = _table()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_sent = {now} WHERE name = %s "
            f"AND blocked_until <= {now} AND last_sent + %s <= {now} RETURNING 1",
            [name, spacing],
        )
        if cursor.fetchone() is not None:
            return 0.0
        cursor.execute(
            f"SELECT blocked_until - {now}, last_sent + %s - {now} FROM {table} WHERE name = %s",
            [spacing, name],
        )
        paused, wait = cursor.fetchone()
    if paused > 0:
        raise ProviderPaused(paused)
    return max(float(wait), 0.001)


def throttle_paused_for(*, name: str) -> float:
    """Seconds left of a pause of `name` (0 when none), on the database's clock."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT blocked_until - {db_now_sql()} FROM {_table()} WHERE name = %s", [name]
        )
        row = cursor.fetchone()
    return max(0.0, float(row[0])) if row else 0.0


def throttle_penalize(*, name: str, seconds: float) -> None:
    """Nobody calls `name` again for `seconds` (after a 429 or a 5xx), from any host."""
    now = db_now_sql()
    _ensure_row(name)
    until = f"({now} + %s)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_table()} SET blocked_until = "
            f"CASE WHEN blocked_until > {until} THEN blocked_until ELSE {until} END, "
            f"next_slot = CASE WHEN next_slot > {until} THEN next_slot ELSE {until} END "
            "WHERE name = %s",
            [seconds, seconds, seconds, seconds, name],
        )


class SharedRateLimiter:
    """Calls `func` in a slot reserved for the whole application, never during a pause."""

    def __init__(
        self, func: Callable, *, name: str, min_delay_seconds: float, timeout: float = 0.0
    ) -> None:
        self.func = func
        self.name = name
        self.min_delay_seconds = min_delay_seconds
        self.timeout = timeout

    def __call__(self, *args, **kwargs):
        # During a pause nobody waits in line for it: the caller postpones its work.
        paused = throttle_paused_for(name=self.name)
        if paused > 0:
            raise ProviderPaused(paused)
        wait = throttle_reserve(name=self.name, min_delay_seconds=self.min_delay_seconds)
        # The query's claim must outlast the wait for the slot and the request.
        query_claim_extend(seconds=wait + self.timeout + CLAIM_SLACK_SECONDS)
        if wait > 0:
            time.sleep(wait)
        # Checked just before sending: a pause that began while this worker waited for its
        # slot holds for it too (ProviderPaused), and a request that left late pushes this one.
        while (
            wait := throttle_permit(name=self.name, min_delay_seconds=self.min_delay_seconds)
        ) > 0:
            time.sleep(wait)
        return self.func(*args, **kwargs)
