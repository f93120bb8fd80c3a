"""The place is the whole address: province and region in every lookup (offline gazetteer
and a real loopback Nominatim), in the cache key; ambiguous names left for staff."""

from __future__ import annotations

import pytest

from crm.models import GeocodeStatus
from geocoding.models import GeocodeCacheEntry
from geocoding.services import members_geocode
from tests.factories import SchoolFactory
from tests.test_geocoding import km, reload

pytestmark = pytest.mark.django_db

#: (city, province) -> where the town is.
TOWNS = {
    ("Castro", "BG"): (45.8038, 10.0659),
    ("Castro", "LE"): (40.0070, 18.4257),
    ("Samone", "TO"): (45.4491, 7.8420),
    ("Samone", "TN"): (46.0816, 11.5226),
    ("Peglio", "CO"): (46.1604, 9.2947),
    ("Peglio", "PU"): (43.6965, 12.4979),
}


def _schools(**extra):
    return {
        (city, province): SchoolFactory(
            city=city, province=province, region="", street="", postal_code="", **extra
        )
        for city, province in TOWNS
    }


def test_homonyms_are_placed_in_their_own_province_by_nominatim(nominatim, nominatim_settings):
    schools = _schools()
    summary = members_geocode(member_ids=[s.pk for s in schools.values()])
    assert summary.ok == 6
    for town, school in schools.items():
        school = reload(school)
        assert km(school.coordinates, TOWNS[town]) < 5, town
    # A structured query: the province's name as county, its region as state.
    castro_bg = next(r.params for r in nominatim.searches() if r.params.get("county") == "Bergamo")
    assert castro_bg == {
        "city": "Castro",
        "county": "Bergamo",
        "state": "Lombardia",
        "format": "json",
        "limit": "1",
        "countrycodes": "it",
    }
    # Two Castros, two cache entries: the province is part of the key.
    assert GeocodeCacheEntry.objects.filter(query__contains="castro").count() == 2


def test_homonyms_are_placed_in_their_own_province_offline(gazetteer):
    schools = _schools()
    members_geocode(member_ids=[s.pk for s in schools.values()])
    for town, school in schools.items():
        assert km(reload(school).coordinates, TOWNS[town]) < 5, town


def test_an_ambiguous_name_without_province_is_not_placed_at_a_guess(
    gazetteer, nominatim, nominatim_settings
):
    offline = SchoolFactory(city="Castro", province="", region="", street="", postal_code="")
    nominatim_settings.GEOCODERS = ["offline"]
    summary = members_geocode(member_ids=[offline.pk])
    offline = reload(offline)
    assert summary.unplaced == 1
    assert (offline.geocode_status, offline.coordinates) == (GeocodeStatus.UNPLACED, None)
    assert offline.geocode_error.startswith("ambiguous: Castro (")
    assert "Lombardia" in offline.geocode_error and "Puglia" in offline.geocode_error

    nominatim_settings.GEOCODERS = ["nominatim"]
    online = SchoolFactory(city="Samone", province="", region="", street="", postal_code="")
    members_geocode(member_ids=[online.pk])
    online = reload(online)
    assert online.geocode_status == GeocodeStatus.UNPLACED
    assert online.geocode_error.startswith("ambiguous: Samone (Torino) or Samone (Trento)?")
    # The answer is remembered: a second member there costs no call.
    calls = len(nominatim.searches())
    again = SchoolFactory(city="Samone", province="", region="", street="", postal_code="")
    members_geocode(member_ids=[again.pk])
    assert len(nominatim.searches()) == calls
    assert reload(again).geocode_status == GeocodeStatus.UNPLACED


def test_no_result_is_cached_for_a_while(nominatim, nominatim_settings):
    nominatim_settings.GEOCODER_NEGATIVE_CACHE_SECONDS = 3600
    first, second = (SchoolFactory(city="Atlantide", street="") for _ in range(2))
    members_geocode(member_ids=[first.pk])
    members_geocode(member_ids=[second.pk])
    assert len(nominatim.searches()) == 1
    assert reload(second).geocode_status == GeocodeStatus.FAILED
    GeocodeCacheEntry.objects.update(expires_at="2000-01-01T00:00:00Z")  # expired: asked again
    members_geocode(member_ids=[second.pk])
    assert len(nominatim.searches()) == 2
