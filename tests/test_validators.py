"""Clean data: the same validators on every entry path (admin, staff API, import, join form
and join API), with one table of bad values and the messages people see (README lists it)."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone, translation

from crm.models import Agreement, Contact
from crm.validators import phone_e164, text_clean
from municipalities.models import JoinRequest, Municipality
from partners.models import School
from tests.factories import (
    ChapterFactory,
    MunicipalityReferenceFactory,
    SchoolFactory,
    SectorFactory,
    join_api_data,
    join_form_data,
    member_form,
    pdf_upload,
)

pytestmark = pytest.mark.django_db

TOMORROW = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
PHONE_IT = "Enter a valid phone number for Italy, e.g. +39 02 1234 5678."
PHONE_CH = "Enter a valid phone number for Switzerland, e.g. +41 21 234 56 78."
TOO_EARLY = "Enter a date on or after 1990-01-01 (YYYY-MM-DD)."

#: Bad values of a member (a school in Italy, or in Switzerland for the last phone).
MEMBER_BAD_VALUES = [
    ("phone", "<script>alert(1)</script>", "IT", PHONE_IT),
    ("phone", "0001", "IT", PHONE_IT),
    ("phone", "12", "CH", PHONE_CH),
    ("email", "mario@", "IT", "Enter a valid email address."),
    ("website", "javascript:alert(1)", "IT", "Enter a valid URL."),
]
MEMBER_PARAMS = ("field", "value", "country", "message")
MEMBER_IDS = ["script as phone", "too short", "swiss phone", "email", "website"]

#: Bad dates of a municipality and of an agreement.
DATE_BAD_VALUES = [
    ("municipality", "resolution_date", "0001-01-01", TOO_EARLY),
    ("municipality", "resolution_date", TOMORROW, "The resolution date cannot be in the future."),
    ("municipality", "joined_on", "1989-12-31", TOO_EARLY),
    ("agreement", "signed_on", "1989-12-31", TOO_EARLY),
    ("agreement", "signed_on", TOMORROW, "The signing date cannot be in the future."),
    ("agreement", "ends_on", "2999-01-01", "Enter a date at most 30 years from today."),
]
DATE_IDS = [
    "resolution 0001",
    "resolution future",
    "joined 1989",
    "signed 1989",
    "signed future",
    "ends 2999",
]

#: Bad values of a join request (the public form and the API).
JOIN_BAD_VALUES = [
    ("submitter_phone", "<script>alert(1)</script>", PHONE_IT),
    ("submitter_phone", "035", PHONE_IT),
    ("submitter_email", "ufficio@@comune", "Enter a valid email address."),
    ("resolution_date", "0001-01-01", TOO_EARLY),
    ("resolution_date", TOMORROW, "The resolution date cannot be in the future."),
]
JOIN_IDS = ["script as phone", "too short", "email", "resolution 0001", "resolution future"]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


# -- the rules themselves ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "country", "expected"),
    [
        ("02 1234 5678", "IT", "+390212345678"),
        ("+39 035 123456", "IT", "+39035123456"),
        ("091 123 45 67", "CH", "+41911234567"),
        ("+41 58 000 00 00", "IT", "+41580000000"),  # an international number keeps its own
        ("  ", "IT", ""),
    ],
)
def test_phone_in_e164(value, country, expected):
    assert phone_e164(value, country) == expected


def test_phone_message_names_the_country_in_the_language_of_the_request():
    with pytest.raises(ValidationError) as caught:
        phone_e164("abc", "CH")
    assert caught.value.messages == [PHONE_CH]
    with translation.override("it"), pytest.raises(ValidationError) as caught:
        phone_e164("abc", "IT")
    assert caught.value.messages == [
        "Inserisci un numero di telefono valido per Italia, ad es. +39 02 1234 5678."
    ]


@pytest.mark.parametrize(
    ("value", "multiline", "expected"),
    [
        (" Scuola\x00 Rodari\x1b ", False, "Scuola Rodari"),
        ("Via\tRoma\n1", False, "Via Roma 1"),
        ("Riga 1\r\nRiga\t2\x07\u202e", True, "Riga 1\nRiga\t2"),
        ("Zero\u200bwidth", False, "Zerowidth"),
    ],
)
def test_text_loses_control_characters(value, multiline, expected):
    assert text_clean(value, multiline=multiline) == expected


def test_a_direct_save_normalises_too():
    school = SchoolFactory(
        name="Scuola\x00 Rodari", phone="02 1234 5678", website="www.rodari.example.org"
    )
    school.refresh_from_db()
    assert (school.name, school.phone, school.website) == (
        "Scuola Rodari",
        "+390212345678",
        "https://www.rodari.example.org",
    )


def test_a_contact_phone_is_never_read_in_a_guessed_country():
    school = SchoolFactory(country="CH")
    contact = Contact.objects.create(member_id=school.pk, name="Anna", phone="091 123 45 67")
    assert contact.phone == "091 123 45 67"  # its member was not at hand: kept as typed
    contact = Contact.objects.get(pk=contact.pk)
    contact.full_clean()
    assert contact.phone == "+41911234567"  # validation reads it in the member's country


# -- the admin ---------------------------------------------------------------------------


def admin_member_form(**fields) -> dict:
    school = {"name": "Scuola Rodari", "school_code": "RMIC00001", "level": "primary"}
    return member_form(School, **{**school, **fields})


def admin_errors(response) -> dict:
    assert response.status_code == 200, response.status_code  # re-rendered with errors
    return response.context["adminform"].form.errors


@pytest.mark.parametrize(
    ("field", "value", "country", "message"), MEMBER_BAD_VALUES, ids=MEMBER_IDS
)
def test_admin_member_form(superuser_client, field, value, country, message):
    data = admin_member_form(country=country, **{field: value})
    response = superuser_client.post("/admin/partners/school/add/", data)
    assert admin_errors(response) == {field: [message]}
    assert not School.objects.exists()


def test_admin_stores_clean_values(superuser_client):
    data = admin_member_form(
        name="Scuola\x07 Rodari", phone="02 1234 5678", notes="Riga 1\r\nRiga 2\x1b"
    )
    response = superuser_client.post("/admin/partners/school/add/", data)
    assert response.status_code == 302
    school = School.objects.get()
    assert (school.name, school.phone, school.notes) == (
        "Scuola Rodari",
        "+390212345678",
        "Riga 1\nRiga 2",
    )


def test_admin_contact_phone_reads_the_member_country(superuser_client):
    data = admin_member_form(country="CH")
    data.update({"contacts-TOTAL_FORMS": "2", "contacts-0-name": "Anna"})
    data.update({"contacts-0-phone": "091 123 45 67", "contacts-1-name": "Marco"})
    data["contacts-1-phone"] = "12"
    response = superuser_client.post("/admin/partners/school/add/", data)
    assert response.status_code == 200
    formset = next(
        f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "contacts"
    )
    assert formset.formset.errors == [{}, {"phone": [PHONE_CH]}]
    data["contacts-1-phone"] = "+41 91 765 43 21"
    assert superuser_client.post("/admin/partners/school/add/", data).status_code == 302
    assert sorted(Contact.objects.values_list("phone", flat=True)) == [
        "+41911234567",
        "+41917654321",
    ]


@pytest.mark.parametrize(("model", "field", "value", "message"), DATE_BAD_VALUES, ids=DATE_IDS)
def test_admin_dates(superuser_client, model, field, value, message):
    if model == "municipality":
        url, data = "/admin/municipalities/municipality/add/", admin_member_form(name="Comune")
    else:
        url = "/admin/crm/agreement/add/"
        data = {
            "member": SchoolFactory().pk,
            "type": "membership",
            "starts_on": "2020-01-01",
            "renewal_months": "12",
        }
    response = superuser_client.post(url, {**data, field: value})
    assert admin_errors(response) == {field: [message]}
    assert not Municipality.objects.exists() and not Agreement.objects.exists()


# -- the staff API -----------------------------------------------------------------------


def api_post(client, url: str, data: dict):
    return client.post(url, json.dumps(data), content_type="application/json")


@pytest.mark.parametrize(
    ("field", "value", "country", "message"), MEMBER_BAD_VALUES, ids=MEMBER_IDS
)
def test_api_member(staff_client, field, value, country, message):
    data = {"name": "Scuola Rodari", "school_code": "RMIC00001", "country": country, field: value}
    response = api_post(staff_client, "/api/v1/schools/", data)
    assert (response.status_code, response.json()) == (400, {field: [message]})
    assert not School.objects.exists()


def test_api_stores_clean_values(staff_client):
    data = {"name": "Scuola\x1b Rodari", "school_code": "RMIC00001", "phone": "02 1234 5678"}
    response = api_post(staff_client, "/api/v1/schools/", data)
    assert response.status_code == 201, response.json()
    assert (response.json()["name"], response.json()["phone"]) == ("Scuola Rodari", "+390212345678")
    contact = api_post(
        staff_client,
        "/api/v1/contacts/",
        {"member": response.json()["id"], "name": "Anna", "phone": "abc"},
    )
    assert (contact.status_code, contact.json()) == (400, {"phone": [PHONE_IT]})


@pytest.mark.parametrize(("model", "field", "value", "message"), DATE_BAD_VALUES, ids=DATE_IDS)
def test_api_dates(staff_client, model, field, value, message):
    if model == "municipality":
        url, data = "/api/v1/municipalities/", {"name": "Comune", "country": "IT"}
    else:
        url = "/api/v1/agreements/"
        data = {"member": SchoolFactory().pk, "type": "membership", "starts_on": "2020-01-01"}
    response = api_post(staff_client, url, {**data, field: value})
    assert (response.status_code, response.json()) == (400, {field: [message]})


# -- the import command ------------------------------------------------------------------


def run_import(tmp_path, name: str, header: list[str], row: list[str]) -> str:
    path = tmp_path / f"{name}.csv"
    path.write_text(",".join(header) + "\n" + ",".join(row) + "\n", encoding="utf-8")
    call_command("import", name, str(path), "--noinput")
    return ""


def assert_import_error(err: str, column: str, message: str) -> None:
    """The command names the row, the column, the value and the message."""
    assert err.startswith(f"Row 2, column {column}: "), err
    assert err.strip().endswith(f": {message}"), err


@pytest.fixture
def reference_data():
    ChapterFactory(name="Italy", country="IT")
    ChapterFactory(name="Switzerland", country="CH")
    SectorFactory(slug="education")


SCHOOL_HEADER = ["school_code", "name", "level", "chapter", "city", "country"]


@pytest.mark.parametrize(
    ("field", "value", "country", "message"), MEMBER_BAD_VALUES, ids=MEMBER_IDS
)
def test_import_member(tmp_path, capsys, reference_data, field, value, country, message):
    row = ["RMIC00001", "Scuola Rodari", "primary", country, "Roma", country, value]
    with pytest.raises(CommandError, match="Nothing was imported"):
        run_import(tmp_path, "schools", [*SCHOOL_HEADER, field], row)
    assert_import_error(capsys.readouterr().err, field, message)
    assert not School.objects.exists()


def test_import_stores_clean_values(tmp_path, reference_data):
    header = [*SCHOOL_HEADER, "phone", "website", "notes"]
    row = ["RMIC00001", "Scuola\x07 Rodari", "primary", "IT", "Roma", "IT"]
    run_import(tmp_path, "schools", header, [*row, "02 1234 5678", "www.rodari.it", "x\x07"])
    school = School.objects.get()
    assert (school.name, school.phone, school.website, school.notes) == (
        "Scuola Rodari",
        "+390212345678",
        "https://www.rodari.it",
        "x",
    )


def test_import_contact_phone_reads_the_member_country(tmp_path, capsys, reference_data):
    school = SchoolFactory(name="Scuola Lugano", country="CH", city="Lugano")
    header = ["member_kind", "member", "member_country", "member_city", "name", "phone"]
    row = ["school", school.name, "CH", "Lugano", "Anna"]
    with pytest.raises(CommandError):
        run_import(tmp_path, "contacts", header, [*row, "12"])
    assert_import_error(capsys.readouterr().err, "phone", PHONE_CH)
    run_import(tmp_path, "contacts", header, [*row, "091 123 45 67"])
    assert Contact.objects.get().phone == "+41911234567"


@pytest.mark.parametrize(("model", "field", "value", "message"), DATE_BAD_VALUES, ids=DATE_IDS)
def test_import_dates(tmp_path, capsys, reference_data, model, field, value, message):
    if model == "municipality":
        name, header = "municipalities", ["name", "city", "country", field]
        row = ["Comune di Prova", "Prova", "IT", value]
    else:
        school = SchoolFactory(name="Scuola Rodari", city="Roma")
        name = "agreements"
        header = ["member_kind", "member", "member_country", "member_city", "starts_on", field]
        row = ["school", school.name, "IT", "Roma", "2020-01-01", value]
    with pytest.raises(CommandError, match="Nothing was imported"):
        run_import(tmp_path, name, header, row)
    assert_import_error(capsys.readouterr().err, field, message)


# -- the public join form and the join API -----------------------------------------------


@pytest.fixture
def castro(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"
    settings.JOIN_REQUEST_MIN_FILL_SECONDS = 3
    cache.clear()  # rate limits count in the cache
    ChapterFactory(email="italia@kindnet.example")
    yield MunicipalityReferenceFactory(official_code="016065", name="Castro", province_code="BG")
    cache.clear()


def dirty(**overrides) -> dict:
    """Castro's join request with control characters and a local phone number to clean."""
    return {
        "submitter_name": "Maria\x07 Bianchi",
        "submitter_role": "Councillor",
        "submitter_phone": "035 123456",
        "message": "Riga 1\r\nRiga 2\x1b",
        "resolution_file": pdf_upload(name="d.pdf"),
        **overrides,
    }


def assert_stored_clean() -> None:
    join_request = JoinRequest.objects.get()
    assert (
        join_request.submitter_name,
        join_request.submitter_phone,
        join_request.message,
    ) == ("Maria Bianchi", "+39035123456", "Riga 1\nRiga 2")


@pytest.mark.parametrize(("field", "value", "message"), JOIN_BAD_VALUES, ids=JOIN_IDS)
def test_join_form(castro, field, value, message):
    response = Client().post("/join/", join_form_data(**dirty(**{field: value})))
    assert response.status_code == 400
    assert response.context["form"].errors == {field: [message]}
    assert not JoinRequest.objects.exists()


def test_join_form_stores_clean_values(castro):
    response = Client().post("/join/", join_form_data(**dirty()))
    assert response.status_code == 302
    assert_stored_clean()


@pytest.mark.parametrize(("field", "value", "message"), JOIN_BAD_VALUES, ids=JOIN_IDS)
def test_join_api(castro, field, value, message):
    response = Client().post("/api/v1/join-requests/", join_api_data(**dirty(**{field: value})))
    assert (response.status_code, response.json()) == (400, {field: [message]})
    assert not JoinRequest.objects.exists()


def test_join_api_stores_clean_values(castro):
    response = Client().post("/api/v1/join-requests/", join_api_data(**dirty()))
    assert response.status_code == 201, response.json()
    assert_stored_clean()
