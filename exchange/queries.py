"""Rows whose column is one of many values, without one parameter per value."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from django.db import connections
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

#: Values per `IN (…)` where the database has no array parameter (SQLite).
IN_CHUNK = 2000


def rows_with(queryset: QuerySet, field_name: str, values: Sequence) -> Iterator[QuerySet]:
    """`queryset` limited to rows whose `field_name` is in `values`, as one or more querysets.

    PostgreSQL: one query with one array parameter (`= ANY(%s)`); psycopg spends more time
    binding an `IN` list of thousands of parameters than the database spends answering.
    Elsewhere, `IN` lists of `IN_CHUNK` values.
    """
    if not values:
        return
    if connections[queryset.db].vendor != "postgresql":
        for start in range(0, len(values), IN_CHUNK):
            yield queryset.filter(**{f"{field_name}__in": values[start : start + IN_CHUNK]})
        return
    field = queryset.model._meta.get_field(field_name)
    table = field.model._meta.db_table
    column = f'"{table}"."{field.column}"'
    yield queryset.filter(RawSQL(f"{column} = ANY(%s)", (list(values),), BooleanField()))
