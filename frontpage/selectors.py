"""The front page's figures: what the network is today, in three grouped queries.

Cached like the public map's feed: keyed by the map feed's version, which every change
of the network bumps (`publicmap.cache`), and by the day, because "active today" changes
at midnight without a write. A hit costs what reading that version costs (one primary-key
SELECT with the default local-memory cache, one cache read with a shared cache).
"""

from __future__ import annotations

import contextlib
import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, Q
from django.db.models.functions import Round
from django.utils import timezone

from crm.models import Member, MemberKind
from crm.shared_cache import CacheUnavailable, cache_call
from impact.cache import impact_version
from impact.selectors import YearReach, reach_in_year
from municipalities.models import Municipality
from publicmap.cache import map_feed_version

#: The preview's cells per degree: 2 is half a degree (about 50 km), coarse enough that a
#: dot never points at one ambassador's home, fine enough to draw the network's shape.
PREVIEW_CELLS_PER_DEGREE = 2
FIGURES_CACHE_TIMEOUT = 24 * 3600


@dataclass(frozen=True)
class PreviewCell:
    """Members on the public map around a point (the centre of a cell of the preview)."""

    longitude: float
    latitude: float
    members: int


@dataclass(frozen=True)
class NetworkFigures:
    """Active members by kind and country, municipalities that joined this year, and the
    public map's members in coarse cells for a preview."""

    day: datetime.date
    by_kind_and_country: dict[tuple[str, str], int]
    municipalities_joined_this_year: int
    preview: list[PreviewCell] = field(default_factory=list)
    #: People reached and programmes delivered this year (impact), small groups withheld.
    reach: YearReach = field(default_factory=lambda: YearReach(people=None, programmes=0))

    @property
    def members(self) -> int:
        return sum(self.by_kind_and_country.values())

    def by_kind(self) -> dict[str, int]:
        """Every kind, in MemberKind's order, with 0 for a kind without members."""
        counts = dict.fromkeys(MemberKind.values, 0)
        for (kind, _country), count in self.by_kind_and_country.items():
            counts[kind] = counts.get(kind, 0) + count
        return counts

    def by_country(self) -> dict[str, dict[str, int]]:
        """{country code: {kind: count}}, the largest country first."""
        rows: dict[str, dict[str, int]] = {}
        for (kind, country), count in self.by_kind_and_country.items():
            rows.setdefault(country, dict.fromkeys(MemberKind.values, 0))[kind] += count
        return dict(sorted(rows.items(), key=lambda item: (-sum(item[1].values()), item[0])))


def network_figures_build(day: datetime.date | None = None) -> NetworkFigures:
    """The figures from the database: four queries, whatever the size of the network."""
    day = day or timezone.localdate()
    grouped = (
        Member.objects.active_on(day)
        .order_by()  # Member.Meta.ordering would join the GROUP BY
        .values_list("kind", "country")
        .annotate(count=Count("pk"))
    )
    joined = (
        Municipality.objects.filter(joined_on__year=day.year, joined_on__lte=day).order_by().count()
    )
    return NetworkFigures(
        day=day,
        by_kind_and_country={(kind, str(country)): count for kind, country, count in grouped},
        municipalities_joined_this_year=joined,
        preview=_preview_cells(),
        reach=reach_in_year(day.year),
    )


def _preview_cells() -> list[PreviewCell]:
    min_lon, min_lat, max_lon, max_lat = settings.MAP_DEFAULT_BOUNDS
    step = PREVIEW_CELLS_PER_DEGREE
    rows = (
        Member.objects.on_map()
        .filter(
            Q(longitude__gte=min_lon, longitude__lte=max_lon)
            & Q(latitude__gte=min_lat, latitude__lte=max_lat)
        )
        .order_by()
        .annotate(cell_x=Round(F("longitude") * step), cell_y=Round(F("latitude") * step))
        .values_list("cell_x", "cell_y")
        .annotate(count=Count("pk"))
        .order_by("cell_y", "cell_x")
    )
    return [PreviewCell(x / step, y / step, count) for x, y, count in rows]


def network_figures() -> NetworkFigures:
    """The figures of today, from the cache when the network has not changed since."""
    day = timezone.localdate()
    try:
        # The network's version (members, agreements) and the programmes' (deliveries).
        version = f"{map_feed_version():.6f}:{impact_version():.6f}"
    except CacheUnavailable:
        return network_figures_build(day)
    key = f"front-page:figures:{version}:{day.isoformat()}"
    try:
        figures = cache_call(lambda: cache.get(key), what="front page figures")
    except CacheUnavailable:
        return network_figures_build(day)
    if figures is None:
        figures = network_figures_build(day)
        # Shown all the same if the cache is down; the next request tries it again.
        with contextlib.suppress(CacheUnavailable):
            cache_call(
                lambda: cache.set(key, figures, timeout=FIGURES_CACHE_TIMEOUT),
                what="front page figures",
            )
    return figures
