"""The official list of municipalities: loading it, placing it, searching it."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.management import call_command

from geocoding.gazetteer import gazetteer_lookup
from municipalities.models import MunicipalityReference
from tests.factories import MunicipalityReferenceFactory, castro_reference

pytestmark = pytest.mark.django_db

SEARCH_URL = "/join/municipalities/"


def test_load_municipalities_from_the_package(gazetteer, capsys):
    """The whole list, placed with the gazetteer the session has loaded already."""
    call_command("load_municipalities")
    out = capsys.readouterr().out
    total = MunicipalityReference.objects.filter(country="IT").count()
    assert total > 7800  # ISTAT lists 7,896 municipalities (2026)
    assert f"IT: {total} municipalities loaded" in out

    castro_bg = MunicipalityReference.objects.get(official_code="016065")
    castro_le = MunicipalityReference.objects.get(official_code="075096")
    assert (castro_bg.label, castro_bg.province, castro_bg.region) == (
        "Castro (BG)",
        "Bergamo",
        "Lombardia",
    )
    assert (castro_bg.region_code, castro_bg.cadastral_code, castro_bg.postal_code) == (
        "09",
        "C337",
        "24063",
    )
    assert (castro_le.label, castro_le.region, castro_le.region_code) == (
        "Castro (LE)",
        "Puglia",
        "13",
    )
    # Each namesake is placed in its own region: Lombardy is north of 45°, Salento south of 41°.
    assert castro_bg.latitude > 45 and castro_le.latitude < 41
    assert castro_bg.coordinates != castro_le.coordinates
    # The same rule as the gazetteer's own lookup, region by region.
    for ref in (castro_bg, castro_le):
        place = gazetteer_lookup(name=ref.name, country="IT", admin1_code=ref.region_code)
        assert (ref.latitude, ref.longitude, ref.population) == (
            place.latitude,
            place.longitude,
            place.population,
        )
    citta = MunicipalityReference.objects.get(search_name="citta di castello")
    assert (citta.name, citta.province_code, citta.official_code) == (
        "Città di Castello",
        "PG",
        "054013",
    )
    assert citta.population and citta.latitude
    placed = MunicipalityReference.objects.filter(latitude__isnull=False).count()
    assert placed / total > 0.9  # nearly every municipality is in GeoNames' cities500

    # Idempotent: loading again keeps the same rows (join requests keep their link).
    ids = set(MunicipalityReference.objects.values_list("id", flat=True))
    call_command("load_municipalities")
    assert set(MunicipalityReference.objects.values_list("id", flat=True)) == ids
    call_command("load_municipalities", "--if-empty")
    assert "IT: official list already loaded, nothing to do." in capsys.readouterr().out


def test_load_refuses_a_country_without_a_list():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No official list for: FR"):
        call_command("load_municipalities", "--countries", "FR")


@pytest.fixture
def listed():
    cache.clear()
    castro_bg, castro_le = castro_reference("BG"), castro_reference("LE")
    MunicipalityReferenceFactory(
        official_code="054013",
        name="Città di Castello",
        province="Perugia",
        province_code="PG",
        region="Umbria",
    )
    MunicipalityReferenceFactory(official_code="016064", name="Castro Nuovo", province_code="BG")
    yield castro_bg, castro_le
    cache.clear()


def test_search_ignores_accents_and_case(client, listed, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        response = client.get(SEARCH_URL, {"q": "citta di castello"})
    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {
                "code": "054013",
                "name": "Città di Castello",
                "label": "Città di Castello (PG)",
                "province": "Perugia",
                "province_code": "PG",
                "region": "Umbria",
            }
        ]
    }
    assert client.get(SEARCH_URL, {"q": "CITTÀ DI C"}).json()["results"][0]["code"] == "054013"
    # A word inside the name also finds it.
    assert [r["code"] for r in client.get(SEARCH_URL, {"q": "castello"}).json()["results"]] == [
        "054013"
    ]


def test_search_tells_homonyms_apart(client, listed):
    labels = [r["label"] for r in client.get(SEARCH_URL, {"q": "castro"}).json()["results"]]
    assert labels == ["Castro (BG)", "Castro (LE)", "Castro Nuovo (BG)"]


def test_search_needs_two_letters_and_a_listed_country(client, listed):
    assert client.get(SEARCH_URL, {"q": "c"}).json() == {"results": []}
    assert client.get(SEARCH_URL, {"q": "castro", "country": "CH"}).json() == {"results": []}


def test_search_is_throttled(client, settings, listed):
    settings.JOIN_SEARCH_RATE = "3/minute"
    for _ in range(3):
        assert client.get(SEARCH_URL, {"q": "castro"}).status_code == 200
    response = client.get(SEARCH_URL, {"q": "castro", "lang": "it"})
    assert response.status_code == 429
    assert response.json() == {
        "detail": "Troppe ricerche dal tuo indirizzo. Attendi un minuto e riprova."
    }
