"""File formats for imports and exports, as spreadsheets write them.

Excel in Italy saves "CSV" with semicolons and, for "CSV UTF-8", a byte order mark;
other tools write commas and no mark. Import accepts all of them; export writes
UTF-8 with a mark so that Excel shows accented names correctly.
"""

from __future__ import annotations

import csv
import io

import tablib
from django.utils.translation import gettext as _
from import_export.formats import base_formats

DELIMITERS = (",", ";", "\t")


class ImportFileError(ValueError):
    """The file cannot be read as a table; the message says why in plain words."""


def csv_delimiter(header_line: str) -> str:
    """The delimiter of a CSV file, judged from its header line (outside quotes)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def not_utf8(exc: UnicodeDecodeError) -> ImportFileError:
    return ImportFileError(
        _(
            "The file is not UTF-8 text (byte %(position)d). In Excel choose "
            "'Save as' > 'CSV UTF-8'."
        )
        % {"position": exc.start}
    )


class SpreadsheetCSV(base_formats.CSV):
    """CSV with comma, semicolon or tab, UTF-8 with or without BOM; blank lines ignored."""

    def create_dataset(self, in_stream, **kwargs) -> tablib.Dataset:
        if isinstance(in_stream, bytes):
            try:
                in_stream = in_stream.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise not_utf8(exc) from exc
        text = in_stream.removeprefix("\ufeff")
        header_line = text.split("\n", 1)[0]
        reader = csv.reader(io.StringIO(text), delimiter=csv_delimiter(header_line))
        try:
            rows = list(reader)
        except csv.Error as exc:
            raise ImportFileError(_("The CSV file is malformed: %(why)s.") % {"why": exc}) from exc
        return table_from_rows(rows)

    def export_data(self, dataset, **kwargs) -> str:
        # The byte order mark makes Excel read UTF-8 (accents) instead of the local code page.
        return "\ufeff" + super().export_data(dataset, **kwargs)


class SpreadsheetXLSX(base_formats.XLSX):
    """XLSX whose first sheet is the table; blank rows ignored like in CSV."""

    def create_dataset(self, in_stream) -> tablib.Dataset:
        import zipfile

        from openpyxl.utils.exceptions import InvalidFileException

        try:
            dataset = super().create_dataset(in_stream)
        except (
            InvalidFileException,
            KeyError,
            OSError,
            StopIteration,
            ValueError,
            zipfile.BadZipFile,
        ) as exc:
            raise ImportFileError(_("The file is not a readable XLSX workbook.")) from exc
        return table_from_rows([dataset.headers or [], *dataset])


def table_from_rows(rows: list[list]) -> tablib.Dataset:
    """A dataset from a header row and data rows: trimmed headers, no blank rows.

    Blank rows in the middle stay (the resource passes over them), so that reported
    row numbers match the spreadsheet's; trailing blank rows are dropped.
    """
    if not rows or not any(str(cell or "").strip() for cell in rows[0]):
        raise ImportFileError(_("The file is empty: the first row must hold the column names."))
    headers = [str(cell or "").strip() for cell in rows[0]]
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)
    body = rows[1:]
    while body and not any(str(cell or "").strip() for cell in body[-1]):
        body.pop()
    dataset = tablib.Dataset(headers=headers)
    for row in body:
        cells = list(row[:width]) + [""] * (width - len(row))
        extra = [cell for cell in row[width:] if str(cell or "").strip()]
        if extra:
            raise ImportFileError(
                _("Row %(row)d has more cells than there are column names.")
                % {"row": len(dataset) + 2}
            )
        dataset.append(cells)
    return dataset


IMPORT_FORMATS = [SpreadsheetCSV, SpreadsheetXLSX]
EXPORT_FORMATS = [SpreadsheetCSV, SpreadsheetXLSX, base_formats.JSON]
