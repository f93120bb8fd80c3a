"""Every filter of every FilterSet of the staff API, search, ordering and pagination."""

from __future__ import annotations

import pytest

from crm.models import Sector
from tests.factories import (
    AgreementFactory,
    AmbassadorFactory,
    ChapterFactory,
    CompanyFactory,
    ContactFactory,
    MunicipalityFactory,
    OrganizationFactory,
    RecognitionFactory,
    SchoolFactory,
    SectorFactory,
    days,
)

pytestmark = pytest.mark.django_db


def names(client, url: str) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return {
        row.get("name") or row.get("reference") or row.get("title") or row.get("slug")
        for row in response.json()["results"]
    }


@pytest.fixture
def network():
    """Members that differ in exactly one way from each other, for each filter."""
    italy = ChapterFactory(name="Italy", country="IT")
    switzerland = ChapterFactory(name="Switzerland", country="CH")
    education = SectorFactory(slug="education", name_en="Education")
    health = SectorFactory(slug="health", name_en="Health", name_it="Salute")
    members = {
        "roma": SchoolFactory(
            name="roma",
            region="Lazio",
            level="primary",
            school_code="RMIC00001A",
            sectors=[education],
            geocode_status="ok",
            latitude=41.9,
            longitude=12.5,
        ),
        "lugano": SchoolFactory(
            name="lugano",
            country="CH",
            city="Lugano",
            region="Ticino",
            level="upper_secondary",
            school_code="TIIC00002X",
            sectors=[health],
            geocode_status="failed",
            show_on_map=False,
        ),
        "azienda": CompanyFactory(name="azienda", size="large", vat_number="IT00743110157"),
        "radio": OrganizationFactory(name="radio", type="media", region="Lombardia"),
        "lecce": MunicipalityFactory(name="lecce", official_code="075035"),
        "giulia": AmbassadorFactory(
            first_name="giulia", last_name="x", status="active", map_consent=True
        ),
        "marco": AmbassadorFactory(first_name="marco", last_name="y", map_consent=False),
    }
    # roma: active, ends in 20 days (expiring); lugano: active long; azienda: lapsed;
    # radio: upcoming; the others: no signed agreement.
    AgreementFactory(member=members["roma"], ends_on=days(20), reference="A-ROMA", auto_renew=True)
    AgreementFactory(member=members["lugano"], ends_on=days(400), reference="A-LUGANO")
    AgreementFactory(
        member=members["azienda"],
        starts_on=days(-400),
        ends_on=days(-10),
        type="partnership",
        reference="A-AZIENDA",
    )
    AgreementFactory(
        member=members["radio"],
        signed_on=days(-1),
        starts_on=days(30),
        ends_on=days(400),
        reference="A-RADIO",
    )
    AgreementFactory(
        member=members["lecce"], signed_on=None, starts_on=days(0), reference="A-LECCE"
    )
    AgreementFactory(
        member=members["giulia"],
        starts_on=days(-100),
        ends_on=days(100),
        terminated_on=days(-5),
        termination_reason="Moved abroad.",
        reference="A-GIULIA",
    )
    return {"italy": italy, "switzerland": switzerland, **members}


MEMBER_CASES = [
    ("kind=school", {"roma", "lugano"}),
    ("kind=company&kind=organization", {"azienda", "radio"}),
    ("country=CH", {"lugano"}),
    ("region=ticino", {"lugano"}),
    ("sector=health", {"lugano"}),
    ("status=active", {"roma", "lugano"}),
    ("status=upcoming", {"radio"}),
    ("status=lapsed", {"azienda", "giulia x"}),
    ("status=none", {"lecce", "marco y"}),
    ("geocode_status=failed", {"lugano"}),
    ("show_on_map=false", {"lugano"}),
    (f"active_on={days(35)}", {"lugano", "radio"}),
    (f"active_on={days(-20)}", {"roma", "lugano", "azienda", "giulia x"}),
    (f"active_on={days(-50)}", {"azienda", "giulia x"}),
    ("expiring_within=30", {"roma"}),
    ("expiring_within=500", {"roma", "lugano"}),
    ("search=lug", {"lugano"}),
    ("search=giulia", {"giulia x"}),
]


@pytest.mark.parametrize(("query", "expected"), MEMBER_CASES)
def test_member_filters(viewer_client, network, query, expected):
    assert names(viewer_client, f"/api/v1/members/?{query}") == expected


def test_member_filter_by_chapter(viewer_client, network):
    assert names(viewer_client, f"/api/v1/members/?chapter={network['switzerland'].pk}") == {
        "lugano"
    }
    assert "lugano" not in names(viewer_client, f"/api/v1/members/?chapter={network['italy'].pk}")


@pytest.mark.parametrize(
    ("endpoint", "query", "expected"),
    [
        ("schools", "level=primary", {"roma"}),
        ("schools", "school_code=tiic00002x", {"lugano"}),
        ("schools", "status=active&country=IT", {"roma"}),
        ("schools", "search=RMIC", {"roma"}),
        ("companies", "size=large", {"azienda"}),
        ("companies", "size=small", set()),
        ("companies", "vat_number=it00743110157", {"azienda"}),
        ("organizations", "type=media", {"radio"}),
        ("organizations", "type=health", set()),
        ("organizations", "region=Lombardia", {"radio"}),
        ("municipalities", "official_code=075035", {"lecce"}),
        ("municipalities", "official_code=000000", set()),
        ("ambassadors", "ambassador_status=active", {"giulia x"}),
        ("ambassadors", "map_consent=false", {"marco y"}),
        ("ambassadors", "status=lapsed", {"giulia x"}),
        ("ambassadors", "search=marco", {"marco y"}),
    ],
)
def test_kind_filters(viewer_client, network, endpoint, query, expected):
    assert names(viewer_client, f"/api/v1/{endpoint}/?{query}") == expected


AGREEMENT_CASES = [
    ("status=active", {"A-LUGANO"}),
    ("status=expiring", {"A-ROMA"}),
    ("status=expired", {"A-AZIENDA"}),
    ("status=signed", {"A-RADIO"}),
    ("status=draft", {"A-LECCE"}),
    ("status=terminated", {"A-GIULIA"}),
    ("status=active&status=expiring", {"A-LUGANO", "A-ROMA"}),
    ("type=partnership", {"A-AZIENDA"}),
    ("kind=school", {"A-ROMA", "A-LUGANO"}),
    ("country=CH", {"A-LUGANO"}),
    ("region=TICINO", {"A-LUGANO"}),
    ("sector=education", {"A-ROMA"}),
    ("auto_renew=true", {"A-ROMA"}),
    (f"active_on={days(-20)}", {"A-ROMA", "A-LUGANO", "A-AZIENDA", "A-GIULIA"}),
    (f"active_on={days(-50)}", {"A-AZIENDA", "A-GIULIA"}),
    (f"active_on={days(50)}", {"A-LUGANO", "A-RADIO"}),
    ("expiring_within=30", {"A-ROMA"}),
    ("expiring_within=0", set()),
    ("search=A-LUG", {"A-LUGANO"}),
    ("search=radio", {"A-RADIO"}),
]


@pytest.mark.parametrize(("query", "expected"), AGREEMENT_CASES)
def test_agreement_filters(viewer_client, network, query, expected):
    assert names(viewer_client, f"/api/v1/agreements/?{query}") == expected


def test_agreement_filters_by_member_and_chapter(viewer_client, network):
    assert names(viewer_client, f"/api/v1/agreements/?member={network['radio'].pk}") == {"A-RADIO"}
    assert names(viewer_client, f"/api/v1/agreements/?chapter={network['switzerland'].pk}") == {
        "A-LUGANO"
    }


def test_contact_filters(viewer_client, network):
    ContactFactory(member=network["roma"], name="Primary at Roma", is_primary=True)
    ContactFactory(member=network["roma"], name="Teacher at Roma")
    ContactFactory(member=network["lugano"], name="Head at Lugano", email="head@lugano.example")
    ContactFactory(member=network["azienda"], name="HR at Azienda")
    url = "/api/v1/contacts/?"

    assert names(viewer_client, f"{url}member={network['roma'].pk}") == {
        "Primary at Roma",
        "Teacher at Roma",
    }
    assert names(viewer_client, f"{url}is_primary=true") == {"Primary at Roma"}
    assert names(viewer_client, f"{url}kind=company") == {"HR at Azienda"}
    assert names(viewer_client, f"{url}chapter={network['switzerland'].pk}") == {"Head at Lugano"}
    assert names(viewer_client, f"{url}country=CH") == {"Head at Lugano"}
    assert names(viewer_client, f"{url}search=lugano.example") == {"Head at Lugano"}


def test_recognition_filters(viewer_client, network):
    RecognitionFactory(member=network["roma"], title="Kind School", awarded_on=days(-300))
    RecognitionFactory(member=network["lugano"], title="Kind School", awarded_on=days(-10))
    RecognitionFactory(member=network["lecce"], title="Kind City", awarded_on=days(-100))
    url = "/api/v1/recognitions/?"

    def members(query):
        response = viewer_client.get(url + query)
        assert response.status_code == 200
        return {row["member"] for row in response.json()["results"]}

    roma, lugano, lecce = network["roma"].pk, network["lugano"].pk, network["lecce"].pk
    assert members(f"member={roma}") == {roma}
    assert members("title=kind school") == {roma, lugano}
    assert members("kind=municipality") == {lecce}
    assert members(f"chapter={network['switzerland'].pk}") == {lugano}
    assert members("country=IT") == {roma, lecce}
    assert members(f"awarded_after={days(-150)}") == {lugano, lecce}
    assert members(f"awarded_before={days(-150)}") == {roma}
    assert members("search=City") == {lecce}


def test_chapter_and_sector_filters(viewer_client, network):
    assert names(viewer_client, "/api/v1/chapters/?country=CH") == {"Switzerland"}
    assert names(viewer_client, "/api/v1/chapters/?search=ital") == {"Italy"}
    assert names(viewer_client, "/api/v1/sectors/?slug=health") == {"health"}
    assert names(viewer_client, "/api/v1/sectors/?search=salute") == {"health"}


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/members/?kind=castle", "kind"),
        ("/api/v1/members/?chapter=abc", "chapter"),
        ("/api/v1/members/?chapter=987654", "chapter"),
        ("/api/v1/members/?country=XX", "country"),
        ("/api/v1/members/?sector=unknown", "sector"),
        ("/api/v1/members/?status=great", "status"),
        ("/api/v1/members/?geocode_status=maybe", "geocode_status"),
        ("/api/v1/members/?active_on=yesterday", "active_on"),
        ("/api/v1/members/?active_on=2026-02-30", "active_on"),
        ("/api/v1/members/?expiring_within=-1", "expiring_within"),
        ("/api/v1/members/?expiring_within=1.5", "expiring_within"),
        ("/api/v1/members/?expiring_within=99999", "expiring_within"),
        ("/api/v1/members/?ordering=notes", "ordering"),
        ("/api/v1/members/?ordering=name,-password", "ordering"),
        ("/api/v1/members/?search=a%00b", "search"),
        ("/api/v1/schools/?level=nursery", "level"),
        ("/api/v1/companies/?size=huge", "size"),
        ("/api/v1/organizations/?type=castle", "type"),
        ("/api/v1/ambassadors/?ambassador_status=retired", "ambassador_status"),
        ("/api/v1/agreements/?status=happy", "status"),
        ("/api/v1/agreements/?type=loan", "type"),
        ("/api/v1/agreements/?member=0", "member"),
        ("/api/v1/agreements/?active_on=31/12/2026", "active_on"),
        ("/api/v1/agreements/?expiring_within=soon", "expiring_within"),
        ("/api/v1/contacts/?member=abc", "member"),
        ("/api/v1/recognitions/?awarded_after=last-year", "awarded_after"),
        ("/api/v1/chapters/?country=ZZ", "country"),
    ],
)
def test_bad_filter_values_are_400_naming_the_parameter(viewer_client, network, url, parameter):
    response = viewer_client.get(url)

    assert response.status_code == 400
    assert parameter in response.json()


def test_ordering(viewer_client, network):
    response = viewer_client.get("/api/v1/schools/?ordering=-name")
    assert [row["name"] for row in response.json()["results"]] == ["roma", "lugano"]
    response = viewer_client.get("/api/v1/members/?ordering=country,name")
    assert response.json()["results"][0]["name"] == "lugano"
    response = viewer_client.get("/api/v1/agreements/?ordering=ends_on&status=active")
    assert [row["reference"] for row in response.json()["results"]] == ["A-LUGANO"]


def test_pagination_with_page_size_and_a_ceiling(viewer_client, settings):
    settings.API_MAX_PAGE_SIZE = 5
    for n in range(7):
        SectorFactory(slug=f"s{n}")

    total = Sector.objects.count()  # the sectors the migrations load, and these
    assert total >= 7

    first = viewer_client.get("/api/v1/sectors/?page_size=3").json()
    assert first["count"] == total
    assert len(first["results"]) == 3
    assert first["next"].endswith("page=2&page_size=3")
    assert len(viewer_client.get("/api/v1/sectors/?page_size=100").json()["results"]) == 5
    last_page = (total + 4) // 5
    last = viewer_client.get(f"/api/v1/sectors/?page={last_page}&page_size=5").json()
    assert len(last["results"]) == total - 5 * (last_page - 1)
    assert viewer_client.get(f"/api/v1/sectors/?page={last_page + 1}").status_code == 404
