"""History rows written with PostgreSQL's COPY instead of a multi-row INSERT.

An import writes one history row per member: as many rows as the import itself, with
every column of the member. Django's `bulk_create` builds a model instance per row, then
an INSERT of thousands of placeholders that psycopg parses again to bind them: half the
time of the write. `COPY … FROM STDIN` sends the values as they are (still prepared by
each field's `get_db_prep_save`, as an INSERT would). Nothing needs the history rows'
ids back, which COPY could not return. Other databases keep `bulk_history_create`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.db import connections, models


def history_copy(
    history_model: type[models.Model],
    instances: Sequence[models.Model],
    *,
    using: str,
    user,
    reason: str,
    date,
    update: bool,
) -> None:
    """The rows `simple_history`'s `bulk_history_create` would write for `instances`."""
    if not instances or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    connection = connections[using]
    tracked = {field.attname for field in history_model.tracked_fields}
    fixed = {
        "history_date": date,
        "history_user_id": getattr(user, "pk", None),
        "history_change_reason": reason,
        "history_type": "~" if update else "+",
    }
    fields = [
        field
        for field in history_model._meta.concrete_fields
        if not (field.primary_key and isinstance(field, models.AutoField))
    ]
    relation = "history_relation_id"
    getters = []
    for field in fields:
        if field.attname in tracked:
            getters.append((field, field.attname, None))
        elif field.attname in fixed:
            getters.append((field, None, fixed[field.attname]))
        elif field.attname == relation:
            getters.append((field, "pk", None))
        else:
            getters.append((field, None, field.get_default()))

    def prepared(field, value):
        # Text, numbers, flags, dates: psycopg writes them as they are; others (a Country,
        # JSON) as the field prepares them for an INSERT.
        if type(value) in PLAIN:
            return value
        return field.get_db_prep_save(value, connection)

    def row(instance) -> list:
        stored = instance.__dict__  # model fields, without descriptors (see base.stored_value)
        return [
            prepared(field, (stored[a] if a in stored else getattr(instance, a)) if a else value)
            for field, a, value in getters
        ]

    rows_copy(connection, history_model._meta.db_table, fields, map(row, instances))


#: Python types psycopg writes without any help from the field.
PLAIN = frozenset({str, int, bool, float, type(None), datetime.date, datetime.datetime})


def rows_copy(connection, table: str, fields: Sequence, rows: Iterable[Sequence]) -> None:
    """COPY `rows` (values in the order of `fields`) into `table` (PostgreSQL only)."""
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    statement = f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for values in rows:
            copy.write_row(values)
