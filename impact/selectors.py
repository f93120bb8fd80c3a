"""Impact's read queries: the staff report, the public figures, a member's programmes and
who qualifies for a recognition. Every figure of people passes `impact.disclosure`.

Each breakdown is one GROUP BY over the deliveries (sums of the participant columns), so
the cost follows the number of groups, never the number of deliveries read in Python.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, F, FloatField, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, ExtractYear
from django.utils import timezone, translation
from django_countries import countries

from crm.models import Agreement, Chapter, Member, MemberKind, Recognition, Sector
from impact.disclosure import (
    Change,
    change_pooled,
    minimum_group_size,
    parts_shown,
    shown,
    table_shown,
)
from impact.models import (
    PARTICIPANT_FIELDS,
    Delivery,
    Measurement,
    ParticipantKind,
    Programme,
    ProgrammeType,
    RecognitionRule,
)

#: The sums every breakdown computes, named after the delivery's columns.
REACH_SUMS = {
    "deliveries": Count("pk"),
    "sessions_sum": Coalesce(Sum("sessions"), 0),
    **{f"{name}_sum": Coalesce(Sum(name), 0) for name in PARTICIPANT_FIELDS},
}


@dataclass(frozen=True)
class ReportFilters:
    """What the report is about: a year, a chapter, a type of programme (all optional)."""

    year: int | None = None
    chapter: int | None = None
    programme_type: str = ""

    def deliveries(self, deliveries: QuerySet[Delivery]) -> QuerySet[Delivery]:
        if self.year:
            deliveries = deliveries.filter(started_on__year=self.year)
        if self.chapter:
            deliveries = deliveries.filter(member__chapter_id=self.chapter)
        if self.programme_type:
            deliveries = deliveries.filter(programme__programme_type=self.programme_type)
        return deliveries


@dataclass
class ReachRow:
    """People reached and sessions held by one group (a year, a sector, …)."""

    key: Any
    label: str
    deliveries: int
    sessions: int
    people: int | None
    by_kind: dict[str, int | None]
    #: The counts before any was withheld (never shown; the tables' suppression reads them).
    raw_kinds: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def kind_counts(self) -> list[int | None]:
        """The people of each kind, in the order of `ParticipantKind` (a table's columns)."""
        return [self.by_kind[name] for name in PARTICIPANT_FIELDS]

    @classmethod
    def of(cls, key: Any, label: str, row: dict[str, Any]) -> ReachRow:
        kinds = {name: int(row[f"{name}_sum"]) for name in PARTICIPANT_FIELDS}
        made = cls(
            key,
            label,
            int(row["deliveries"]),
            int(row["sessions_sum"]),
            sum(kinds.values()),
            parts_shown(kinds),
        )
        made.raw_kinds = kinds
        return made


@dataclass
class Breakdown:
    """One table of the report: its rows, each people total withheld when small."""

    name: str
    title: str
    rows: list[ReachRow]
    #: Parts of the grand total overlap (a programme may have several sectors).
    overlapping: bool = False

    def __post_init__(self) -> None:
        people = {index: row.people or 0 for index, row in enumerate(self.rows)}
        if self.overlapping:
            for row in self.rows:
                row.people = shown(row.people)
            return
        for index, value in parts_shown(people).items():
            self.rows[index].people = value
        # The kinds of each row add up to the row, and down to the total's kinds.
        counts = {index: row.raw_kinds for index, row in enumerate(self.rows)}
        for index, kinds in table_shown(counts).items():
            self.rows[index].by_kind = kinds


@dataclass
class Progress:
    programme: Programme
    target: int
    target_kind_label: str
    reached: int | None

    @property
    def percent(self) -> int | None:
        if self.reached is None or not self.target:
            return None
        return round(100 * self.reached / self.target)


@dataclass
class ChangeRow:
    instrument: str
    programme: str
    change: Change


@dataclass
class ImpactReport:
    filters: ReportFilters
    minimum: int
    total: ReachRow
    breakdowns: list[Breakdown]
    progress: list[Progress]
    change: list[ChangeRow]
    change_by_programme: list[ChangeRow] = field(default_factory=list)
    years: list[int] = field(default_factory=list)


def _grouped(deliveries: QuerySet[Delivery], key: str) -> list[dict[str, Any]]:
    return list(deliveries.values(key).annotate(**REACH_SUMS).order_by(key))


def _labels(model, ids: Iterable[Any]) -> dict[Any, str]:
    return {obj.pk: str(obj) for obj in model.objects.filter(pk__in=[i for i in ids if i])}


def impact_report(
    *, deliveries: QuerySet[Delivery], filters: ReportFilters | None = None
) -> ImpactReport:
    """The staff report over `deliveries` (already scoped to the user's chapters).

    About a dozen queries whatever the size of the network.
    """
    filters = filters or ReportFilters()
    years = sorted(
        set(
            deliveries.annotate(y=ExtractYear("started_on"))
            .order_by()
            .values_list("y", flat=True)
            .distinct()
        ),
        reverse=True,
    )
    chosen = filters.deliveries(deliveries)
    total_row = chosen.aggregate(**REACH_SUMS)
    total = ReachRow.of(None, str(translation.gettext("All")), total_row)
    total.people = shown(total.people)

    by_year = [
        ReachRow.of(row["y"], str(row["y"]), row)
        for row in chosen.annotate(y=ExtractYear("started_on"))
        .values("y")
        .annotate(**REACH_SUMS)
        .order_by("-y")
    ]
    sector_rows = _grouped(chosen, "programme__sectors")
    sector_names = _labels(Sector, (row["programme__sectors"] for row in sector_rows))
    no_sector = str(translation.gettext("No sector"))
    by_sector = [
        ReachRow.of(
            row["programme__sectors"],
            sector_names.get(row["programme__sectors"], no_sector),
            row,
        )
        for row in sector_rows
    ]
    by_country = [
        ReachRow.of(row["member__country"], str(countries.name(row["member__country"])), row)
        for row in _grouped(chosen, "member__country")
    ]
    chapter_rows = _grouped(chosen, "member__chapter")
    chapter_names = _labels(Chapter, (row["member__chapter"] for row in chapter_rows))
    no_chapter = str(translation.gettext("No chapter"))
    by_chapter = [
        ReachRow.of(
            row["member__chapter"], chapter_names.get(row["member__chapter"], no_chapter), row
        )
        for row in chapter_rows
    ]
    programme_rows = _grouped(chosen, "programme")
    programmes = Programme.objects.in_bulk([row["programme"] for row in programme_rows])
    by_programme = [
        ReachRow.of(row["programme"], str(programmes[row["programme"]]), row)
        for row in programme_rows
    ]
    by_programme.sort(key=lambda row: row.label.casefold())
    kind_labels = dict(MemberKind.choices)
    by_member_kind = [
        ReachRow.of(row["member__kind"], str(kind_labels.get(row["member__kind"], "")), row)
        for row in _grouped(chosen, "member__kind")
    ]
    _ = translation.gettext
    breakdowns = [
        Breakdown("year", _("By year"), by_year),
        Breakdown("sector", _("By sector"), by_sector, overlapping=True),
        Breakdown("country", _("By country"), by_country),
        Breakdown("chapter", _("By chapter"), by_chapter),
        Breakdown("programme", _("By programme"), by_programme),
        Breakdown("member_kind", _("By kind of member"), by_member_kind),
    ]
    return ImpactReport(
        filters=filters,
        minimum=minimum_group_size(),
        total=total,
        breakdowns=breakdowns,
        progress=programme_progress(deliveries=chosen),
        change=change_by_instrument(Measurement.objects.filter(delivery__in=chosen)),
        change_by_programme=change_by_instrument(
            Measurement.objects.filter(delivery__in=chosen), by_programme=True
        ),
        years=years,
    )


def programme_progress(*, deliveries: QuerySet[Delivery]) -> list[Progress]:
    """Each programme with a target, and how many of its kind of participants it reached."""
    rows = {row["programme"]: row for row in _grouped(deliveries, "programme")}
    progress = []
    kind_labels = dict(ParticipantKind.choices)
    for programme in Programme.objects.filter(
        pk__in=rows, target_participants__isnull=False
    ).order_by("name"):
        row = rows[programme.pk]
        kinds = [programme.target_kind] if programme.target_kind else PARTICIPANT_FIELDS
        reached = sum(int(row[f"{name}_sum"]) for name in kinds)
        label = kind_labels.get(programme.target_kind, translation.gettext("participants"))
        progress.append(
            Progress(programme, programme.target_participants, str(label), shown(reached))
        )
    return progress


CHANGE_SUMS = {
    "measured": Count("pk"),
    "n": Sum("respondents"),
    "sum_mean_before": Sum(F("respondents") * F("mean_before"), output_field=FloatField()),
    "sum_mean_after": Sum(F("respondents") * F("mean_after"), output_field=FloatField()),
    "sum_square_before": Sum(
        (F("respondents") - Value(1)) * F("sd_before") * F("sd_before")
        + F("respondents") * F("mean_before") * F("mean_before"),
        output_field=FloatField(),
    ),
    "sum_square_after": Sum(
        (F("respondents") - Value(1)) * F("sd_after") * F("sd_after")
        + F("respondents") * F("mean_after") * F("mean_after"),
        output_field=FloatField(),
    ),
}


def change_by_instrument(
    measurements: QuerySet[Measurement], *, by_programme: bool = False
) -> list[ChangeRow]:
    """Measured change pooled per instrument (and per programme): one GROUP BY."""
    keys = ["instrument__name"] + (["delivery__programme__name"] if by_programme else [])
    rows = measurements.values(*keys).annotate(**CHANGE_SUMS).order_by(*keys)
    return [
        ChangeRow(
            row["instrument__name"],
            row.get("delivery__programme__name", ""),
            change_pooled(
                measurements=row["measured"],
                n=int(row["n"] or 0),
                sum_mean_before=row["sum_mean_before"] or 0.0,
                sum_mean_after=row["sum_mean_after"] or 0.0,
                sum_square_before=row["sum_square_before"] or 0.0,
                sum_square_after=row["sum_square_after"] or 0.0,
            ),
        )
        for row in rows
    ]


# --- the public figures ---------------------------------------------------------------


def _counted(pairs: Iterable[tuple[Any, int]]) -> dict[Any, int]:
    return {key: int(value) for key, value in pairs if key is not None}


def public_impact(*, language: str = "en", today: datetime.date | None = None) -> dict[str, Any]:
    """The figures the website shows (`GET /api/v1/impact/`): aggregates only, every count
    of a group under IMPACT_MIN_GROUP_SIZE null. Eight queries, whatever the network.

    Members are the active ones today; programmes those with at least one delivery;
    people reached are counted by the deliveries' participants.
    """
    today = today or timezone.localdate()
    with translation.override(language):
        active = Member.objects.filter(
            Exists(Agreement.objects.active_on(today).filter(member=OuterRef("pk")))
        ).order_by()
        by_kind = _counted(active.values("kind").annotate(n=Count("pk")).values_list("kind", "n"))
        by_country = _counted(
            active.values("country").annotate(n=Count("pk")).values_list("country", "n")
        )
        deliveries = Delivery.objects.order_by()
        reach = deliveries.aggregate(**REACH_SUMS)
        by_year = {
            row["y"]: row
            for row in deliveries.annotate(y=ExtractYear("started_on"))
            .values("y")
            .annotate(**REACH_SUMS)
        }
        sector_rows = {
            row["programme__sectors"]: row
            for row in deliveries.filter(programme__sectors__isnull=False)
            .values("programme__sectors")
            .annotate(**REACH_SUMS)
        }
        sectors = Sector.objects.in_bulk(list(sector_rows))
        countries_reached = deliveries.values("member__country").distinct().count()
        programmes = _counted(
            Programme.objects.filter(Exists(Delivery.objects.filter(programme=OuterRef("pk"))))
            .order_by()
            .values("programme_type")
            .annotate(n=Count("pk"))
            .values_list("programme_type", "n")
        )
        change = change_by_instrument(Measurement.objects.all())

        kind_labels = dict(MemberKind.choices)
        type_labels = dict(ProgrammeType.choices)
        participant_labels = dict(ParticipantKind.choices)

        def reached(row: dict[str, Any], kinds_shown: dict[str, int | None] | None = None):
            kinds = {name: int(row[f"{name}_sum"]) for name in PARTICIPANT_FIELDS}
            return {
                "total": shown(sum(kinds.values())),
                "sessions": int(row["sessions_sum"]),
                "by_participant_kind": [
                    {"kind": name, "label": str(participant_labels[name]), "count": count}
                    for name, count in (kinds_shown or parts_shown(kinds)).items()
                ],
            }

        # Years by kind add up to the totals by kind: withheld along rows and columns.
        year_kinds = table_shown(
            {
                year: {name: int(row[f"{name}_sum"]) for name in PARTICIPANT_FIELDS}
                for year, row in by_year.items()
            }
        )

        # The years' totals add up to the total shown: a lone withheld year would follow.
        year_totals = parts_shown(
            {
                year: sum(int(row[f"{name}_sum"]) for name in PARTICIPANT_FIELDS)
                for year, row in by_year.items()
            }
        )

        member_kinds = parts_shown(by_kind)
        member_countries = parts_shown(by_country)
        # Sectors may overlap, but when each programme serves one they are parts of the
        # total: withheld as parts, so a lone small sector cannot be subtracted back.
        sector_counts = parts_shown(
            {
                pk: sum(int(row[f"{name}_sum"]) for name in PARTICIPANT_FIELDS)
                for pk, row in sector_rows.items()
            }
        )
        body = {
            "minimum_group_size": minimum_group_size(),
            "members": {
                "total": shown(sum(by_kind.values())),
                "by_kind": [
                    {"kind": kind, "label": str(kind_labels.get(kind, kind)), "count": count}
                    for kind, count in sorted(member_kinds.items())
                ],
                "by_country": [
                    {"country": code, "name": str(countries.name(code)), "count": count}
                    for code, count in sorted(member_countries.items())
                ],
            },
            "countries": len(by_country),
            "countries_reached": countries_reached,
            "programmes": {
                "total": sum(programmes.values()),
                "by_type": [
                    {"type": kind, "label": str(type_labels.get(kind, kind)), "count": count}
                    for kind, count in sorted(programmes.items())
                ],
            },
            "reached": {
                **reached(reach),
                # Sectors overlap when a programme serves several; withheld as parts all the same.
                "by_sector": sorted(
                    (
                        {
                            "sector": sectors[pk].slug,
                            "name": sectors[pk].name_for(language),
                            "count": count,
                        }
                        for pk, count in sector_counts.items()
                        if pk in sectors
                    ),
                    key=lambda item: item["sector"],
                ),
                "by_year": [
                    {
                        "year": int(year),
                        **reached(row, year_kinds[year]),
                        "total": year_totals[year],
                    }
                    for year, row in sorted(by_year.items(), reverse=True)
                ],
            },
            "change": [
                {
                    "instrument": row.instrument,
                    "respondents": row.change.respondents,
                    "mean_before": _rounded(row.change.mean_before),
                    "mean_after": _rounded(row.change.mean_after),
                    "change": _rounded(row.change.change),
                }
                for row in change
            ],
        }
    return body


@dataclass(frozen=True)
class YearReach:
    """What the network's programmes did in one year, for a line of public figures."""

    people: int | None  # None: a group under IMPACT_MIN_GROUP_SIZE, withheld
    programmes: int


def reach_in_year(year: int) -> YearReach:
    """People reached and programmes delivered in `year` (deliveries started then): one
    query. The same figures, and the same withholding, as `public_impact`'s year (which
    sets the year's people against the other years', so all years are read)."""
    rows = {
        row["y"]: row
        for row in Delivery.objects.annotate(y=ExtractYear("started_on"))
        .order_by()
        .values("y")
        .annotate(programmes=Count("programme", distinct=True), **REACH_SUMS)
    }
    people = parts_shown(
        {y: sum(int(row[f"{name}_sum"]) for name in PARTICIPANT_FIELDS) for y, row in rows.items()}
    )
    if year not in rows:
        return YearReach(people=0, programmes=0)
    return YearReach(people=people[year], programmes=rows[year]["programmes"])


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def member_public_programmes(member_id: int) -> list[dict[str, Any]] | None:
    """The programmes a member on the public map took part in, newest first; an empty list
    unless the member allows it (`show_programmes`); None when it is not on the map."""
    member = Member.objects.on_map().filter(pk=member_id).values("show_programmes").first()
    if member is None:
        return None
    if not member["show_programmes"]:
        return []
    type_labels = dict(ProgrammeType.choices)
    rows = (
        Delivery.objects.filter(member_id=member_id)
        .values("programme_id", "programme__name", "programme__programme_type")
        .annotate(last=ExtractYear("started_on"))
        .order_by("-started_on", "programme__name")
    )
    seen: dict[int, dict[str, Any]] = {}
    for row in rows:
        if row["programme_id"] not in seen:
            seen[row["programme_id"]] = {
                "name": row["programme__name"],
                "type": row["programme__programme_type"],
                "type_label": str(type_labels.get(row["programme__programme_type"], "")),
                "year": row["last"],
            }
    return list(seen.values())


# --- recognitions -------------------------------------------------------------------------


@dataclass
class Standing:
    """Who qualifies for a rule's title on a day, and how that compares with the awards."""

    rule: RecognitionRule
    day: datetime.date
    #: Qualify and do not hold the title: candidates for an award.
    to_award: list[Member]
    #: Hold the title and no longer qualify: candidates for a withdrawal.
    to_review: list[tuple[Member, Recognition]]
    #: Qualify and hold it.
    holding: list[Member]


def months_before(day: datetime.date, months: int) -> datetime.date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def qualifying_members(rule: RecognitionRule, day: datetime.date) -> QuerySet[Member]:
    """Members that meet `rule` on `day`: the rule's one definition, as a queryset."""
    members = Member.objects.all()
    if rule.member_kind:
        members = members.filter(kind=rule.member_kind)
    if rule.requires_active_agreement:
        members = members.active_on(day)
    if rule.deliveries_required:
        recent = Delivery.objects.filter(
            member=OuterRef("pk"),
            started_on__lte=day,
            started_on__gt=months_before(day, rule.within_months),
        )
        if rule.programme_types:
            recent = recent.filter(programme__programme_type__in=rule.programme_types)
        counted = recent.order_by().values("member").annotate(n=Count("pk")).values("n")[:1]
        members = members.annotate(recent_deliveries=Coalesce(counted, 0)).filter(
            recent_deliveries__gte=rule.deliveries_required
        )
    return members


def recognition_standing(
    rule: RecognitionRule, *, members: QuerySet[Member], day: datetime.date | None = None
) -> Standing:
    """`rule` on `day` among `members` (the staff user's scope): two queries."""
    day = day or timezone.localdate()
    qualifying = {
        m.pk: m for m in qualifying_members(rule, day).filter(pk__in=members.values("pk"))
    }
    held = (
        Recognition.objects.filter(
            # Held on `day`: a title withdrawn later was still held then.
            Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=day),
            title=rule.title,
            awarded_on__lte=day,
            member__in=members.values("pk"),
        )
        .select_related("member")
        .order_by("member__name")
    )
    holders = {r.member_id: r for r in held}
    return Standing(
        rule=rule,
        day=day,
        to_award=sorted(
            (m for pk, m in qualifying.items() if pk not in holders),
            key=lambda m: m.name.casefold(),
        ),
        to_review=[(r.member, r) for pk, r in holders.items() if pk not in qualifying],
        holding=[r.member for pk, r in holders.items() if pk in qualifying],
    )
