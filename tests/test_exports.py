"""Export of the network: round trip, admin filters and selections, formats, people permissions."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from import_export.formats import base_formats

from ambassadors.resources import AmbassadorResource
from exchange.formats import SpreadsheetCSV
from exchange.resources import AgreementResource, ContactResource
from municipalities.resources import MunicipalityResource
from partners.resources import CompanyResource, OrganizationResource, SchoolResource
from tests.factories import (
    MEMBER_ADDRESS,
    AgreementFactory,
    AmbassadorFactory,
    CompanyFactory,
    ContactFactory,
    MunicipalityFactory,
    OrganizationFactory,
    SchoolFactory,
    bulk_create,
    sectors_bulk_add,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def network(reference_data):
    school = SchoolFactory(
        name="Scuola Città di Castello",
        city="Città di Castello",
        school_code="PGIC81000X",
        sectors=[reference_data["education"], reference_data["health"]],
    )
    SchoolFactory(name="Scuola Zürich", city="Zürich", country="CH", school_code="ZH0001")
    CompanyFactory(name="Caffè Gentile S.r.l.", vat_number="IT00743110157")
    OrganizationFactory(name="Associazione Né", city="Torino", type="association")
    MunicipalityFactory(name="Lugano", official_code="5192", country="CH", city="Lugano")
    ambassador = AmbassadorFactory(first_name="Lúcia", last_name="Ferré", email="lucia@example.org")
    AgreementFactory(member=school, reference="IKM-2025-0001")
    AgreementFactory(member=ambassador, reference="IKM-2025-0002", type="ambassador_charter")
    ContactFactory(member=school, name="Renée Rossi", email="renee@example.org", is_primary=True)
    return school


def export_form_data(response, fmt: int = 0) -> dict:
    """Every field of the export form ticked, as staff who export everything would send."""
    form = response.context["form"]
    skip = ("format", "resource", "export_items")
    data = {name: "on" for name in form.fields if name not in skip}
    data.update({"format": str(fmt), "resource": "0"})
    return data


def body(response) -> bytes:
    """The whole of a streamed export."""
    assert response.streaming, "large exports stream"
    return b"".join(response.streaming_content)


def admin_export(client, url: str, *, query: str = "", fmt: int = 0):
    page = client.get(f"{url}export/{query}")
    assert page.status_code == 200
    return client.post(f"{url}export/{query}", export_form_data(page, fmt))


KINDS = [
    ("/admin/partners/school/", SchoolResource, 2),
    ("/admin/partners/company/", CompanyResource, 1),
    ("/admin/partners/organization/", OrganizationResource, 1),
    ("/admin/municipalities/municipality/", MunicipalityResource, 1),
    ("/admin/ambassadors/ambassador/", AmbassadorResource, 1),
    ("/admin/crm/agreement/", AgreementResource, 2),
    ("/admin/crm/contact/", ContactResource, 1),
]


@pytest.mark.parametrize(("url", "resource_class", "rows"), KINDS)
def test_round_trip_export_then_import_changes_nothing(
    network, superuser_client, url, resource_class, rows
):
    model = resource_class._meta.model
    before = list(model.objects.order_by("pk").values())
    history = model.history.count() if hasattr(model, "history") else 0

    response = admin_export(superuser_client, url)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    dataset = SpreadsheetCSV().create_dataset(body(response))
    assert len(dataset) == rows
    result = resource_class().import_data(dataset)
    assert result.problems() == []
    assert result.counts() == {"new": 0, "updated": 0, "unchanged": rows, "invalid": 0}
    assert list(model.objects.order_by("pk").values()) == before
    assert (model.history.count() if hasattr(model, "history") else 0) == history


def test_export_is_utf8_with_bom_and_keeps_accents(network, superuser_client):
    response = admin_export(superuser_client, "/admin/partners/school/")

    text = body(response).decode("utf-8")
    assert text.startswith("\ufeffschool_code,name,level,students,chapter,sectors,street,")
    assert (
        "PGIC81000X,Scuola Città di Castello,primary,300,Italy,Education; Health,Via Roma 1,"
        "00184,Città di Castello,RM,Lazio,IT,,,,,yes," in text
    )


def test_export_honours_the_admin_filters(network, superuser_client):
    response = admin_export(superuser_client, "/admin/partners/school/", query="?country=CH")

    dataset = SpreadsheetCSV().create_dataset(body(response))
    assert [row["name"] for row in dataset.dict] == ["Scuola Zürich"]


def test_export_of_selected_rows(network, superuser_client):
    zurich = SchoolFactory._meta.model.objects.get(school_code="ZH0001")
    page = superuser_client.post(
        "/admin/partners/school/",
        {"action": "export_admin_action", "_selected_action": [zurich.pk]},
    )
    assert page.status_code == 200
    data = export_form_data(page)
    data["export_items"] = [zurich.pk]

    response = superuser_client.post("/admin/partners/school/export/", data)

    dataset = SpreadsheetCSV().create_dataset(body(response))
    assert [row["school_code"] for row in dataset.dict] == ["ZH0001"]


def test_export_as_json_and_xlsx(network, superuser_client):
    as_json = admin_export(superuser_client, "/admin/partners/company/", fmt=2)
    assert json.loads(body(as_json)) == [
        {
            "vat_number": "IT00743110157",
            "name": "Caffè Gentile S.r.l.",
            "size": "small",
            "employees": "",
            "chapter": "Italy",
            "sectors": "",
            **MEMBER_ADDRESS,
            "email": "",
            "phone": "",
            "website": "",
            "description": "",
            "show_on_map": "yes",
            "notes": "",
        }
    ]

    as_xlsx = admin_export(superuser_client, "/admin/partners/organization/", fmt=1)
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(body(as_xlsx))).active
    assert [cell.value for cell in sheet[2]][:2] == ["Associazione Né", "association"]


@pytest.mark.parametrize(
    ("url", "permission"),
    [
        ("/admin/ambassadors/ambassador/", "export_ambassador"),
        ("/admin/crm/contact/", "export_contact"),
    ],
)
def test_exporting_people_needs_its_own_permission(
    network, chapter_staff, staff_client, url, permission
):
    assert staff_client.get(url).status_code == 200
    assert f'href="{url}export/' not in staff_client.get(url).content.decode()
    assert staff_client.get(f"{url}export/").status_code == 403
    assert staff_client.post(f"{url}export/", {"format": "0"}).status_code == 403

    chapter_staff.user_permissions.add(Permission.objects.get(codename=permission))

    assert f'href="{url}export/' in staff_client.get(url).content.decode()
    assert admin_export(staff_client, url).status_code == 200


def test_staff_export_organisations_without_a_special_permission(network, staff_client):
    assert admin_export(staff_client, "/admin/partners/organization/").status_code == 200


def test_viewer_can_export_what_they_see_but_not_import(network, viewer_client):
    assert admin_export(viewer_client, "/admin/partners/school/").status_code == 200
    page = viewer_client.get("/admin/partners/school/").content.decode()
    assert 'href="/admin/partners/school/import/"' not in page


def test_export_command_checks_the_people_permission(network, superuser, viewer, tmp_path):
    with pytest.raises(CommandError, match="Exporting people needs --user"):
        call_command("export", "csv", "ambassadors")
    with pytest.raises(CommandError, match=r"missing ambassadors\.export_ambassador"):
        call_command("export", "csv", "ambassadors", "--user", "bob")

    target = tmp_path / "ambassadors.csv"
    call_command("export", "csv", "ambassadors", "--user", "alice", "--output", str(target))

    dataset = SpreadsheetCSV().create_dataset(target.read_bytes())
    assert [(r["email"], r["first_name"], r["last_name"]) for r in dataset.dict] == [
        ("lucia@example.org", "Lúcia", "Ferré")
    ]


def test_export_command_writes_schools_without_a_user(network, capsysbinary):
    call_command("export", "json", "schools")
    rows = json.loads(capsysbinary.readouterr().out)
    assert sorted(r["school_code"] for r in rows) == ["PGIC81000X", "ZH0001"]


@pytest.mark.parametrize("url", [url for url, _resource, _rows in KINDS])
def test_changelists_with_import_export_keep_a_constant_query_count(network, superuser_client, url):
    superuser_client.get(url)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as few:
        assert superuser_client.get(url).status_code == 200
    for i in range(5):
        SchoolFactory(school_code=f"XX{i:04d}")
        CompanyFactory()
        OrganizationFactory()
        MunicipalityFactory()
        member = AmbassadorFactory()
        AgreementFactory(member=member)
        ContactFactory(member=member)
    superuser_client.get(url)  # the sidebar's choices, cached again after the change
    with CaptureQueriesContext(connection) as many:
        assert superuser_client.get(url).status_code == 200
    assert len(many) == len(few)


# -- exports in one pass (exchange/export.py) ------------------------------------------


@pytest.mark.parametrize(("url", "resource_class", "rows"), KINDS)
def test_streamed_export_is_the_librarys_export(network, url, resource_class, rows):
    """Same bytes as django-import-export's own export of every kind (values or instances)."""
    from exchange.export import export_stream

    model = resource_class._meta.model
    queryset = model.objects.order_by("pk")
    library = SpreadsheetCSV().export_data(resource_class().export(queryset=queryset))
    for fmt in (SpreadsheetCSV(), base_formats.JSON()):
        streamed = b"".join(export_stream(resource_class(), queryset, fmt)).decode("utf-8")
        if isinstance(fmt, base_formats.JSON):
            expected = json.loads(
                base_formats.JSON().export_data(resource_class().export(queryset=queryset))
            )
            assert json.loads(streamed) == expected
        else:
            assert streamed == library


def schools_with_sectors(first: int, count: int, sectors: list) -> None:
    codes = [f"BULK{i:04d}" for i in range(first, first + count)]
    schools = bulk_create(SchoolFactory, [{"school_code": c, "chapter": None} for c in codes])
    sectors_bulk_add((school.pk, sectors[i % 2].pk) for i, school in enumerate(schools))


def test_admin_export_streams_with_the_same_queries_for_every_chunk(
    reference_data, superuser_client, monkeypatch
):
    """Four chunks cost two queries more than two chunks: the sectors of each chunk (the
    chapters and sector names are read once); never a query per row or an OFFSET page."""
    monkeypatch.setattr("exchange.export.EXPORT_CHUNK", 3)
    sectors = [reference_data["education"], reference_data["health"]]
    url = "/admin/partners/school/"
    page = superuser_client.get(f"{url}export/")
    data = export_form_data(page)

    def export_queries() -> tuple[int, list[dict]]:
        with CaptureQueriesContext(connection) as queries:
            response = superuser_client.post(f"{url}export/", data)
            content = body(response)
        assert all("OFFSET" not in q["sql"] for q in queries.captured_queries)
        return len(queries), list(SpreadsheetCSV().create_dataset(content).dict)

    schools_with_sectors(0, 6, sectors)
    two_chunks, rows = export_queries()
    assert len(rows) == 6
    schools_with_sectors(6, 6, sectors)
    four_chunks, rows = export_queries()

    assert four_chunks - two_chunks == 2
    assert len(rows) == 12
    assert {row["sectors"] for row in rows} == {"Education", "Health"}
    assert {row["chapter"] for row in rows} == {"Italy"}


def test_admin_export_keeps_to_the_users_chapters(reference_data, staff_client, chapter_staff):
    from crm.models import ChapterScope

    SchoolFactory(name="Scuola Roma", school_code="RM0001")
    SchoolFactory(name="Scuola Zürich", school_code="ZH0001", country="CH")
    scope = ChapterScope.objects.get(user=chapter_staff)
    scope.all_chapters = False
    scope.save()
    scope.chapters.add(reference_data["CH"])

    response = admin_export(staff_client, "/admin/partners/school/")

    assert response["Content-Disposition"].startswith('attachment; filename="School-')
    rows = SpreadsheetCSV().create_dataset(body(response)).dict
    assert [row["name"] for row in rows] == ["Scuola Zürich"]
    # Another chapter's school, even selected by id, is not exported.
    roma = SchoolFactory._meta.model.objects.get(school_code="RM0001")
    data = export_form_data(staff_client.get("/admin/partners/school/export/"))
    data["export_items"] = [roma.pk]
    refused = staff_client.post("/admin/partners/school/export/", data)
    assert not refused.streaming
    assert refused.status_code == 200  # the form again, with the invalid choice


def test_export_command_streams_xlsx_and_an_encoding(network, tmp_path):
    import openpyxl

    target = tmp_path / "schools.xlsx"
    call_command("export", "xlsx", "schools", "--output", str(target))
    sheet = openpyxl.load_workbook(target).active
    assert sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True)) == [
        "PGIC81000X",
        "ZH0001",
    ]

    latin = tmp_path / "schools.csv"
    call_command("export", "csv", "schools", "--encoding", "latin-1", "--output", str(latin))
    assert "Scuola Città di Castello" in latin.read_bytes().decode("latin-1")
    with pytest.raises(CommandError, match="Cannot write the export as ascii"):
        call_command("export", "csv", "schools", "--encoding", "ascii", "--output", str(latin))
