"""The database server's clock: what slots, pauses and claims of every process compare with."""

from __future__ import annotations

from django.db import connection


def db_now_sql() -> str:
    """SQL for "now" in seconds since the epoch, on the database server's clock."""
    if connection.vendor == "postgresql":
        return "extract(epoch from clock_timestamp())::float8"
    # SQLite runs in this process: its clock is this host's (julianday has milliseconds).
    return "((julianday('now') - 2440587.5) * 86400.0)"
