"""One import of a kind at a time: the second waits, then reads what the first wrote.

Two imports of the same keyless file that run at once both find no organisation yet and
both insert every row. Serialising them is enough, provided the second reads the existing
rows only after it holds the lock (`NetworkResource.before_import` takes the lock before
`prepare`): under READ COMMITTED every statement then sees what the first one committed.

- PostgreSQL: a transaction-scoped advisory lock per model, released at commit or
  rollback, so a crashed import never leaves it held.
- SQLite: the database allows one writer; a write that changes nothing takes that lock at
  the start of the import rather than at its first real write, after the reads.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connections, models
from django.utils.translation import gettext as _


def import_lock_key(model: type[models.Model]) -> str:
    return f"kindnet-import:{model._meta.label}"


def import_lock(
    model: type[models.Model],
    *,
    using: str,
    what: str,
    on_wait: Callable[[str], None] | None = None,
) -> None:
    """Hold the import lock of `model` until the current transaction ends."""
    connection = connections[using]
    if not connection.in_atomic_block:
        raise RuntimeError("An import lock lives as long as a transaction; open one first.")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            key = import_lock_key(model)
            cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [key])
            if cursor.fetchone()[0]:
                return
            if on_wait is not None:
                on_wait(_("Waiting for another import of %(what)s to finish…") % {"what": what})
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])
        elif connection.vendor == "sqlite":
            table = connection.ops.quote_name(model._meta.db_table)
            column = connection.ops.quote_name(model._meta.pk.column)
            cursor.execute(f"UPDATE {table} SET {column} = {column} WHERE 1 = 0")
