"""The public map's read queries: its feed (members and clusters) and its filter options.

The feed is built here from plain tuples (`values_list`), never from
model instances or serializers, so 100,000 members cost two SQL queries and one
pass in Python: the members, then their sector names and recognition titles.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson
from django.conf import settings
from django.db.models import CharField, DateField, Exists, OuterRef, Q, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import translation
from django_countries import countries

from crm.models import Member, MemberKind, MemberQuerySet, Recognition, Sector

#: Columns of a map row, in this order (see `map_feed_build`).
MAP_COLUMNS = ("id", "kind", "name", "city", "country", "longitude", "latitude")
MAP_DETAIL_COLUMNS = ("website", "description")

#: Grid cells per 256-pixel map tile: points within about 64 pixels share a cluster.
CLUSTER_CELLS_PER_TILE = 4
#: Web Mercator stops here; beyond it every latitude falls in the first or last row.
MERCATOR_MAX_LATITUDE = 85.0511287798

#: Cluster centres and the `bbox` a query filters on keep 6 decimals (about 10 cm); an
#: ambassador's point keeps 2 (about 1 km), so a person is never placed finer than
#: their city. See `_public_position`: the privacy rule lives there, once.
COORDINATE_DECIMALS = 6
AMBASSADOR_COORDINATE_DECIMALS = 2
#: How far a stored point may lie from its published one: the database is asked for a
#: box widened by this much, and the rows are then kept by their published position.
PUBLIC_POSITION_MAX_SHIFT = 0.5 * 10**-AMBASSADOR_COORDINATE_DECIMALS + 1e-9

#: Up to this many members, sectors and titles are asked for by id; beyond, by the
#: feed's filters (a long IN list would hit SQLite's limit on parameters).
DETAILS_BY_ID_MAX = 500

BBox = tuple[float, float, float, float]
NOTHING: tuple = ()


@dataclass(frozen=True)
class MapFilters:
    """What the public map asks for; every field optional (empty means no filter)."""

    kinds: tuple[str, ...] = ()
    country: str = ""
    chapter: int | None = None
    sector: str = ""
    bbox: BBox | None = None

    def __post_init__(self) -> None:
        # The cache key and the query must use the same numbers: a box is rounded once,
        # here, so two boxes that share a key also share their answer.
        if self.bbox is not None:
            rounded = tuple(round(float(v), COORDINATE_DECIMALS) for v in self.bbox)
            object.__setattr__(self, "bbox", rounded)

    def cache_key(self) -> str:
        bbox = ",".join(f"{v:.6f}" for v in self.bbox) if self.bbox else ""
        return (
            f"k={','.join(sorted(self.kinds))};c={self.country};ch={self.chapter or ''};"
            f"s={self.sector};b={bbox}"
        )

    def widened(self) -> MapFilters:
        """These filters with the box grown by the largest shift of a published point:
        what the database is asked for before rows are kept by their published position."""
        if self.bbox is None:
            return self
        min_lon, min_lat, max_lon, max_lat = self.bbox
        shift = PUBLIC_POSITION_MAX_SHIFT
        wide = MapFilters(
            kinds=self.kinds, country=self.country, chapter=self.chapter, sector=self.sector
        )
        object.__setattr__(
            wide, "bbox", (min_lon - shift, min_lat - shift, max_lon + shift, max_lat + shift)
        )
        return wide

    def contains(self, lon: float, lat: float) -> bool:
        """Whether a (published) point is in the box; the same test as `q()` in SQL."""
        if self.bbox is None:
            return True
        min_lon, min_lat, max_lon, max_lat = self.bbox
        if not min_lat <= lat <= max_lat:
            return False
        if min_lon <= max_lon:
            return min_lon <= lon <= max_lon
        return lon >= min_lon or lon <= max_lon

    def q(self, prefix: str = "") -> Q:
        """These filters as a condition on members, or on rows `prefix` leads to a member."""
        condition = Q()
        if self.kinds:
            condition &= Q(**{f"{prefix}kind__in": self.kinds})
        if self.country:
            condition &= Q(**{f"{prefix}country": self.country})
        if self.chapter is not None:
            condition &= Q(**{f"{prefix}chapter_id": self.chapter})
        if self.sector:
            # The slug is unique, so this join cannot repeat a member.
            condition &= Q(**{f"{prefix}sectors__slug": self.sector})
        if self.bbox:
            min_lon, min_lat, max_lon, max_lat = self.bbox
            condition &= Q(**{f"{prefix}latitude__gte": min_lat, f"{prefix}latitude__lte": max_lat})
            if min_lon <= max_lon:
                condition &= Q(
                    **{f"{prefix}longitude__gte": min_lon, f"{prefix}longitude__lte": max_lon}
                )
            else:  # The box crosses the antimeridian (RFC 7946, section 5.2).
                condition &= Q(**{f"{prefix}longitude__gte": min_lon}) | Q(
                    **{f"{prefix}longitude__lte": max_lon}
                )
        return condition


def members_for_map(filters: MapFilters | None = None) -> MemberQuerySet:
    """The members the public map shows, filtered: active today, located, shown, consenting.

    The box is matched on stored coordinates, so this is a superset for the public:
    `map_feed_build` asks for the widened box and keeps rows by their published position.
    """
    filters = filters or MapFilters()
    return Member.objects.on_map().filter(filters.q()).order_by("pk")


def map_feed_json(
    *, filters: MapFilters | None = None, zoom: int | None = None, language: str = "en"
) -> bytes:
    """`map_feed_build` encoded as UTF-8 JSON.

    The collector stays paused until the dict is freed again, so the hundreds of
    thousands of objects it held never make a collection run at all.
    """
    with _no_garbage_collection():
        return orjson.dumps(map_feed_build(filters=filters, zoom=zoom, language=language))


def map_feed_build(
    *, filters: MapFilters | None = None, zoom: int | None = None, language: str = "en"
) -> dict[str, Any]:
    """The public map as a GeoJSON FeatureCollection (a dict ready for a JSON encoder).

    `total` counts the members before clustering and `countries` their distinct
    countries. With `zoom`, members closer than about 64 pixels at that zoom come
    back as one cluster feature (count, bbox); without it, every member on its own.
    Lists may be tuples: JSON encoders write both as arrays.
    """
    filters = filters or MapFilters()
    with _no_garbage_collection(), translation.override(language):
        stored = members_for_map(filters.widened())
        rows = _public_rows(stored.values_list(*MAP_COLUMNS, *MAP_DETAIL_COLUMNS), filters)
        singles, clusters = _cluster(rows, zoom)
        sectors, titles = _member_details(filters.widened(), [row[0] for row in singles], language)
        features = _member_features(singles, sectors, titles)
        features.extend(_cluster_feature(positions) for positions in clusters)
    return {
        "type": "FeatureCollection",
        "total": len(rows),
        "countries": len({row[4] for row in rows}),
        "features": features,
    }


@contextmanager
def _no_garbage_collection() -> Iterator[None]:
    """Pause the cyclic collector while building: the feed makes hundreds of thousands
    of small containers and no cycle, and each collection would walk them all again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _public_rows(rows, filters: MapFilters) -> list[tuple]:
    """The public's rows: every point at its published position, and kept only when that
    position is in the box. Filtering, clustering and caching then see the same numbers as
    the public, so no box however small tells more than the published point."""
    if filters.bbox is None:
        return [_public_position(row) for row in rows]
    public = (_public_position(row) for row in rows)
    return [row for row in public if filters.contains(row[5], row[6])]


def _public_position(row: tuple) -> tuple:
    """An ambassador's row with coordinates rounded to about 1 km; any other row as is.

    The one privacy rule of the public coordinates: the feed never filters, clusters or
    caches on anything but what this returns."""
    if row[1] != MemberKind.AMBASSADOR:
        return row
    lon = round(row[5], AMBASSADOR_COORDINATE_DECIMALS)
    lat = round(row[6], AMBASSADOR_COORDINATE_DECIMALS)
    return (*row[:5], lon, lat, *row[7:])


def _cluster(rows: list[tuple], zoom: int | None) -> tuple[list[tuple], list[list[tuple]]]:
    """Split rows into single members and clusters (lists of their members' [lon, lat]).

    A fixed grid over Web Mercator, so a cluster does not move when the map pans.
    """
    if zoom is None or zoom >= settings.MAP_CLUSTER_MAX_ZOOM:
        return rows, []
    cells_per_side = (1 << zoom) * CLUSTER_CELLS_PER_TILE
    last = cells_per_side - 1
    cells: dict[tuple[int, int], list[tuple]] = {}
    for row in rows:
        lon, lat = row[5], row[6]
        lat = max(-MERCATOR_MAX_LATITUDE, min(MERCATOR_MAX_LATITUDE, lat))
        sin_lat = math.sin(math.radians(lat))
        y = 0.5 - math.log((1 + sin_lat) / (1 - sin_lat)) / (4 * math.pi)
        x = (lon + 180.0) / 360.0
        cell = (min(int(x * cells_per_side), last), min(int(y * cells_per_side), last))
        cells.setdefault(cell, []).append(row)
    singles, clusters = [], []
    for members in cells.values():
        if len(members) == 1:
            singles.append(members[0])
        else:
            clusters.append([(row[5], row[6]) for row in members])
    return singles, clusters


def _member_details(
    filters: MapFilters, member_ids: list[int], language: str
) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """Sector names and recognition titles by member, in one query (none if no member).

    One UNION of three selects: the recognitions, the member-sector links and the
    sectors' names. Beyond DETAILS_BY_ID_MAX members, links and titles are read for
    a superset (the feed's filters without its agreement test, which would cost as
    much again) and rows of other members are skipped here.
    """
    if not member_ids:
        return {}, {}
    if len(member_ids) <= DETAILS_BY_ID_MAX:
        of_members = Q(member_id__in=member_ids)
    else:
        of_members = filters.q("member__") & Q(member__show_on_map=True)
    name: Any = "name_en"
    if language == "it":
        name = Coalesce(NullIf("name_it", Value("")), "name_en")
    # Titles come first: their typed columns give the untyped NULLs below their type
    # on PostgreSQL. NULLs are typed as text so no Python converter runs on any row.
    null = Value(None, output_field=CharField())
    titles = Recognition.objects.filter(of_members).values_list(
        "member_id", null, "title", "awarded_on"
    )
    links = Member.sectors.through.objects.filter(of_members).values_list(
        "member_id", "sector_id", null, Value(None, output_field=DateField())
    )
    names = Sector.objects.values_list(null, "pk", name, null)
    rows = titles.order_by().union(links.order_by(), names.order_by(), all=True)

    sector_names: dict[int, str] = {}
    sectors_of: dict[int, list[int]] = {}
    titles_of: dict[int, list[tuple]] = {}
    wanted = set(member_ids)
    for member_id, sector_id, title, day in rows:
        if member_id is None:
            sector_names[int(sector_id)] = title
        elif member_id not in wanted:
            continue
        elif sector_id is not None:
            sectors_of.setdefault(member_id, []).append(int(sector_id))
        else:
            titles_of.setdefault(member_id, []).append((day, title))

    # Few combinations of sectors exist: sort the names of each combination once.
    by_combination: dict[tuple[int, ...], list[str]] = {}
    sectors: dict[int, list[str]] = {}
    for member_id, sector_ids in sectors_of.items():
        combination = tuple(sector_ids)
        labels = by_combination.get(combination)
        if labels is None:
            labels = sorted((sector_names[pk] for pk in sector_ids), key=str.casefold)
            by_combination[combination] = labels
        sectors[member_id] = labels
    titles_by_member: dict[int, list[str]] = {}
    for member_id, awarded in titles_of.items():
        # Newest first, then by title, as the admin lists them.
        awarded.sort(key=lambda pair: (-pair[0].toordinal(), pair[1]))
        titles_by_member[member_id] = [title for _day, title in awarded]
    return sectors, titles_by_member


def _member_features(
    rows: list[tuple], sectors: dict[int, list[str]], titles: dict[int, list[str]]
) -> list[dict[str, Any]]:
    """One GeoJSON feature per row: the hot loop of the feed, so labels are looked up once."""
    kind_labels = {kind.value: str(kind.label) for kind in MemberKind}
    country_names = {code: str(countries.name(code)) for code in {row[4] for row in rows}}
    ambassador = MemberKind.AMBASSADOR.value
    sectors_of, titles_of = sectors.get, titles.get
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": (lon, lat)},
            "properties": {
                "cluster": False,
                "id": pk,
                "kind": kind,
                "kind_label": kind_labels.get(kind, kind),
                "name": name,
                "city": city,
                "country": country,
                "country_name": country_names[country],
                "sectors": sectors_of(pk, NOTHING),
                "recognitions": titles_of(pk, NOTHING),
                "website": website,
                "description": description,
            },
        }
        for pk, kind, name, city, country, lon, lat, website, description in rows
    ]
    for feature in features:
        # A person's own website is never published.
        if feature["properties"]["kind"] == ambassador:
            del feature["properties"]["website"]
    return features


def _cluster_feature(positions: list[tuple]) -> dict[str, Any]:
    lons = [lon for lon, _lat in positions]
    lats = [lat for _lon, lat in positions]
    centre = (
        round(sum(lons) / len(lons), COORDINATE_DECIMALS),
        round(sum(lats) / len(lats), COORDINATE_DECIMALS),
    )
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": centre},
        "properties": {
            "cluster": True,
            "count": len(positions),
            "bbox": (min(lons), min(lats), max(lons), max(lats)),
        },
    }


@dataclass(frozen=True)
class MapFilterOption:
    value: str
    label: str


@dataclass(frozen=True)
class MapFilterOptions:
    """The choices the public map offers: only countries and sectors that have members on it."""

    countries: list[MapFilterOption]
    sectors: list[MapFilterOption]


def map_filter_options(*, language: str | None = None) -> MapFilterOptions:
    """Countries and sectors of the members the public map shows, named in `language`.

    Two queries, whatever the size of the network: an empty choice would only lead
    to an empty map, so options without a member on the map are left out.
    """
    on_map = Member.objects.on_map()
    # order_by(): Member.Meta.ordering would otherwise become part of the DISTINCT.
    codes = on_map.order_by().values_list("country", flat=True).distinct()
    country_options = sorted(
        (MapFilterOption(str(code), str(countries.name(code))) for code in codes),
        key=lambda option: option.label,
    )
    through = Member.sectors.through
    used = through.objects.filter(sector=OuterRef("pk"), member__in=on_map.values("pk"))
    sector_options = sorted(
        (
            MapFilterOption(sector.slug, sector.name_for(language))
            for sector in Sector.objects.filter(Exists(used))
        ),
        key=lambda option: option.label,
    )
    return MapFilterOptions(countries=country_options, sectors=sector_options)
