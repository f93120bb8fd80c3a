"""The panels of the staff dashboard: one small function each, listed in `PANELS`.

A panel function takes the request's `Figures` and returns a `Panel`: its title, the
template that draws it and that template's context. `Figures` runs each query once, when
a panel first asks for it, so two panels that share figures share the query, and a panel
the user may not see costs nothing. To add a panel: write its function and template, add
it to `PANELS`, and count its queries in tests/test_dashboard.py.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_countries import countries

from activities.selectors import follow_ups_due
from crm.models import KIND_APP_LABELS, GeocodeStatus, MemberKind
from dashboard import charts, selectors
from dashboard.cache import figures_cached
from municipalities.models import PENDING_STATUSES


@dataclass
class Panel:
    """One box of the dashboard."""

    key: str  # its HTML id and CSS hook
    title: str
    template: str
    context: dict = field(default_factory=dict)
    wide: bool = False


class Figures:
    """The dashboard's queries for one request, each run at most once."""

    def __init__(self, request: HttpRequest, today: datetime.date) -> None:
        self.request, self.user, self.today = request, request.user, today

    @cached_property
    def active_groups(self) -> list[selectors.ActiveGroup]:
        return self.cached(selectors.active_members_grouped)

    def cached(self, selector: Callable):
        """`selector(user, today=…)`, kept until the network changes (dashboard/cache.py)."""
        return figures_cached(
            selector.__name__,
            self.user,
            self.today,
            lambda: selector(self.user, today=self.today),
        )


def changelist_url(app_label: str, model: str, **query) -> str:
    url = reverse(f"admin:{app_label}_{model}_changelist")
    return f"{url}?{urlencode(query)}" if query else url


def kind_changelist_url(kind: str, **query) -> str:
    return changelist_url(KIND_APP_LABELS[kind], kind, **query)


# --- The panels -------------------------------------------------------------------------


def active_members_panel(figures: Figures) -> Panel:
    """Active members by kind (rows) and chapter (columns), each figure a link to its list."""
    chapters: dict[int | None, str] = {}
    cells: dict[tuple[str, int | None], int] = {}
    for group in figures.active_groups:
        chapters[group.chapter_id] = group.chapter_name or _("No chapter")
        key = (group.kind, group.chapter_id)
        cells[key] = cells.get(key, 0) + group.count
    columns = sorted(chapters.items(), key=lambda item: item[1])
    rows = []
    for kind in MemberKind:
        counts = [cells.get((kind.value, chapter_id), 0) for chapter_id, _name in columns]
        rows.append(
            {
                "label": kind.label,
                "cells": [
                    {
                        "count": count,
                        "url": kind_changelist_url(
                            kind.value, membership="active", chapter__id__exact=chapter_id
                        )
                        if chapter_id is not None
                        else None,
                    }
                    for (chapter_id, _name), count in zip(columns, counts, strict=True)
                ],
                "total": sum(counts),
                "total_url": kind_changelist_url(kind.value, membership="active"),
            }
        )
    return Panel(
        key="active-members",
        title=_("Active members"),
        template="dashboard/panels/active_members.html",
        context={
            "columns": [name for _id, name in columns],
            "rows": rows,
            "column_totals": [
                sum(cells.get((kind.value, chapter_id), 0) for kind in MemberKind)
                for chapter_id, _name in columns
            ],
            "total": sum(cells.values()),
            "all_url": changelist_url("crm", "member", membership="active"),
        },
        wide=True,
    )


def new_members_panel(figures: Figures) -> Panel:
    counts = figures.cached(selectors.new_members)
    change = counts.this_year - counts.last_year_same_days
    return Panel(
        key="new-members",
        title=_("New members"),
        template="dashboard/panels/new_members.html",
        context={
            "counts": counts,
            "year": figures.today.year,
            "last_year": figures.today.year - 1,
            "change": change,
            "change_abs": abs(change),
            "until": formats.date_format(figures.today, "j F"),
            "this_year_url": changelist_url(
                "crm", "member", created_at__gte=f"{figures.today.year}-01-01"
            ),
        },
    )


def expiring_agreements_panel(figures: Figures) -> Panel:
    counts = figures.cached(selectors.expiring_agreement_counts)
    soonest = figures.cached(selectors.agreements_ending_soonest)
    return Panel(
        key="expiring-agreements",
        title=_("Agreements expiring"),
        template="dashboard/panels/expiring_agreements.html",
        context={
            "horizons": [
                {
                    "days": days,
                    "count": count,
                    "url": changelist_url("crm", "agreement", expiring_within=days),
                }
                for days, count in counts.items()
            ],
            "soonest": [
                {
                    "agreement": agreement,
                    "url": reverse("admin:crm_agreement_change", args=[agreement.pk]),
                    "days_left": (agreement.ends_on - figures.today).days,
                }
                for agreement in soonest
            ],
        },
    )


def join_requests_panel(figures: Figures) -> Panel:
    waiting = selectors.join_requests_waiting(figures.user)
    return Panel(
        key="join-requests",
        title=_("Join requests waiting"),
        template="dashboard/panels/join_requests.html",
        context={
            "waiting": waiting,
            "rows": [
                {
                    "request": row,
                    "url": reverse("admin:municipalities_joinrequest_change", args=[row.pk]),
                    "days": (figures.today - timezone.localdate(row.submitted_at)).days,
                }
                for row in waiting.rows
            ],
            "all_url": changelist_url(
                "municipalities", "joinrequest", status__in=",".join(PENDING_STATUSES)
            ),
        },
    )


def follow_ups_panel(figures: Figures) -> Panel:
    """The user's own follow-ups due today or overdue, the longest overdue first."""
    due = follow_ups_due(figures.user, figures.today)
    return Panel(
        key="follow-ups",
        title=_("Follow-ups due to me"),
        template="dashboard/panels/follow_ups.html",
        context={
            "rows": [
                {
                    "follow_up": follow_up,
                    "url": reverse("admin:activities_followup_change", args=[follow_up.pk]),
                    "member_url": follow_up.member.get_admin_url(),
                    "days_late": (figures.today - follow_up.due_on).days,
                }
                for follow_up in due
            ],
            "all_url": changelist_url("activities", "followup", assigned="me", state="open"),
        },
    )


def not_on_map_panel(figures: Figures) -> Panel:
    counts, first = selectors.members_not_on_map(figures.user)
    return Panel(
        key="not-on-map",
        title=_("Members not on the map"),
        template="dashboard/panels/not_on_map.html",
        context={
            "statuses": [
                {
                    "label": GeocodeStatus(status).label,
                    "count": count,
                    "url": changelist_url("crm", "member", geocode_status__exact=status),
                }
                for status, count in counts.items()
            ],
            "total": sum(counts.values()),
            "first": [
                {
                    "member": member,
                    "url": member.get_admin_url(),
                    "status": GeocodeStatus(member.geocode_status).label,
                }
                for member in first
            ],
        },
    )


def growth_panel(figures: Figures) -> Panel:
    months = figures.cached(selectors.growth_by_month)
    labels = [formats.date_format(row.month, "M y") for row in months]
    title = _("Members in the network, month by month")
    return Panel(
        key="growth",
        title=_("Growth"),
        template="dashboard/panels/chart.html",
        context={
            "chart": figures_cached(
                f"growth_chart:{get_language()}",
                figures.user,
                figures.today,
                lambda: charts.growth_chart(labels, [row.total for row in months], title=title),
            ),
            "caption": title,
            "alt": _(
                "Line chart: %(start)s members at the end of %(first)s, %(end)s at the end "
                "of %(last)s. The figures are in the table below."
            )
            % {
                "start": months[0].total,
                "first": labels[0],
                "end": months[-1].total,
                "last": labels[-1],
            },
            "headers": [_("Month"), _("Added"), _("Members at the end of the month")],
            "table": [
                (label, row.added, row.total) for label, row in zip(labels, months, strict=True)
            ],
        },
    )


#: How many regions the chart names; the rest are summed up as "Other regions".
REGIONS_SHOWN = 12


def regions_panel(figures: Figures) -> Panel:
    by_region: dict[tuple[str, str], int] = {}
    for group in figures.active_groups:
        key = (group.country, group.region)
        by_region[key] = by_region.get(key, 0) + group.count
    rows = sorted(
        (
            (f"{region or _('No region')} ({countries.name(country) or country})", count)
            for (country, region), count in by_region.items()
        ),
        key=lambda row: (-row[1], row[0]),
    )
    shown = rows[:REGIONS_SHOWN]
    rest = sum(count for _label, count in rows[REGIONS_SHOWN:])
    if rest:
        shown.append((_("Other regions"), rest))
    title = _("Active members by region or canton")
    return Panel(
        key="regions",
        title=_("Regions and cantons"),
        template="dashboard/panels/chart.html",
        context={
            "chart": figures_cached(
                f"regions_chart:{get_language()}",
                figures.user,
                figures.today,
                lambda: charts.region_chart(
                    [label for label, _count in shown],
                    [count for _label, count in shown],
                    title=title,
                ),
            )
            if shown
            else None,
            "caption": title,
            "alt": _(
                "Bar chart of active members by region or canton; the figures are in "
                "the table below."
            ),
            "headers": [_("Region or canton"), _("Active members")],
            "table": rows,
        },
    )


PanelFunction = Callable[[Figures], Panel]

#: The dashboard's panels in page order, each with the permissions a user needs to see it
#: (its links lead to the lists of these models).
PANELS: list[tuple[PanelFunction, tuple[str, ...]]] = [
    (active_members_panel, ("crm.view_member",)),
    (expiring_agreements_panel, ("crm.view_agreement",)),
    (join_requests_panel, ("municipalities.view_joinrequest",)),
    (follow_ups_panel, ("activities.view_followup",)),
    (not_on_map_panel, ("crm.view_member",)),
    (new_members_panel, ("crm.view_member",)),
    (growth_panel, ("crm.view_member",)),
    (regions_panel, ("crm.view_member",)),
]


def panels_for(request: HttpRequest, today: datetime.date) -> list[Panel]:
    """The panels `request.user` may see, in order, with their figures."""
    figures = Figures(request, today)
    return [panel(figures) for panel, permissions in PANELS if request.user.has_perms(permissions)]
