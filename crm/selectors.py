"""Read queries reused by the admin, the API and the public map.

The public map feed is built here from plain tuples (`values_list`), never from
model instances or serializers, so 100,000 members cost two SQL queries and one
pass in Python: the members, then their sector names and recognition titles.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import DateField, IntegerField, Q, Value
from django.utils import translation
from django_countries import countries

from crm.models import Member, MemberKind, MemberQuerySet, Recognition

#: Columns of a map row, in this order (see `members_for_map`).
MAP_COLUMNS = ("id", "kind", "name", "city", "country", "longitude", "latitude")
MAP_DETAIL_COLUMNS = ("website", "description")

#: Grid cells per 256-pixel map tile: points within about 64 pixels share a cluster.
CLUSTER_CELLS_PER_TILE = 4
#: Web Mercator stops here; beyond it every latitude falls in the first or last row.
MERCATOR_MAX_LATITUDE = 85.0511287798

#: A single feature's coordinates keep 6 decimals (about 10 cm); an ambassador's
#: keep 2 (about 1 km), so a person is never placed finer than their city.
COORDINATE_DECIMALS = 6
AMBASSADOR_COORDINATE_DECIMALS = 2

BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class MapFilters:
    """What the public map asks for; every field optional (empty means no filter)."""

    kinds: tuple[str, ...] = ()
    country: str = ""
    chapter: int | None = None
    sector: str = ""
    bbox: BBox | None = None

    def cache_key(self) -> str:
        bbox = ",".join(f"{v:.6f}" for v in self.bbox) if self.bbox else ""
        return (
            f"k={','.join(sorted(self.kinds))};c={self.country};ch={self.chapter or ''};"
            f"s={self.sector};b={bbox}"
        )


def members_for_map(filters: MapFilters | None = None) -> MemberQuerySet:
    """The members the public map shows, filtered: active today, located, shown, consenting."""
    filters = filters or MapFilters()
    queryset = Member.objects.on_map()
    if filters.kinds:
        queryset = queryset.filter(kind__in=filters.kinds)
    if filters.country:
        queryset = queryset.filter(country=filters.country)
    if filters.chapter is not None:
        queryset = queryset.filter(chapter_id=filters.chapter)
    if filters.sector:
        # The slug is unique, so this join cannot repeat a member.
        queryset = queryset.filter(sectors__slug=filters.sector)
    if filters.bbox:
        min_lon, min_lat, max_lon, max_lat = filters.bbox
        queryset = queryset.filter(latitude__gte=min_lat, latitude__lte=max_lat)
        if min_lon <= max_lon:
            queryset = queryset.filter(longitude__gte=min_lon, longitude__lte=max_lon)
        else:  # The box crosses the antimeridian (RFC 7946, section 5.2).
            queryset = queryset.filter(Q(longitude__gte=min_lon) | Q(longitude__lte=max_lon))
    return queryset.order_by("pk")


@dataclass
class _Labels:
    """Translated labels, each computed once per feed rather than once per member."""

    language: str
    kinds: dict[str, str] = field(default_factory=dict)
    countries: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.kinds = {kind.value: str(kind.label) for kind in MemberKind}

    def country(self, code: str) -> str:
        name = self.countries.get(code)
        if name is None:
            name = self.countries[code] = str(countries.name(code))
        return name


def map_feed_build(
    *, filters: MapFilters | None = None, zoom: int | None = None, language: str = "en"
) -> dict[str, Any]:
    """The public map as a GeoJSON FeatureCollection (a dict ready for `json.dumps`).

    `total` counts the members before clustering and `countries` their distinct
    countries. With `zoom`, members closer than about 64 pixels at that zoom come
    back as one cluster feature (count, bbox); without it, every member on its own.
    """
    filters = filters or MapFilters()
    columns = MAP_COLUMNS + MAP_DETAIL_COLUMNS
    rows = list(members_for_map(filters).values_list(*columns))
    singles, clusters = _cluster(rows, zoom)
    with translation.override(language):
        labels = _Labels(language)
        details = _member_details(filters, [row[0] for row in singles], language)
        features = [_member_feature(row, labels, details) for row in singles]
    features.extend(_cluster_feature(members) for members in clusters)
    return {
        "type": "FeatureCollection",
        "total": len(rows),
        "countries": len({row[4] for row in rows}),
        "features": features,
    }


def _position(row: Sequence[Any]) -> tuple[float, float]:
    """The published [lon, lat] of a row: an ambassador's is rounded to about 1 km."""
    decimals = (
        AMBASSADOR_COORDINATE_DECIMALS if row[1] == MemberKind.AMBASSADOR else COORDINATE_DECIMALS
    )
    return round(row[5], decimals), round(row[6], decimals)


def _cluster(
    rows: list[tuple], zoom: int | None
) -> tuple[list[tuple], list[list[tuple[float, float]]]]:
    """Split rows into single members and clusters (the positions of their members).

    A fixed grid over Web Mercator, so a cluster does not move when the map pans.
    """
    if zoom is None or zoom >= settings.MAP_CLUSTER_MAX_ZOOM:
        return rows, []
    cells_per_side = (1 << zoom) * CLUSTER_CELLS_PER_TILE
    cells: dict[tuple[int, int], list[tuple]] = {}
    for row in rows:
        lon, lat = row[5], row[6]
        lat = max(-MERCATOR_MAX_LATITUDE, min(MERCATOR_MAX_LATITUDE, lat))
        sin_lat = math.sin(math.radians(lat))
        y = 0.5 - math.log((1 + sin_lat) / (1 - sin_lat)) / (4 * math.pi)
        x = (lon + 180.0) / 360.0
        cell = (min(int(x * cells_per_side), cells_per_side - 1), int(y * cells_per_side))
        cells.setdefault(cell, []).append(row)
    singles, clusters = [], []
    for members in cells.values():
        if len(members) == 1:
            singles.append(members[0])
        else:
            clusters.append([_position(row) for row in members])
    return singles, clusters


def _member_details(
    filters: MapFilters, member_ids: list[int], language: str
) -> dict[int, tuple[list[str], list[str]]]:
    """Sector names and recognition titles of `member_ids`, in one query (none if empty)."""
    if not member_ids:
        return {}
    members: Any = member_ids
    if len(member_ids) > 500:
        # A long IN list would hit SQLite's limit on parameters; the feed's own query
        # as a subquery is as cheap, and rows of clustered members are skipped below.
        members = members_for_map(filters).values("pk")
    sector_links = Member.sectors.through.objects.filter(member_id__in=members).values_list(
        "member_id",
        Value(0, output_field=IntegerField()),
        "sector__name_it" if language == "it" else "sector__name_en",
        "sector__name_en",
        Value(None, output_field=DateField()),
    )
    recognitions = Recognition.objects.filter(member_id__in=members).values_list(
        "member_id", Value(1, output_field=IntegerField()), "title", "title", "awarded_on"
    )
    details: dict[int, tuple[list[str], list[str]]] = {pk: ([], []) for pk in member_ids}
    rows = sector_links.order_by().union(recognitions.order_by(), all=True)
    # Sectors by name, recognitions newest first (then by title), as the admin lists them.
    for member_id, is_recognition, label, fallback, _awarded_on in sorted(rows, key=_detail_order):
        if member_id in details:
            details[member_id][is_recognition].append(label or fallback)
    return details


def _detail_order(row: tuple) -> tuple:
    member_id, is_recognition, label, fallback, awarded_on = row
    if is_recognition:
        return (member_id, 1, -awarded_on.toordinal(), label)
    return (member_id, 0, 0, (label or fallback).casefold())


def _member_feature(
    row: Sequence[Any], labels: _Labels, details: dict[int, tuple[list[str], list[str]]]
) -> dict[str, Any]:
    pk, kind, name, city, country, _lon, _lat, website, description = row
    sectors, recognitions = details.get(pk, ([], []))
    properties: dict[str, Any] = {
        "cluster": False,
        "id": pk,
        "kind": kind,
        "kind_label": labels.kinds.get(kind, kind),
        "name": name,
        "city": city,
        "country": country,
        "country_name": labels.country(country),
        "sectors": sectors,
        "recognitions": recognitions,
        "description": description,
    }
    if kind != MemberKind.AMBASSADOR:
        properties["website"] = website
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": list(_position(row))},
        "properties": properties,
    }


def _cluster_feature(positions: list[tuple[float, float]]) -> dict[str, Any]:
    lons = [lon for lon, _lat in positions]
    lats = [lat for _lon, lat in positions]
    centre = [
        round(sum(lons) / len(lons), COORDINATE_DECIMALS),
        round(sum(lats) / len(lats), COORDINATE_DECIMALS),
    ]
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": centre},
        "properties": {
            "cluster": True,
            "count": len(positions),
            "bbox": [min(lons), min(lats), max(lons), max(lats)],
        },
    }


MAP_FEED_VERSION_KEY = "map-feed:version"


def map_feed_version() -> float:
    """When the network last changed as far as the map is concerned (a UNIX time).

    Bumped by `crm.services.map_feed_invalidate`; set to now when the cache lost it,
    which can only make clients fetch the feed once more.
    """
    version = cache.get(MAP_FEED_VERSION_KEY)
    if version is None:
        cache.add(MAP_FEED_VERSION_KEY, time.time(), timeout=None)
        version = cache.get(MAP_FEED_VERSION_KEY) or time.time()
    return float(version)
