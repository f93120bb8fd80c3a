"""Exports in one pass: rows stream out of one query, a chunk at a time.

The library's `Resource.export` builds the whole table in memory, and with a prefetch it
pages with `LIMIT 100 OFFSET n` (one query per page, each slower than the last: the time
grows with the square of the rows). Here:

- Columns that are plain model fields are read with `values_list` from one query (a
  server-side cursor on PostgreSQL), never as model instances.
- A foreign key (the chapter) costs at most one query per chunk of `EXPORT_CHUNK` rows, for
  the related rows not seen yet; a many-to-many field (sectors) one query per chunk for the
  links and at most one for the related rows not seen yet. So the queries grow with the
  chunks, and each chunk costs the same.
- A resource with a column that is not a plain field (a `dehydrate_` method, a path
  through a relation) goes through model instances instead: `iterator(chunk_size=…)` with
  its `select_related`/`prefetch_related`, still one pass with a fixed number of queries
  per chunk.
- Every value is rendered by the column's widget, exactly as the library would.
- CSV and JSON are written chunk by chunk as bytes; XLSX is written by openpyxl's
  write-only workbook into a temporary file, then read back in blocks. Memory stays flat.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from import_export import widgets
from import_export.formats import base_formats

from exchange.queries import rows_with

EXPORT_CHUNK = 2000
#: Bytes read at a time from a finished XLSX file.
FILE_BLOCK = 256 * 1024


@dataclass
class Column:
    """How one export column is read: a field's value, a related row, or related rows."""

    widget: widgets.Widget
    attname: str = ""
    #: A foreign key: the related model, whose rows are cached by id across chunks.
    related: type[models.Model] | None = None
    #: A many-to-many field (read through its link table).
    m2m: models.ManyToManyField | None = None
    cache: dict = field(default_factory=dict)


def columns_plan(resource, export_fields: list) -> list[Column] | None:
    """One Column per export field, or None when one of them needs a model instance."""
    model = resource._meta.model
    plan = []
    for export_field in export_fields:
        name = resource.get_field_name(export_field)
        dehydrate = export_field.get_dehydrate_method(name)
        if callable(dehydrate) or hasattr(resource, dehydrate):
            return None
        attribute = export_field.attribute
        if not attribute or "__" in attribute:
            return None
        try:
            model_field = model._meta.get_field(attribute)
        except FieldDoesNotExist:  # a property or a method: read from instances
            return None
        if isinstance(model_field, models.ManyToManyField):
            plan.append(Column(export_field.widget, m2m=model_field))
        elif isinstance(model_field, models.ForeignKey):
            plan.append(
                Column(
                    export_field.widget,
                    attname=model_field.attname,
                    related=model_field.related_model,
                )
            )
        elif getattr(model_field, "concrete", False) and not model_field.is_relation:
            plan.append(Column(export_field.widget, attname=model_field.attname))
        else:
            return None
    return plan


def export_headers(resource, export_fields: list | None = None) -> list[str]:
    return resource.get_export_headers(selected_fields=export_fields)


def export_rows(
    resource, queryset, *, export_fields: list | None = None, native: bool = False
) -> Iterator[list]:
    """Every row of the export as a list of rendered cells, in the queryset's order."""
    for chunk in export_chunks(resource, queryset, export_fields=export_fields, native=native):
        yield from chunk


def export_chunks(
    resource, queryset, *, export_fields: list | None = None, native: bool = False
) -> Iterator[list]:
    """The export's rows, `EXPORT_CHUNK` at a time (each a sequence of rendered cells)."""
    fields = resource.get_export_fields(export_fields)
    queryset = resource.filter_export(queryset)
    render = {"force_native_type": True} if native else {}
    plan = columns_plan(resource, fields)
    if plan is None:
        instances = queryset.iterator(chunk_size=EXPORT_CHUNK)
        for chunk in _batched(instances, EXPORT_CHUNK):
            yield [[resource.export_field(f, i, **render) for f in fields] for i in chunk]
        return
    attnames = list(dict.fromkeys(c.attname for c in plan if c.attname))
    position = {name: index for index, name in enumerate(attnames, start=1)}
    # Only the columns: no select_related or prefetch of the instance path, no model rows.
    values = queryset.select_related(None).prefetch_related(None)
    rows = values.values_list("pk", *attnames).iterator(chunk_size=EXPORT_CHUNK)
    for chunk in _batched(rows, EXPORT_CHUNK):
        cells = []
        for column in plan:
            if column.m2m is not None:
                linked = _links(column, [row[0] for row in chunk])
                raw = [linked.get(row[0], []) for row in chunk]
            else:
                index = position[column.attname]
                raw = [row[index] for row in chunk]
                if column.related is not None:
                    _load_related(column, set(raw))
                    raw = [column.cache.get(value) for value in raw]
            cells.append(_render(column, raw, render))
        yield list(zip(*cells, strict=True))


def _render(column: Column, raw: list, render: dict) -> list:
    """The column's cells, rendered by its widget as the library would."""
    widget = column.widget
    if type(widget).render is widgets.CharWidget.render and widget.coerce_to_string:
        # Text is most of an export: CharWidget.render is force_str, inlined.
        return ["" if value is None else str(value) for value in raw]
    if column.m2m is not None:
        return [widget.render(value, **render) for value in raw]
    # Numbers, dates, choices and flags repeat: each distinct value is rendered once per
    # chunk (number_format alone would cost a third of the export).
    try:
        done = {value: widget.render(value, **render) for value in set(raw)}
    except TypeError:  # a value that cannot be hashed
        return [widget.render(value, **render) for value in raw]
    return [done[value] for value in raw]


def _batched(items: Iterable, size: int) -> Iterator[tuple]:
    iterator = iter(items)
    while chunk := tuple(itertools.islice(iterator, size)):
        yield chunk


def _load_related(column: Column, ids: set) -> None:
    """Fetch the related rows of this chunk that no earlier chunk brought (one query)."""
    missing = [i for i in ids if i is not None and i not in column.cache]
    if missing:
        column.cache.update(column.related._base_manager.in_bulk(missing))


def _links(column: Column, pks: list) -> dict[object, list]:
    """Related rows of each exported row for a many-to-many column (one or two queries)."""
    relation = column.m2m
    through = relation.remote_field.through
    source = f"{relation.m2m_field_name()}_id"
    target = f"{relation.m2m_reverse_field_name()}_id"
    pairs = [
        pair
        for part in rows_with(through.objects.all(), source, pks)
        for pair in part.values_list(source, target)
    ]
    missing = {t for _s, t in pairs if t not in column.cache}
    if missing:
        column.cache.update(relation.related_model._base_manager.in_bulk(sorted(missing)))
    linked: dict[object, list] = {}
    for source_id, target_id in pairs:
        linked.setdefault(source_id, []).append(column.cache[target_id])
    return linked


def export_stream(
    resource, queryset, file_format, *, export_fields: list | None = None
) -> Iterator[bytes]:
    """The export as a stream of bytes in `file_format` (CSV with BOM, JSON or XLSX)."""
    headers = export_headers(resource, export_fields)
    if isinstance(file_format, base_formats.XLSX):
        native = export_rows(resource, queryset, export_fields=export_fields, native=True)
        yield from _xlsx_stream(headers, native)
        return
    chunks = export_chunks(resource, queryset, export_fields=export_fields)
    if isinstance(file_format, base_formats.JSON):
        yield from _json_stream(headers, chunks)
    else:
        yield from _csv_stream(headers, chunks)


def _csv_stream(headers: list[str], chunks: Iterator[list]) -> Iterator[bytes]:
    # The byte order mark makes Excel read UTF-8 (formats.SpreadsheetCSV does the same).
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(headers)
    for chunk in chunks:
        writer.writerows(chunk)
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def _json_stream(headers: list[str], chunks: Iterator[list]) -> Iterator[bytes]:
    yield b"["
    separator = ""
    for chunk in chunks:
        text = ", ".join(
            json.dumps(dict(zip(headers, row, strict=True)), ensure_ascii=False, default=str)
            for row in chunk
        )
        yield (separator + text).encode("utf-8")
        separator = ", "
    yield b"]"


def _xlsx_stream(headers: list[str], rows: Iterator[list]) -> Iterator[bytes]:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        while block := handle.read(FILE_BLOCK):
            yield block
