"""One provider call per distinct query, whatever the number of processes.

Before asking a provider, a process claims the query's key with one INSERT … ON CONFLICT
… WHERE until < now RETURNING (PostgreSQL and SQLite alike, database clock). Whoever gets
no row back waits for the answer to appear in the cache. A claim ends when its holder
releases it, or at `until`, so a killed holder blocks no one for long.
"""

from __future__ import annotations

import os
import socket
import uuid
from contextvars import ContextVar

from django.db import connection

from geocoding.clock import db_now_sql
from geocoding.models import GeocodeClaim

#: Who holds a claim: unique per process (and per run, so a restarted pid is someone else).
HOLDER = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


#: The key this process is asking right now: the rate limiter stretches its claim to cover
#: the wait for the request slot, so a short claim does not end while its holder waits.
current_claim: ContextVar[str | None] = ContextVar("geocoding_current_claim", default=None)


def _table() -> str:
    return connection.ops.quote_name(GeocodeClaim._meta.db_table)


def query_claim(*, key: str, seconds: float, holder: str = HOLDER) -> bool:
    """Claim `key` for `seconds`; False when someone else holds it."""
    now = db_now_sql()
    table = _table()
    sql = (
        f"INSERT INTO {table} (key, holder, until) VALUES (%s, %s, {now} + %s) "
        f"ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, until = excluded.until "
        f"WHERE {table}.until < {now} OR {table}.holder = excluded.holder RETURNING holder"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, holder, seconds])
        row = cursor.fetchone()
    return row is not None


def query_release(*, key: str, holder: str = HOLDER) -> None:
    GeocodeClaim.objects.filter(key=key, holder=holder).delete()


def query_claim_extend(*, seconds: float, holder: str = HOLDER) -> None:
    """Stretch the current claim (if any) to end `seconds` from now."""
    key = current_claim.get()
    if key is None:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_table()} SET until = {db_now_sql()} + %s WHERE key = %s AND holder = %s",
            [seconds, key, holder],
        )
