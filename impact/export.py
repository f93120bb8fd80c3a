"""The impact report as a file: CSV (one table, a column says the section) or XLSX (one
sheet per section). Withheld figures are written as "<10" (the minimum), never as a number.
"""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _

from impact.models import PARTICIPANT_FIELDS, ParticipantKind
from impact.selectors import ImpactReport

#: A cell that starts with one of these is a formula to a spreadsheet: written as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def report_sections(report: ImpactReport) -> list[tuple[str, list[str], list[list[object]]]]:
    """(section title, headers, rows) of the report, the figures as the page shows them."""
    withheld = f"<{report.minimum}"

    def figure(value: int | float | None, digits: int | None = None) -> object:
        if value is None:
            return withheld
        return round(value, digits) if digits is not None else value

    kinds = [str(label) for _value, label in ParticipantKind.choices]
    reach_headers = [
        _("Group"),
        _("Deliveries"),
        _("Sessions"),
        _("People reached"),
        *kinds,
    ]
    sections = []
    total = report.total
    for breakdown in [None, *report.breakdowns]:
        rows = [total] if breakdown is None else breakdown.rows
        title = _("Total") if breakdown is None else str(breakdown.title)
        sections.append(
            (
                title,
                reach_headers,
                [
                    [
                        _text(row.label),
                        row.deliveries,
                        row.sessions,
                        figure(row.people),
                        *(figure(row.by_kind[name]) for name in PARTICIPANT_FIELDS),
                    ]
                    for row in rows
                ],
            )
        )
    sections.append(
        (
            _("Progress against target"),
            [_("Programme"), _("Target"), _("Participants counted"), _("Reached"), _("Percent")],
            [
                [
                    _text(item.programme.name),
                    item.target,
                    item.target_kind_label,
                    figure(item.reached),
                    figure(item.percent),
                ]
                for item in report.progress
            ],
        )
    )
    change_headers = [
        _("Instrument"),
        _("Programme"),
        _("Measurements"),
        _("Respondents"),
        _("Mean before"),
        _("Mean after"),
        _("Change"),
        _("Effect size"),
    ]
    sections.append(
        (
            _("Measured change"),
            change_headers,
            [
                [
                    _text(row.instrument),
                    _text(row.programme or _("All programmes")),
                    row.change.measurements,
                    figure(row.change.respondents),
                    figure(row.change.mean_before, 2),
                    figure(row.change.mean_after, 2),
                    figure(row.change.change, 2),
                    figure(row.change.effect_size, 2),
                ]
                for row in [*report.change, *report.change_by_programme]
            ],
        )
    )
    return sections


def report_csv(report: ImpactReport) -> bytes:
    """Every section in one table; a new header row where the columns change."""
    out = io.StringIO()
    writer = csv.writer(out)
    previous: list[str] | None = None
    for title, headers, rows in report_sections(report):
        if headers != previous:
            if previous is not None:
                writer.writerow([])
            writer.writerow([_("Section"), *headers])
            previous = headers
        writer.writerows([title, *row] for row in rows)
    # A byte order mark, so that Excel reads the accents as UTF-8.
    return ("\ufeff" + out.getvalue()).encode()


def report_xlsx(report: ImpactReport) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for title, headers, rows in report_sections(report):
        sheet = book.create_sheet(title=title[:31])
        sheet.append(headers)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
