"""The public map's read queries: its feed (members and clusters) and its filter options.

The feed is built here from plain tuples (`values_list`), never from model instances
or serializers. Its cost follows its answer, never more than MAP_MAX_FEATURES features:
clusters are counted and measured by the database (GROUP BY grid cell), and only the
members shown on their own are read, with their sector names and recognition titles.
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
from django.db import connections
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    Field,
    FloatField,
    Max,
    Min,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import (
    Coalesce,
    Floor,
    Greatest,
    Least,
    Ln,
    NullIf,
    Radians,
    Round,
    Sin,
)
from django.utils import timezone, translation
from django_countries import countries

from crm.models import Member, MemberKind, MemberQuerySet, Recognition, Sector
from publicmap.grid import (
    MERCATOR_MAX_LATITUDE,
    BBox,
    cells_per_side,
    mercator_x,
    mercator_y,
    zoom_fitting,
)
from publicmap.models import MapGridBuild, MapGridCell

#: Columns of a map row, in this order (see `map_feed_build`).
MAP_COLUMNS = ("id", "kind", "name", "city", "country_code", "map_longitude", "map_latitude")
MAP_DETAIL_COLUMNS = ("website", "description")
#: A single member of a cluster grid: its position comes from the grouped rows.
SINGLE_COLUMNS = ("id", "kind", "name", "city", "country", *MAP_DETAIL_COLUMNS)
#: The database groups on a grid of at most this many times MAP_MAX_FEATURES cells over
#: the box, so a coarsened answer is merged from a bounded number of rows.
GRID_HEADROOM = 16
#: The zooms of the grid index's cells: a clustered zoom is read from the first of them at
#: or above it (at most 4 index rows per cell of the answer, per kind, country, chapter).
#: The last (cells of about 0.09 degrees) is built from the members, the others from it;
#: finer views hold few members and are grouped live.
GRID_INDEX_ZOOMS = (2, 4, 6, 8, 10)
GRID_INDEX_ZOOM = GRID_INDEX_ZOOMS[-1]

#: Cluster centres and the `bbox` a query filters on keep 6 decimals (about 10 cm); an
#: ambassador's point keeps 2 (about 1 km), so a person is never placed finer than
#: their city. See `published_members`: the privacy rule lives there, once.
COORDINATE_DECIMALS = 6
AMBASSADOR_COORDINATE_DECIMALS = 2
#: How far a stored point may lie from its published one: the database is asked for a
#: box widened by this much, and the rows are then kept by their published position.
PUBLIC_POSITION_MAX_SHIFT = 0.5 * 10**-AMBASSADOR_COORDINATE_DECIMALS + 1e-9

#: Up to this many members, sectors and titles are asked for by id; beyond, by the
#: feed's filters (a long IN list would hit SQLite's limit on parameters; PostgreSQL
#: has none, so there always by id).
DETAILS_BY_ID_MAX = 500

NOTHING: tuple = ()
#: The collection's `name`: what GDAL and other GIS tools call the layer.
MAP_LAYER_NAME = "kindnet_members"


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

    def box_q(self, longitude: str, latitude: str) -> Q:
        """The box as a condition on two columns or annotations (nothing without a box)."""
        if not self.bbox:
            return Q()
        min_lon, min_lat, max_lon, max_lat = self.bbox
        condition = Q(**{f"{latitude}__gte": min_lat, f"{latitude}__lte": max_lat})
        if min_lon <= max_lon:
            return condition & Q(**{f"{longitude}__gte": min_lon, f"{longitude}__lte": max_lon})
        # The box crosses the antimeridian (RFC 7946, section 5.2).
        return condition & (
            Q(**{f"{longitude}__gte": min_lon}) | Q(**{f"{longitude}__lte": max_lon})
        )

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
        return condition & self.box_q(f"{prefix}longitude", f"{prefix}latitude")


def members_for_map(filters: MapFilters | None = None) -> MemberQuerySet:
    """The members the public map shows, filtered: active today, located, shown, consenting.

    The box is matched on stored coordinates, so this is a superset for the public:
    `published_members` narrows it by their published position.
    """
    filters = filters or MapFilters()
    return Member.objects.on_map().filter(filters.q()).order_by("pk")


def published_members(filters: MapFilters) -> MemberQuerySet:
    """The public's members: annotated with their published position (`public_longitude`,
    `public_latitude`) and kept when that position is in the box.

    The one privacy rule of the public coordinates, written once in SQL: an ambassador's
    point is rounded to about 1 km, so the feed never filters, clusters or caches on
    anything finer. The stored coordinates are matched first with the box widened by the
    largest shift (their indexes serve it), then the published ones with the box itself.
    """
    scale = Value(10.0**AMBASSADOR_COORDINATE_DECIMALS)

    def published(column: str) -> Case:
        return Case(
            When(kind=MemberKind.AMBASSADOR, then=Round(F(column) * scale) / scale),
            default=F(column),
            output_field=FloatField(),
        )

    return (
        members_for_map(filters.widened())
        .annotate(
            public_longitude=published("longitude"),
            public_latitude=published("latitude"),
        )
        .annotate(
            # The same values, typed so that Django runs no converter on any row (a float()
            # call per coordinate, a Country object per code): the rows are read as sent.
            map_longitude=ExpressionWrapper(F("public_longitude"), output_field=Field()),
            map_latitude=ExpressionWrapper(F("public_latitude"), output_field=Field()),
            country_code=ExpressionWrapper(F("country"), output_field=CharField()),
        )
        .filter(filters.box_q("public_longitude", "public_latitude"))
    )


@dataclass(frozen=True)
class MapFeedAnswer:
    """The feed's body, and whether the grid index should be rebuilt (it was out of date
    for a request it could have answered, in a network of at least MAP_GRID_INDEX_FROM)."""

    json: bytes
    grid_rebuild_wanted: bool


def map_feed_answer(
    *,
    filters: MapFilters | None = None,
    zoom: int | None = None,
    language: str = "en",
    version: float | None = None,
) -> MapFeedAnswer:
    """`map_feed_build` encoded as UTF-8 JSON.

    The collector stays paused until the dict is freed again, so the thousands of
    objects it held never make a collection run at all.
    """
    with _no_garbage_collection():
        body, wanted = _feed(filters or MapFilters(), zoom, language, version)
        return MapFeedAnswer(orjson.dumps(body), wanted)


def map_feed_json(
    *, filters: MapFilters | None = None, zoom: int | None = None, language: str = "en"
) -> bytes:
    """The feed as UTF-8 JSON, built from the members (the grid index is not used)."""
    return map_feed_answer(filters=filters, zoom=zoom, language=language).json


def map_feed_build(
    *,
    filters: MapFilters | None = None,
    zoom: int | None = None,
    language: str = "en",
    version: float | None = None,
) -> dict[str, Any]:
    """The public map as a GeoJSON FeatureCollection (a dict ready for a JSON encoder).

    `total` counts the members before clustering and `countries` their distinct
    countries. With `zoom` below MAP_CLUSTER_MAX_ZOOM, members in one cell of the grid
    (about 64 pixels at that zoom, `publicmap.grid`) come back as one cluster feature
    (count, bbox), counted and measured by the database (GROUP BY cell); without it, every
    member on its own. Never more than MAP_MAX_FEATURES features: beyond, the members are
    clustered on a coarser grid, whose zoom `cluster_zoom` gives (null when every member
    is on its own). Sectors, titles and texts are read only for the single members.
    Lists may be tuples: JSON encoders write both as arrays. A member's id is also the
    feature's `id` (OpenLayers, MapLibre, GDAL read it there); a cluster's extent is
    its feature's `bbox`.

    With the feed's `version`, clusters of zooms up to GRID_INDEX_ZOOM come from the grid
    index when it was built for that version today (`MapGridCell`).
    """
    return _feed(filters or MapFilters(), zoom, language, version)[0]


def _feed(
    filters: MapFilters, zoom: int | None, language: str, version: float | None
) -> tuple[dict[str, Any], bool]:
    cap = settings.MAP_MAX_FEATURES
    rebuild_wanted = False
    with _no_garbage_collection(), translation.override(language):
        published = published_members(filters)
        grid_zoom: int | None = None
        if zoom is None or zoom >= settings.MAP_CLUSTER_MAX_ZOOM:
            # Every member on its own, as long as they fit in one answer.
            rows = list(published.values_list(*MAP_COLUMNS, *MAP_DETAIL_COLUMNS)[: cap + 1])
            if len(rows) > cap:
                # The server picks the grid: the finest whose cells over the box, hence the
                # rows the database returns, stay bounded.
                finest = settings.MAP_CLUSTER_MAX_ZOOM - 1 if zoom is None else zoom - 1
                grid_zoom = zoom_fitting(filters.bbox, cap * GRID_HEADROOM, at_most=finest)
                rows = []
            total, country_codes = len(rows), {row[4] for row in rows}
        else:
            grid_zoom = zoom
        clusters: list[dict[str, Any]] = []
        if grid_zoom is not None:
            index = None
            # The index's cells make up the box when it was snapped to this grid (or is absent).
            aligned = grid_zoom == zoom or filters.bbox is None
            usable = aligned and _grid_index_usable(filters, grid_zoom, version)
            if usable and _grid_index_current(version):  # type: ignore[arg-type]
                index = _grid_index_rows(filters, grid_zoom)
            cells, grid_zoom = _cells(published, filters.bbox, grid_zoom, cap, index)
            total = sum(cell.count for cell in cells)
            rebuild_wanted = usable and index is None and total >= settings.MAP_GRID_INDEX_FROM
            country_codes = {code for cell in cells for code in cell.countries}
            single_ids = any(cell.count == 1 for cell in cells)
            rows = _single_rows(cells) if single_ids else []
            clusters = [_cluster_feature(cell) for cell in cells if cell.count > 1]
        sectors, titles = _member_details(filters.widened(), [row[0] for row in rows], language)
        features = _member_features(rows, sectors, titles)
        features.extend(clusters)
    body = {
        "type": "FeatureCollection",
        "name": MAP_LAYER_NAME,
        "total": total,
        "countries": len(country_codes),
        "cluster_zoom": grid_zoom,
        "features": features,
    }
    return body, rebuild_wanted


@contextmanager
def _no_garbage_collection() -> Iterator[None]:
    """Pause the cyclic collector while building: the feed makes many small containers
    and no cycle, and each collection would walk them all again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _single_rows(cells: list[_Cell]) -> list[tuple]:
    """The map rows of the cells that hold one member, by id, at the published position
    the database grouped on."""
    position = {cell.first_id: (cell.lon_sum, cell.lat_sum) for cell in cells if cell.count == 1}
    rows = Member.objects.filter(pk__in=position).order_by("pk").values_list(*SINGLE_COLUMNS)
    return [(*row[:5], *position[row[0]], *row[5:]) for row in rows]


@dataclass
class _Cell:
    """The members of one grid cell: how many, where, and the first one's id."""

    count: int
    lon_sum: float
    lat_sum: float
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float
    first_id: int
    countries: set[str]

    def merge(self, other: _Cell) -> None:
        self.count += other.count
        self.lon_sum += other.lon_sum
        self.lat_sum += other.lat_sum
        self.min_lon, self.min_lat = (
            min(self.min_lon, other.min_lon),
            min(self.min_lat, other.min_lat),
        )
        self.max_lon, self.max_lat = (
            max(self.max_lon, other.max_lon),
            max(self.max_lat, other.max_lat),
        )
        self.first_id = min(self.first_id, other.first_id)
        self.countries |= other.countries


def _cells(
    published: MemberQuerySet, bbox: BBox | None, zoom: int, cap: int, index: Any = None
) -> tuple[list[_Cell], int]:
    """The non-empty grid cells of `published` at `zoom`, or at the largest coarser zoom
    where they are at most `cap`; and that zoom. Cells sorted from north-west.

    One GROUP BY (cell, country) in the database. When it has more than GRID_HEADROOM
    times `cap` rows, a second one on a grid with at most that many cells over the box
    (so the rows read stay bounded); coarser grids are unions of its cells
    (`publicmap.grid`), merged here. With `index` (the grid index's rows at `zoom`), those.
    """
    limit = cap * GRID_HEADROOM
    fine_zoom = zoom
    grouped = list(_grouped(published, fine_zoom)[: limit + 1] if index is None else index)
    if len(grouped) > limit and index is None:
        fine_zoom = zoom_fitting(bbox, limit, at_most=zoom - 1)
        grouped = list(_grouped(published, fine_zoom))
    fine: dict[tuple[int, int], _Cell] = {}
    for cx, cy, country, count, lon_sum, lat_sum, west, south, east, north, first in grouped:
        cell = _Cell(count, lon_sum, lat_sum, west, south, east, north, first, {country})
        key = (int(cx), int(cy))
        if key in fine:
            fine[key].merge(cell)
        else:
            fine[key] = cell
    shift = 0
    while len({(cx >> shift, cy >> shift) for cx, cy in fine}) > cap and shift < fine_zoom:
        shift += 1
    if shift:
        coarse: dict[tuple[int, int], _Cell] = {}
        for (cx, cy), cell in fine.items():
            key = (cx >> shift, cy >> shift)
            if key in coarse:
                coarse[key].merge(cell)
            else:
                coarse[key] = cell
        fine = coarse
    return [fine[key] for key in sorted(fine, key=lambda k: (k[1], k[0]))], fine_zoom - shift


#: What `_grouped` computes for each cell, in its rows' order after the cell's keys.
CELL_FIGURES = ("members", "lon_sum", "lat_sum", "west", "south", "east", "north", "first_id")


def _grouped(published: MemberQuerySet, zoom: int, keys: tuple[str, ...] = ()) -> Any:
    """(column, row, country, *keys, count, sums, extent, first id) of each cell at `zoom`:
    the grid of `publicmap.grid` in SQL, on the published positions."""
    side = cells_per_side(zoom)
    last = Value(float(side - 1))
    lat = Greatest(
        Least(F("public_latitude"), Value(MERCATOR_MAX_LATITUDE)), Value(-MERCATOR_MAX_LATITUDE)
    )
    sin_lat = Sin(Radians(lat))
    x = (F("public_longitude") + Value(180.0)) / Value(360.0)
    y = Value(0.5) - Ln((Value(1.0) + sin_lat) / (Value(1.0) - sin_lat)) / Value(4 * math.pi)
    return (
        published.order_by()
        .annotate(
            cell_x=Greatest(Least(Floor(x * Value(side)), last), Value(0.0)),
            cell_y=Greatest(Least(Floor(y * Value(side)), last), Value(0.0)),
        )
        .values("cell_x", "cell_y", "country", *keys)
        .annotate(
            members=Count("pk"),
            lon_sum=Sum("public_longitude"),
            lat_sum=Sum("public_latitude"),
            west=Min("public_longitude"),
            south=Min("public_latitude"),
            east=Max("public_longitude"),
            north=Max("public_latitude"),
            first_id=Min("pk"),
        )
        .values_list("cell_x", "cell_y", "country", *keys, *CELL_FIGURES)
    )


def map_grid_cells(zoom: int) -> Any:
    """The rows of the grid index (`MapGridCell`) at `zoom`: from the members at
    GRID_INDEX_ZOOM, from the index's rows of that zoom at the others (columns in the order
    of `publicmap.services.GRID_INDEX_COLUMNS`)."""
    if zoom == GRID_INDEX_ZOOM:
        rows = _grouped(published_members(MapFilters()), zoom, ("kind", "chapter_id"))
        return rows.annotate(level=Value(zoom)).values_list("level", *GRID_ROW_COLUMNS)
    shift = Value(2 ** (GRID_INDEX_ZOOM - zoom))
    return (
        MapGridCell.objects.filter(zoom=GRID_INDEX_ZOOM)
        .annotate(x=F("cell_x") / shift, y=F("cell_y") / shift, level=Value(zoom))
        .values("level", "x", "y", "country", "kind", "chapter_id")
        .annotate(**_GRID_SUMS)
        .order_by()
        .values_list("level", "x", "y", "country", "kind", "chapter_id", *_GRID_SUMS)
    )


GRID_ROW_COLUMNS = ("cell_x", "cell_y", "country", "kind", "chapter_id", *CELL_FIGURES)
#: How index rows add up into a coarser cell (named after the index's own columns).
_GRID_SUMS = {
    "n": Sum("members"),
    "lons": Sum("lon_sum"),
    "lats": Sum("lat_sum"),
    "w": Min("west"),
    "s": Min("south"),
    "e": Max("east"),
    "nn": Max("north"),
    "first": Min("first_id"),
}


def _grid_index_usable(filters: MapFilters, zoom: int, version: float | None) -> bool:
    """Whether the index can answer: a grid it refines, filters it has, a box in one piece.
    (Boxes are snapped to the grid of the request's zoom by MapFeedParameters, so whole
    cells of the index, which is finer, make up the box exactly.)"""
    if version is None or zoom > GRID_INDEX_ZOOM or filters.sector:
        return False
    return filters.bbox is None or filters.bbox[0] <= filters.bbox[2]


def _grid_index_current(version: float) -> bool:
    state = MapGridBuild.objects.filter(pk=MapGridBuild.ROW).values_list("version", "day")
    return list(state) == [(version, timezone.localdate())]


def _grid_index_rows(filters: MapFilters, zoom: int) -> Any:
    """The index's cells at `zoom` (sums of the rows of the next index zoom), as `_grouped`'s."""
    level = min(z for z in GRID_INDEX_ZOOMS if z >= zoom)
    cells = MapGridCell.objects.filter(zoom=level)
    if filters.kinds:
        cells = cells.filter(kind__in=filters.kinds)
    if filters.country:
        cells = cells.filter(country=filters.country)
    if filters.chapter is not None:
        cells = cells.filter(chapter_id=filters.chapter)
    if filters.bbox is not None:
        side, edge = cells_per_side(level), 1e-3  # rounding of a snapped edge
        min_lon, min_lat, max_lon, max_lat = filters.bbox
        cells = cells.filter(
            cell_x__gte=math.floor(mercator_x(min_lon) * side + edge),
            cell_x__lte=math.ceil(mercator_x(max_lon) * side - edge) - 1,
            cell_y__gte=math.floor(mercator_y(max_lat) * side + edge),
            cell_y__lte=math.ceil(mercator_y(min_lat) * side - edge) - 1,
        )
    shift = Value(2 ** (level - zoom))
    return (
        cells.annotate(x=F("cell_x") / shift, y=F("cell_y") / shift)
        .values("x", "y", "country")
        .annotate(**_GRID_SUMS)
        .order_by()
        .values_list("x", "y", "country", *_GRID_SUMS)
    )


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
    by_id = connections[Member.objects.db].vendor == "postgresql"  # no limit on parameters
    if by_id or len(member_ids) <= DETAILS_BY_ID_MAX:
        of_members = Q(member_id__in=member_ids)
    else:
        of_members = filters.q("member__") & Q(member__show_on_map=True)
    name: Any = "name_en"
    if language == "it":
        name = Coalesce(NullIf("name_it", Value("")), "name_en")
    # Titles come first: their typed columns give the untyped NULLs below their type
    # on PostgreSQL. NULLs are typed as text so no Python converter runs on any row.
    null = Value(None, output_field=CharField())
    titles = Recognition.objects.filter(of_members, withdrawn_on__isnull=True).values_list(
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
            "id": pk,
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


def _cluster_feature(cell: _Cell) -> dict[str, Any]:
    centre = (
        round(cell.lon_sum / cell.count, COORDINATE_DECIMALS),
        round(cell.lat_sum / cell.count, COORDINATE_DECIMALS),
    )
    # The extent is the feature's own `bbox` (RFC 7946, section 5), not a property:
    # GIS tools would read a list property as a column of lists.
    return {
        "type": "Feature",
        "bbox": (cell.min_lon, cell.min_lat, cell.max_lon, cell.max_lat),
        "geometry": {"type": "Point", "coordinates": centre},
        "properties": {"cluster": True, "count": cell.count},
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
