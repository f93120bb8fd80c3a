"""Who may do what on every staff endpoint: anonymous, bob (viewer), charlie (staff), alice."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from crm.models import Member
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
    today,
)

pytestmark = pytest.mark.django_db


def _school():
    return SchoolFactory()


#: endpoint -> (make one row, payload to create another, a change to make)
ENDPOINTS = {
    "schools": (
        SchoolFactory,
        lambda: {"name": "Scuola Nuova", "city": "Roma", "school_code": "RMIC99999Z"},
        {"city": "Milano"},
    ),
    "companies": (
        CompanyFactory,
        lambda: {"name": "Gentile S.r.l.", "size": "small"},
        {"size": "large"},
    ),
    "organizations": (
        OrganizationFactory,
        lambda: {"name": "Radio Gentile", "type": "media"},
        {"type": "culture"},
    ),
    "municipalities": (
        MunicipalityFactory,
        lambda: {"name": "Lecce", "official_code": "075035", "country": "IT"},
        {"population": 94773},
    ),
    "ambassadors": (
        AmbassadorFactory,
        lambda: {"first_name": "Anna", "last_name": "Verdi", "email": "anna@example.org"},
        {"status": "active"},
    ),
    "contacts": (
        ContactFactory,
        lambda: {"member": _school().pk, "name": "Maria Rossi", "role": "Teacher"},
        {"role": "Head teacher"},
    ),
    "agreements": (
        AgreementFactory,
        lambda: {"member": _school().pk, "starts_on": str(today()), "signed_on": str(today())},
        {"signatories": "Maria Rossi"},
    ),
    "recognitions": (
        RecognitionFactory,
        lambda: {"member": _school().pk, "title": "Kind School", "awarded_on": str(today())},
        {"note": "For the kindness week."},
    ),
    "chapters": (
        lambda: ChapterFactory(name="Switzerland", country="CH"),
        lambda: {"name": "France", "country": "FR"},
        {"email": "ch@kindness.example"},
    ),
    "sectors": (
        SectorFactory,
        lambda: {"slug": "sport", "name_en": "Sport", "name_it": "Sport"},
        {"name_it": "Educazione"},
    ),
}


def _calls(endpoint: str) -> dict[str, tuple[str, str, dict | None]]:
    make, payload, change = ENDPOINTS[endpoint]
    row = make()
    base = f"/api/v1/{endpoint}/"
    return {
        "list": ("get", base, None),
        "detail": ("get", f"{base}{row.pk}/", None),
        "create": ("post", base, payload()),
        "update": ("patch", f"{base}{row.pk}/", change),
        "delete": ("delete", f"{base}{row.pk}/", None),
    }


def _send(client: Client, method: str, url: str, data: dict | None):
    if data is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, json.dumps(data), content_type="application/json")


EXPECTED = {
    "anonymous": {"list": 401, "detail": 401, "create": 401, "update": 401, "delete": 401},
    "viewer": {"list": 200, "detail": 200, "create": 403, "update": 403, "delete": 403},
    "staff": {"list": 200, "detail": 200, "create": 201, "update": 200, "delete": 204},
    "superuser": {"list": 200, "detail": 200, "create": 201, "update": 200, "delete": 204},
}


@pytest.mark.parametrize("role", list(EXPECTED))
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("operation", ["list", "detail", "create", "update", "delete"])
def test_every_role_on_every_endpoint(request, role, endpoint, operation):
    client = request.getfixturevalue(f"{role}_client" if role != "staff" else "staff_client")
    method, url, data = _calls(endpoint)[operation]

    response = _send(client, method, url, data)

    assert response.status_code == EXPECTED[role][operation], response.content


@pytest.mark.parametrize(
    ("role", "get", "post"),
    [("anonymous", 401, 401), ("viewer", 200, 403), ("staff", 200, 405), ("superuser", 200, 405)],
)
def test_members_across_kinds_are_read_only(request, role, get, post):
    client = request.getfixturevalue(f"{role}_client")
    school = SchoolFactory()

    assert client.get("/api/v1/members/").status_code == get
    assert client.get(f"/api/v1/members/{school.pk}/").status_code == get
    assert _send(client, "post", "/api/v1/members/", {"name": "x"}).status_code == post
    assert _send(client, "patch", f"/api/v1/members/{school.pk}/", {"name": "x"}).status_code == (
        post
    )
    assert client.delete(f"/api/v1/members/{school.pk}/").status_code == post
    assert Member.objects.get(pk=school.pk).name == school.name


@pytest.mark.parametrize(
    ("role", "expected"), [("anonymous", 401), ("viewer", 403), ("staff", 201), ("superuser", 201)]
)
def test_renew_needs_the_add_permission(request, role, expected):
    client = request.getfixturevalue(f"{role}_client")
    agreement = AgreementFactory()

    response = client.post(f"/api/v1/agreements/{agreement.pk}/renew/")

    assert response.status_code == expected


def test_anonymous_is_told_how_to_authenticate(anonymous_client):
    response = anonymous_client.get("/api/v1/schools/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_api_root_only_for_signed_in_users(anonymous_client, viewer_client):
    assert anonymous_client.get("/api/v1/").status_code == 401
    response = viewer_client.get("/api/v1/")
    assert response.status_code == 200
    assert "schools" in response.json()


def test_staff_without_view_permission_sees_nothing(django_user_model):
    user = django_user_model.objects.create_user("dave", "dave@example.org", "pw", is_staff=True)
    client = Client()
    client.force_login(user)

    assert client.get("/api/v1/schools/").status_code == 403


@pytest.mark.parametrize(
    ("user", "readable", "write"),
    [("superuser", "/api/v1/sectors/", 201), ("viewer", "/api/v1/agreements/", 403)],
)
def test_a_token_reads_and_writes_as_its_user(request, anonymous_client, user, readable, write):
    token = Token.objects.create(user=request.getfixturevalue(user))
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    sport = {"slug": "sport", "name_en": "Sport", "name_it": "Sport"}

    assert anonymous_client.get(readable, **auth).status_code == 200
    response = anonymous_client.post(
        "/api/v1/sectors/", json.dumps(sport), content_type="application/json", **auth
    )
    assert response.status_code == write
    bad = {"HTTP_AUTHORIZATION": "Token not-a-token"}
    assert anonymous_client.get(readable, **bad).status_code == 401


def test_the_admin_issues_tokens(superuser_client, viewer):
    assert superuser_client.get("/admin/authtoken/tokenproxy/").status_code == 200

    response = superuser_client.post("/admin/authtoken/tokenproxy/add/", {"user": viewer.pk})

    assert response.status_code == 302
    assert Token.objects.filter(user=viewer).exists()


def test_session_writes_need_the_csrf_token(chapter_staff):
    client = Client(enforce_csrf_checks=True)
    client.force_login(chapter_staff)

    response = _send(client, "post", "/api/v1/sectors/", {"slug": "s", "name_en": "S"})

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


@pytest.mark.parametrize(
    "url",
    ["/api/schema/", "/api/docs/", "/api/v1/map/"],
)
def test_public_endpoints_are_open_to_anonymous(anonymous_client, url):
    assert anonymous_client.get(url).status_code == 200
