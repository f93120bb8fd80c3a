"""Where each municipality of an official list is: a GeoNames place that belongs to it, or
nothing (staff place it by hand). Never a namesake in another province.

GeoNames' cities500 knows regions but not provinces, lists hamlets beside towns, and
lacks the municipalities made by recent mergers under their new names. So, per
municipality, within its region:

1. its name, each name of a bilingual one ("Bolzano/Bozen"), then GeoNames' alternate
   names; then the parts of a compound name ("Lampedusa e Linosa", "Gattico-Veruno",
   "Cellio con Breia") and shorter forms ("Calliano Monferrato" -> "Calliano");
2. the candidates must lie near their province: each province's centre and radius come
   from its municipalities with one unmistakable match (the only town of that name in
   the region); a candidate farther than the radius (tighter for a name's part) is
   refused; between two candidates the one nearer the centre wins only when it is
   clearly nearer (half the distance).

An official list's own code and province thus decide; a name alone never does.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from crm.names import place_name_normalize
from geocoding.models import GazetteerName, GazetteerPlace
from municipalities.models import MunicipalityReference

#: Entries of GeoNames closer than this are one town.
SAME_TOWN_KM = 10.0
#: Connecting words of compound names of merged municipalities.
NAME_JOINS = (" con ", " ed ", " e ", "-")


@dataclass(frozen=True)
class _Place:
    latitude: float
    longitude: float
    population: int
    geonameid: int


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    dlat = a[0] - b[0]
    dlon = (a[1] - b[1]) * math.cos(math.radians((a[0] + b[0]) / 2))
    return 111.2 * math.hypot(dlat, dlon)


def _point(place: _Place) -> tuple[float, float]:
    return (place.latitude, place.longitude)


class _Gazetteer:
    """GeoNames places of one country by (normalised name, region): own names, alternates."""

    def __init__(self, country: str) -> None:
        self.own: dict[tuple[str, str], list[_Place]] = defaultdict(list)
        self.alternate: dict[tuple[str, str], list[_Place]] = defaultdict(list)
        places: dict[int, tuple[_Place, str, str]] = {}
        rows = GazetteerPlace.objects.filter(country=country).values_list(
            "geonameid", "name", "admin1_code", "latitude", "longitude", "population"
        )
        for geonameid, name, admin1, lat, lon, population in rows.iterator(chunk_size=5000):
            place = _Place(lat, lon, population or 0, geonameid)
            own = place_name_normalize(name)
            places[geonameid] = (place, own, admin1)
            self.own[(own, admin1)].append(place)
        names = GazetteerName.objects.filter(country=country).values_list("search_name", "place_id")
        for search_name, place_id in names.iterator(chunk_size=5000):
            place, own, admin1 = places[place_id]
            if search_name != own:
                self.alternate[(search_name, admin1)].append(place)

    @staticmethod
    def towns(places: Iterable[_Place]) -> list[_Place]:
        """Distinct towns, most populous first (entries of one town count once)."""
        towns: list[_Place] = []
        for place in sorted(places, key=lambda p: (-p.population, p.geonameid)):
            if all(_km(_point(place), _point(town)) > SAME_TOWN_KM for town in towns):
                towns.append(place)
        return towns


def _full_names(name: str) -> list[str]:
    """The name, each language's name, and the first town of "Lampedusa e Linosa"."""
    names = [name, *(part.strip() for part in name.split("/") if part.strip() != name)]
    for whole in list(names):
        if " e " in whole:
            names.append(whole.split(" e ")[0])
        names.append(whole.replace("-", " "))
    return list(dict.fromkeys(place_name_normalize(n) for n in names if n.strip()))


def _name_parts(name: str) -> list[str]:
    """Parts and shorter forms of a compound name, longest first."""
    parts: list[str] = []
    for whole in [name, *name.split("/")]:
        whole = whole.strip()
        for join in NAME_JOINS:
            if join in whole:
                parts.extend(piece.strip() for piece in whole.split(join))
        words = whole.split(" ")
        parts.extend(" ".join(words[:k]) for k in range(len(words) - 1, 0, -1))
    return list(dict.fromkeys(place_name_normalize(p) for p in parts if len(p.strip()) >= 3))


def _candidates(row: MunicipalityReference, gazetteer: _Gazetteer) -> tuple[list[_Place], str]:
    """The towns that may be `row`, and how they were found: own, alternate or part."""
    region = row.region_code
    for how, table, names in (
        ("own", gazetteer.own, _full_names(row.name)),
        ("alternate", gazetteer.alternate, _full_names(row.name)),
        ("part", gazetteer.own, _name_parts(row.name)),
    ):
        for name in names:
            towns = gazetteer.towns(table.get((name, region), ()))
            if towns:
                return towns, how
    return [], ""


def reference_rows_place(rows: list[MunicipalityReference], country: str) -> int:
    """Give each row the coordinates and population of its own GeoNames place, or none
    (to be placed by hand); returns how many were placed."""
    gazetteer = _Gazetteer(country)
    found = {id(row): _candidates(row, gazetteer) for row in rows}
    namesakes: dict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        namesakes[(row.search_name, row.region_code)] += 1

    def unmistakable(row: MunicipalityReference) -> bool:
        towns, how = found[id(row)]
        return (
            len(towns) == 1 and how == "own" and namesakes[(row.search_name, row.region_code)] == 1
        )

    # Each province's centre and radius, from its unmistakable municipalities.
    members: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for row in rows:
        if unmistakable(row):
            members[row.province_code].append(_point(found[id(row)][0][0]))
    centres: dict[str, tuple[tuple[float, float], float]] = {}
    for province, points in members.items():
        centre = (
            statistics.median(p[0] for p in points),
            statistics.median(p[1] for p in points),
        )
        distances = sorted(_km(centre, p) for p in points)
        radius = distances[max(int(len(distances) * 0.95) - 1, 0)] if len(points) > 1 else 30.0
        centres[province] = (centre, radius)

    placed = 0
    for row in rows:
        place = _choose(row, *found[id(row)], centres.get(row.province_code), unmistakable(row))
        if place is None:
            row.latitude = row.longitude = row.population = None
            continue
        row.latitude, row.longitude = place.latitude, place.longitude
        row.population = place.population or None
        placed += 1
    return placed


def _choose(
    row: MunicipalityReference,
    towns: list[_Place],
    how: str,
    province: tuple[tuple[float, float], float] | None,
    unmistakable: bool,
) -> _Place | None:
    if not towns:
        return None
    if unmistakable:
        return towns[0]  # the only town of the name in the region: an island too
    if province is None:
        return None  # nothing to tell namesakes apart
    centre, radius = province
    by_distance = sorted(towns, key=lambda town: _km(centre, _point(town)))
    nearest = _km(centre, _point(by_distance[0]))
    if len(by_distance) > 1 and nearest > 0.5 * _km(centre, _point(by_distance[1])):
        return None  # two alike candidates: staff choose
    limit = radius * 1.25 + 5 if how in ("own", "alternate") else radius * 0.8
    return by_distance[0] if nearest <= limit else None
