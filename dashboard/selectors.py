"""The dashboard's figures: one query each, whatever the size of the network.

Every query starts from `scope_queryset`, so a chapter's staff count their own chapters
only. Each function groups or limits in SQL and returns small plain values, so that the
page costs the same number of queries at a hundred members and at a hundred thousand.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.db.models.functions import Lower
from django.utils import timezone

from crm.models import Agreement, GeocodeStatus, Member
from crm.scope import scope_queryset
from municipalities.models import PENDING_STATUSES, JoinRequest

#: The horizons of the "agreements expiring" panel, in days (the admin filter's choices).
EXPIRING_HORIZONS = (30, 60, 90)
#: Geocoding statuses of members that the map cannot show until someone acts.
NOT_ON_MAP_STATUSES = (GeocodeStatus.FAILED, GeocodeStatus.UNPLACED)


@dataclass(frozen=True)
class ActiveGroup:
    """Active members of one kind, chapter and region."""

    kind: str
    chapter_id: int | None
    chapter_name: str
    country: str
    region: str
    count: int


def active_members_grouped(user, *, today: datetime.date) -> list[ActiveGroup]:
    """Members with an agreement in force `today`, counted by kind, chapter and region.

    One grouped query serves two panels (by kind and chapter, by region): the test of
    "in force" is the costly part, so it runs once.
    """
    rows = (
        scope_queryset(Member.objects.active_on(today), user)
        .values("kind", "chapter_id", "chapter__name", "country", "region")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return [
        ActiveGroup(
            kind=row["kind"],
            chapter_id=row["chapter_id"],
            chapter_name=row["chapter__name"] or "",
            country=str(row["country"]),
            region=row["region"],
            count=row["count"],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class NewMembers:
    """Members added this year so far, against the same days of last year and all of it."""

    this_year: int
    last_year_same_days: int
    last_year: int


def _year_start(year: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(year, 1, 1))


def new_members(user, *, today: datetime.date) -> NewMembers:
    """Counted on the members' creation in Kindnet (the date every kind has), by the
    created_at index: only the rows of the two years are read."""
    this_start, last_start = _year_start(today.year), _year_start(today.year - 1)
    try:
        same_day = today.replace(year=today.year - 1)
    except ValueError:  # 29 February: last year's days end on the 28th
        same_day = today.replace(year=today.year - 1, day=28)
    same_end = timezone.make_aware(
        datetime.datetime.combine(same_day + datetime.timedelta(days=1), datetime.time())
    )
    counts = scope_queryset(Member.objects.filter(created_at__gte=last_start), user).aggregate(
        this_year=Count("pk", filter=Q(created_at__gte=this_start)),
        last_year=Count("pk", filter=Q(created_at__lt=this_start)),
        last_year_same_days=Count("pk", filter=Q(created_at__lt=min(same_end, this_start))),
    )
    return NewMembers(**counts)


@dataclass(frozen=True)
class MonthCount:
    month: datetime.date
    added: int
    total: int


def growth_by_month(user, *, today: datetime.date, months: int = 24) -> list[MonthCount]:
    """Members in the network at the end of each of the last `months` months: how many
    there were before, then each month's additions (two queries).

    The month of each row is found by comparing its creation with the months' first
    instants, computed here in the local time zone: a TruncMonth would be a Python
    function per row on SQLite (4 s at 100,000 members), and 24 conditional counts
    compare every row 24 times. The comparisons form a binary search (`_bucket`), five
    per row.
    """
    firsts = [today.replace(day=1)]
    for _ in range(months - 1):
        firsts.insert(0, (firsts[0] - datetime.timedelta(days=1)).replace(day=1))
    bounds = [_day_start(day) for day in firsts]
    members = scope_queryset(Member.objects.all(), user)
    before = members.filter(created_at__lt=bounds[0]).count()
    added = dict(
        members.filter(created_at__gte=bounds[0])
        .annotate(bucket=_bucket(bounds, 0, len(bounds)))
        .values_list("bucket")
        .annotate(count=Count("pk"))
        .order_by()
    )
    result, total = [], before
    for index, month in enumerate(firsts):
        total += added.get(index, 0)
        result.append(MonthCount(month=month, added=added.get(index, 0), total=total))
    return result


def _bucket(bounds: list[datetime.datetime], low: int, high: int):
    """The index i in [low, high) of the last bound at or before `created_at`."""
    if high - low == 1:
        return Value(low)
    middle = (low + high) // 2
    return Case(
        When(created_at__lt=bounds[middle], then=_bucket(bounds, low, middle)),
        default=_bucket(bounds, middle, high),
        output_field=IntegerField(),
    )


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def expiring_agreement_counts(user, *, today: datetime.date) -> dict[int, int]:
    """{days: active agreements ending within that many days} for each horizon, one query."""
    horizon = max(EXPIRING_HORIZONS)
    agreements = scope_queryset(Agreement.objects.expiring_within(horizon, today), user)
    counts = agreements.aggregate(
        **{
            f"d{days}": Count("pk", filter=Q(ends_on__lte=today + datetime.timedelta(days=days)))
            for days in EXPIRING_HORIZONS
        }
    )
    return {days: counts[f"d{days}"] for days in EXPIRING_HORIZONS}


def agreements_ending_soonest(user, *, today: datetime.date, limit: int = 8) -> list[Agreement]:
    """The active agreements that end first within the longest horizon, with their member."""
    agreements = Agreement.objects.expiring_within(max(EXPIRING_HORIZONS), today)
    return list(
        scope_queryset(agreements, user)
        .select_related("member")
        .only("reference", "ends_on", "auto_renew", "member__name", "member__kind")
        .order_by("ends_on", "reference")[:limit]
    )


@dataclass(frozen=True)
class Waiting:
    """The first rows of a to-do list and how many there are in all."""

    rows: list
    total: int


def join_requests_waiting(user, *, limit: int = 8) -> Waiting:
    """Join requests without a decision, the oldest first."""
    pending = scope_queryset(JoinRequest.objects.filter(status__in=PENDING_STATUSES), user)
    rows = list(
        pending.select_related("municipality_reference")
        .only(
            "reference",
            "status",
            "country",
            "municipality_name",
            "submitted_at",
            "municipality_reference__name",
            "municipality_reference__province_code",
        )
        .order_by("submitted_at", "pk")[:limit]
    )
    return Waiting(rows=rows, total=pending.count())


def members_not_on_map(user, *, limit: int = 8) -> tuple[dict[str, int], list[Member]]:
    """({status: count} of members geocoding could not place, the first of them by name)."""
    stuck = scope_queryset(Member.objects.filter(geocode_status__in=NOT_ON_MAP_STATUSES), user)
    counts = dict(stuck.values_list("geocode_status").annotate(count=Count("pk")).order_by())
    # Ordered on an expression, not on the name's index: walking every member in name
    # order to find the few stuck ones of a chapter cost SQLite 180 ms at 100,000 members;
    # the status index finds them and a sort of those few follows.
    first = list(
        stuck.only("name", "kind", "city", "geocode_status", "geocode_error").order_by(
            Lower("name"), "pk"
        )[:limit]
    )
    return {status: counts.get(status, 0) for status in NOT_ON_MAP_STATUSES}, first
