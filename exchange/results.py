"""The outcome of an import, told in plain words: row, column, reason."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext as _
from import_export.results import Result, RowResult


class ImportRowResult(RowResult):
    """One row's outcome, with its spreadsheet row number, warnings and changed columns."""

    def __init__(self) -> None:
        super().__init__()
        self.number: int | None = None
        self.blank = False
        self.warnings: list[str] = []
        self.changed: list[str] = []
        self.cells: list[object] = []
        #: The earlier row this one repeats with the same values (not written again).
        self.repeat_of: int | None = None

    @property
    def status(self) -> str:
        """new, updated, unchanged, repeated or invalid: the words of the preview."""
        if self.repeat_of is not None:
            return "repeated"
        return {
            RowResult.IMPORT_TYPE_NEW: "new",
            RowResult.IMPORT_TYPE_UPDATE: "updated",
            RowResult.IMPORT_TYPE_SKIP: "unchanged",
        }.get(self.import_type, "invalid")


class ImportResult(Result):
    """The whole import: totals, every problem as a sentence, and warnings."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        #: Column names as the resource reads them, for messages ("vat_number").
        self.column_of: dict[str, str] = {}
        #: About the file as a whole (unknown columns that were ignored).
        self.file_warnings: list[str] = []

    def counts(self) -> dict[str, int]:
        rows = [r for r in self.rows if not getattr(r, "blank", False)]
        counts = dict.fromkeys(["new", "updated", "unchanged", "invalid", "repeated"], 0)
        for row in rows:
            counts[row.status] += 1
        counts["invalid"] = max(counts["invalid"], len(self.invalid_rows) + len(self.error_rows))
        if not counts["repeated"]:
            del counts["repeated"]  # only files with repeated rows mention them
        return counts

    def summary(self) -> str:
        """ "2 new, 1 updated, 0 unchanged, 0 invalid" (", 1 repeated" when there are)."""
        counts = self.counts()
        text = (
            _("%(new)d new, %(updated)d updated, %(unchanged)d unchanged, %(invalid)d invalid")
            % counts
        )
        if counts.get("repeated"):
            text += _(", %(repeated)d repeated") % counts
        return text

    def problems(self) -> list[str]:
        """Every reason the import cannot go ahead, one sentence each, in row order."""
        lines = [
            line
            for error in self.base_errors
            for line in getattr(error.error, "lines", None) or [str(error.error)]
        ]
        for invalid in self.invalid_rows:
            row = invalid.number + 1  # the header is row 1, as the spreadsheet shows it
            for key, messages in invalid.error_dict.items():
                column = self.column_of.get(key, key)
                for message in messages:
                    if key == NON_FIELD_ERRORS:
                        lines.append(_("Row %(row)d: %(reason)s") % {"row": row, "reason": message})
                    else:
                        value = invalid.values_by_column.get(column)
                        lines.append(row_message(row, column, message, value))
        for error_row in self.error_rows:
            for error in error_row.errors:
                lines.append(
                    _("Row %(row)d: %(reason)s")
                    % {"row": error_row.number + 1, "reason": error.error}
                )
        return lines

    def warnings(self) -> list[str]:
        rows = [warning for row in self.rows for warning in getattr(row, "warnings", [])]
        return [*self.file_warnings, *rows]

    def append_invalid_row(self, number, row, validation_error) -> None:
        super().append_invalid_row(number, row, validation_error)
        self.invalid_rows[-1].values_by_column = dict(row)


def row_message(row: int, column: str, reason: str, value: object = None) -> str:
    """ "Row 17, column vat_number: IT123 is not a valid VAT number for IT (…)"."""
    text = "" if value is None else str(value).strip()
    if text and text not in reason:
        reason = _("“%(value)s”: %(reason)s") % {"value": text, "reason": reason}
    return _("Row %(row)d, column %(column)s: %(reason)s") % {
        "row": row,
        "column": column,
        "reason": reason,
    }
