"""The staff API's bodies, writes, validation (400 never 500), 404s, renewals and query counts."""

from __future__ import annotations

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_countries import countries

from ambassadors.models import Ambassador
from crm.models import Agreement, Chapter, Contact, Member, Sector
from municipalities.models import Municipality
from partners.models import Company, Organization, School
from tests.factories import (
    API_ENDPOINTS,
    MEMBER_ADDRESS,
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
    bulk_create,
    days,
    sectors_bulk_add,
    today,
)

pytestmark = pytest.mark.django_db


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def refused(response) -> dict:
    """The errors of `response`, which must be a 400."""
    assert response.status_code == 400, response.content
    return response.json()


def patch(client, url, data):
    return client.patch(url, json.dumps(data), content_type="application/json")


def test_a_school_as_a_whole(viewer_client):
    chapter = ChapterFactory()
    SectorFactory(slug="education")
    school = SchoolFactory(
        name="Scuola Gianni Rodari",
        school_code="RMIC8A9005",
        sectors=[SectorFactory(slug="culture", name_en="Culture", name_it="Cultura")],
        latitude=41.9,
        longitude=12.5,
        geocode_status="manual",
        email="rodari@scuole.example",
        notes="Call in the morning.",
    )
    AgreementFactory(member=school)

    body = viewer_client.get(f"/api/v1/schools/{school.pk}/").json()

    assert body == {
        "id": school.pk,
        "kind": "school",
        "name": "Scuola Gianni Rodari",
        "chapter": chapter.pk,
        "sectors": ["culture"],
        **MEMBER_ADDRESS,
        "latitude": 41.9,
        "longitude": 12.5,
        "geocode_status": "manual",
        "geocode_precision": "",
        "geocode_provider": "",
        "geocoded_at": None,
        "geocode_error": "",
        "geocode_attempts": 0,
        "email": "rodari@scuole.example",
        "phone": "",
        "website": "",
        "description": "",
        "show_on_map": True,
        "notes": "Call in the morning.",
        "membership": "active",
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
        "school_code": "RMIC8A9005",
        "level": "primary",
        "students": 300,
    }
    assert body["created_at"].startswith(str(today().year))


@pytest.mark.parametrize("slug", ["\x00education", "edu\x00", "\xa0"])
def test_a_sector_slug_no_database_can_compare_is_a_400(staff_client, slug):
    """Found by fuzzing: PostgreSQL refuses to compare text with a NUL character, so the
    lookup must not reach it (it answered 500)."""
    SectorFactory(slug="education")
    data = {"name": "Liceo Nul", "country": "IT", "sectors": [slug]}
    response = staff_client.post("/api/v1/organizations/", data)  # multipart, as fuzzed
    assert response.status_code == 400, response.content
    assert "does not exist" in response.json()["sectors"][0]
    assert not Organization.objects.filter(name="Liceo Nul").exists()


def test_create_a_school_with_sectors(staff_client):
    SectorFactory(slug="education")
    SectorFactory(slug="culture", name_en="Culture", name_it="Cultura")

    response = post(
        staff_client,
        "/api/v1/schools/",
        {
            "name": "  Liceo Manzoni ",
            "city": "Milano",
            "country": "IT",
            "school_code": " mi1a2b3c ",
            "sectors": ["education", "culture"],
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    school = School.objects.get(pk=body["id"])
    assert (school.name, school.school_code, school.kind) == ("Liceo Manzoni", "MI1A2B3C", "school")
    assert sorted(s.slug for s in school.sectors.all()) == ["culture", "education"]
    assert body["membership"] == "none"
    assert body["chapter"] == Chapter.objects.get(country="IT").pk


def test_a_duplicate_school_code_is_a_400_on_the_field(staff_client):
    SchoolFactory(school_code="RMIC8A9005")

    response = post(staff_client, "/api/v1/schools/", {"name": "Copy", "school_code": "rmic8a9005"})

    assert refused(response) == {
        "school_code": ["A school with this official code already exists."]
    }
    assert School.objects.count() == 1


def test_changing_a_school_to_a_taken_code_is_a_400(staff_client):
    SchoolFactory(school_code="RMIC8A9005")
    other = SchoolFactory(school_code="RMIC0000001")

    response = patch(staff_client, f"/api/v1/schools/{other.pk}/", {"school_code": "RMIC8A9005"})

    assert "school_code" in refused(response)
    other.refresh_from_db()
    assert other.school_code == "RMIC0000001"


def test_vat_numbers_are_checked_normalised_and_unique(staff_client):
    url, company = "/api/v1/companies/", {"country": "IT"}

    response = post(
        staff_client, url, {**company, "name": "Gentile S.p.A.", "vat_number": "00743110157"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["vat_number"] == "IT00743110157"

    duplicate = post(staff_client, url, {**company, "name": "Copy", "vat_number": "IT 00743110157"})
    invalid = post(staff_client, url, {**company, "name": "Bad", "vat_number": "IT12345678901"})

    assert "vat_number" in refused(duplicate)
    assert "vat_number" in refused(invalid)
    assert Company.objects.count() == 1


def test_municipal_codes_are_unique_per_country(staff_client):
    MunicipalityFactory(official_code="5192", country="CH")
    url, lugano = "/api/v1/municipalities/", {"official_code": "5192", "country": "CH"}

    same_country = post(staff_client, url, {**lugano, "name": "Lugano bis"})
    other_country = post(staff_client, url, {**lugano, "name": "Somewhere", "country": "IT"})
    letters = post(staff_client, url, {"name": "Letters", "official_code": "AB12", "country": "IT"})

    assert refused(same_country) == {
        "official_code": ["A municipality with this official code already exists in this country."]
    }
    assert other_country.status_code == 201
    assert "official_code" in refused(letters)
    assert Municipality.objects.count() == 2


def test_ambassadors_need_a_unique_email_and_record_consent(staff_client):
    response = post(
        staff_client,
        "/api/v1/ambassadors/",
        {
            "first_name": "Giulia",
            "last_name": "Rossi",
            "email": "Giulia@Example.org",
            "map_consent": True,
            "name": "Ignored",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Giulia Rossi"
    assert body["email"] == "giulia@example.org"
    assert body["map_consent_at"] is not None

    duplicate = post(
        staff_client,
        "/api/v1/ambassadors/",
        {"first_name": "G", "last_name": "R", "email": "giulia@example.org"},
    )
    no_email = post(staff_client, "/api/v1/ambassadors/", {"first_name": "A", "last_name": "B"})

    assert refused(duplicate) == {"email": ["An ambassador with this e-mail already exists."]}
    assert "email" in refused(no_email)
    assert Ambassador.objects.count() == 1


def test_coordinates_are_set_by_hand_only_through_the_action(staff_client, viewer_client):
    school = SchoolFactory(geocode_status="ok", latitude=45.0, longitude=9.0)
    url = f"/api/v1/schools/{school.pk}/"

    # A client sending back stale values clears nothing: the geocoding fields are read-only.
    stale = patch(
        staff_client, url, {"latitude": None, "longitude": None, "geocode_status": "pending"}
    )
    assert stale.status_code == 200
    school.refresh_from_db()
    assert (school.coordinates, school.geocode_status) == ((45.0, 9.0), "ok")

    out_of_range = post(staff_client, f"{url}set-coordinates/", {"latitude": 91, "longitude": 12})
    half = post(staff_client, f"{url}set-coordinates/", {"latitude": 41.9})
    assert set(refused(out_of_range)) == {"latitude"}
    assert refused(half) == {"longitude": ["This field is required."]}
    assert (
        post(viewer_client, f"{url}set-coordinates/", {"latitude": 1, "longitude": 2}).status_code
        == 403
    )

    placed = post(staff_client, f"{url}set-coordinates/", {"latitude": 41.9, "longitude": 12.5})
    assert placed.status_code == 200, placed.content
    body = placed.json()
    assert (body["latitude"], body["longitude"], body["geocode_status"]) == (41.9, 12.5, "manual")
    assert body["geocode_provider"] == "staff"


def test_one_primary_contact_per_member(staff_client):
    school = SchoolFactory()
    ContactFactory(member=school, is_primary=True)

    response = post(
        staff_client,
        "/api/v1/contacts/",
        {"member": school.pk, "name": "Second", "is_primary": True},
    )

    assert refused(response) == {"non_field_errors": ["This member already has a primary contact."]}
    assert Contact.objects.count() == 1


def test_agreement_rules(staff_client):
    school = SchoolFactory()
    url = "/api/v1/agreements/"
    base = {"member": school.pk, "starts_on": "2026-01-10"}

    created = post(staff_client, url, {**base, "signed_on": "2026-01-01", "ends_on": "2026-12-31"})
    backwards = post(staff_client, url, {**base, "ends_on": "2025-12-31"})
    future = post(staff_client, url, {**base, "signed_on": str(today() + datetime.timedelta(3))})
    no_reason = post(staff_client, url, {**base, "terminated_on": "2026-02-01"})
    unknown_member = post(staff_client, url, {**base, "member": 999999})
    taken = post(staff_client, url, {**base, "reference": created.json()["reference"]})

    assert created.status_code == 201, created.content
    assert created.json()["reference"].startswith("IKM-2026-")
    assert refused(backwards) == {
        "non_field_errors": ["The end date cannot be before the start date."]
    }
    assert refused(future) == {"signed_on": ["The signing date cannot be in the future."]}
    refused(no_reason)
    assert "member" in refused(unknown_member)
    assert "reference" in refused(taken)
    assert Agreement.objects.count() == 1


def test_renew_creates_the_successor_once(staff_client):
    agreement = AgreementFactory(
        starts_on=datetime.date(2025, 1, 1),
        signed_on=datetime.date(2024, 12, 1),
        ends_on=datetime.date(2025, 12, 31),
        renewal_months=12,
    )
    url = f"/api/v1/agreements/{agreement.pk}/renew/"

    first = post(staff_client, url, {"signed_on": "2025-12-20"})
    again = staff_client.post(url)

    assert first.status_code == 201, first.content
    body = first.json()
    assert (body["starts_on"], body["ends_on"], body["signed_on"]) == (
        "2026-01-01",
        "2026-12-31",
        "2025-12-20",
    )
    assert body["renews"] == agreement.pk
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert (
        staff_client.get(f"/api/v1/agreements/{agreement.pk}/").json()["renewed_by"] == (body["id"])
    )
    assert Agreement.objects.count() == 2


def test_renew_refuses_what_cannot_be_renewed(staff_client):
    open_ended = AgreementFactory(ends_on=None)
    draft = AgreementFactory(signed_on=None)

    for agreement in (open_ended, draft):
        response = staff_client.post(f"/api/v1/agreements/{agreement.pk}/renew/")
        refused(response)
        assert agreement.reference in response.json()["non_field_errors"][0]
    bad_date = post(
        staff_client, f"/api/v1/agreements/{AgreementFactory().pk}/renew/", {"signed_on": "x"}
    )
    assert "signed_on" in refused(bad_date)
    assert staff_client.post("/api/v1/agreements/999999/renew/").status_code == 404
    assert Agreement.objects.count() == 3


@pytest.mark.parametrize("endpoint", API_ENDPOINTS)
def test_unknown_ids_are_404(superuser_client, endpoint):
    for pk in ("999999", "abc", "99999999999999999999999"):
        assert superuser_client.get(f"/api/v1/{endpoint}/{pk}/").status_code == 404
    if endpoint != "members":
        assert patch(superuser_client, f"/api/v1/{endpoint}/999999/", {}).status_code == 404
        assert superuser_client.delete(f"/api/v1/{endpoint}/999999/").status_code == 404


def test_a_school_is_not_a_company(superuser_client):
    school = SchoolFactory()

    assert superuser_client.get(f"/api/v1/companies/{school.pk}/").status_code == 404
    assert superuser_client.get(f"/api/v1/members/{school.pk}/").json()["kind"] == "school"


def test_deleting_a_chapter_still_in_use_is_a_409(superuser_client):
    chapter = ChapterFactory(name="Switzerland", country="CH")
    SchoolFactory(country="CH", chapter=chapter)

    response = superuser_client.delete(f"/api/v1/chapters/{chapter.pk}/")

    assert response.status_code == 409
    assert "Cannot delete" in response.json()["detail"]
    assert Chapter.objects.filter(pk=chapter.pk).exists()


def test_malformed_bodies_are_400(superuser_client):
    broken = superuser_client.post("/api/v1/sectors/", "{not json", content_type="application/json")
    wrong_type = post(superuser_client, "/api/v1/schools/", {"name": ["a"], "students": "many"})
    unknown_sector = post(superuser_client, "/api/v1/schools/", {"name": "A", "sectors": ["x"]})
    null_char = post(superuser_client, "/api/v1/sectors/", {"slug": "a", "name_en": "a\x00b"})

    refused(broken)
    refused(wrong_type)
    assert set(wrong_type.json()) == {"name", "students"}
    assert "sectors" in refused(unknown_sector)
    refused(null_char)
    assert Member.objects.count() == 0


def test_a_member_of_a_kind_changes_through_its_endpoint(staff_client):
    school = SchoolFactory(name="Old")

    response = patch(staff_client, f"/api/v1/schools/{school.pk}/", {"name": "New", "kind": "x"})

    assert response.status_code == 200
    assert response.json()["kind"] == "school"
    assert Member.objects.get(pk=school.pk).name == "New"


def _populate(count: int) -> None:
    """`count` rows of every kind, each with what its serializer reads (sectors, renewals…).

    Written in bulk, a few INSERTs per kind: the lists read the rows, not what a save adds.
    """
    health = SectorFactory(slug="health", name_en="Health", name_it="Salute")
    sectors = [SectorFactory(slug=f"sector-{Sector.objects.count()}") for _ in range(count)]
    members = [
        (sector, member)
        for factory in (SchoolFactory, CompanyFactory, OrganizationFactory, MunicipalityFactory)
        for sector, member in zip(sectors, bulk_create(factory, [{}] * count), strict=True)
    ]
    ambassadors = bulk_create(AmbassadorFactory, [{"sponsor": m} for _, m in members])
    sectors_bulk_add(
        [(m.pk, s.pk) for sector, m in members for s in (sector, health)]
        + [(a.pk, sector.pk) for (sector, _), a in zip(members, ambassadors, strict=True)]
    )
    ending = bulk_create(AgreementFactory, [{"member": m, "ends_on": days(9)} for _, m in members])
    bulk_create(
        AgreementFactory,
        [
            {"member": m, "renews": renewed, "starts_on": days(10), "ends_on": days(400)}
            for (_, m), renewed in zip(members, ending, strict=True)
        ]
        + [{"member": a} for a in ambassadors],
    )
    bulk_create(ContactFactory, [{"member": m} for _, m in members])
    bulk_create(RecognitionFactory, [{"member": m} for _, m in members])
    for _ in range(count):
        taken = set(Chapter.objects.values_list("country", flat=True))
        code = next(country.code for country in countries if country.code not in taken)
        ChapterFactory(name=f"Chapter {code}", country=code)


def _queries(client, url: str) -> int:
    """The queries of a request. The audit row of the people a page showed is one INSERT
    or none, by what the page holds (ambassadors sort after schools), never one per row:
    counted apart, so that pages of different content compare."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    audit = [q for q in queries.captured_queries if '"crm_personaldataaccess"' in q["sql"]]
    assert len(audit) <= 1, audit
    return len(queries) - len(audit)


@pytest.mark.parametrize("endpoint", API_ENDPOINTS)
def test_list_queries_do_not_grow_with_the_page(viewer_client, endpoint):
    _populate(2)
    url = f"/api/v1/{endpoint}/?page_size=50"
    few = _queries(viewer_client, url)
    small_page = len(viewer_client.get(url).json()["results"])

    _populate(20)
    many = _queries(viewer_client, url)

    assert len(viewer_client.get(url).json()["results"]) > small_page
    assert many == few
    # Session, the second factor's device, permissions, the chapter scope, count, page,
    # and the sectors and the membership of the page's members at most.
    assert many <= 10


@pytest.mark.parametrize(
    "query", ["status=active", "expiring_within=30", f"active_on={today()}", "sector=health"]
)
def test_filtered_member_lists_stay_constant_too(viewer_client, query):
    _populate(2)
    url = f"/api/v1/members/?{query}&page_size=100"
    few = _queries(viewer_client, url)

    _populate(15)

    assert _queries(viewer_client, url) == few
