"""Bulk import of the network: formats, natural keys, all-or-nothing, report, admin, command."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ambassadors.models import Ambassador
from ambassadors.resources import AmbassadorResource
from crm.models import Agreement, Contact, Member
from exchange.formats import SpreadsheetCSV, SpreadsheetXLSX
from exchange.resources import AgreementResource, ContactResource
from municipalities.models import Municipality
from municipalities.resources import MunicipalityResource
from partners.models import Organization, School
from partners.resources import CompanyResource, OrganizationResource, SchoolResource
from tests.factories import (
    AgreementFactory,
    AmbassadorFactory,
    CompanyFactory,
    ContactFactory,
    MunicipalityFactory,
    OrganizationFactory,
    SchoolFactory,
    bulk_create,
    csv_bytes,
    import_rows,
    xlsx_bytes,
)
from tests.on_commit import geocoding_batches

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reference_data(reference_data):
    """Every import here may name the chapters and sectors of the shared reference data."""


def run(resource_class, data: bytes, *, fmt=SpreadsheetCSV, dry_run=False, **kwargs):
    dataset = fmt().create_dataset(data)
    return resource_class().import_data(dataset, dry_run=dry_run, **kwargs)


SCHOOL_HEADER = [
    "school_code",
    "name",
    "level",
    "students",
    "chapter",
    "sectors",
    "city",
    "country",
]


def school_rows(count: int, start: int = 0) -> list[list[object]]:
    return [
        [
            f"RMIC{start + i:05d}",
            f"Scuola {start + i}",
            "primary",
            100 + i,
            "IT",
            "education",
            "Roma",
            "IT",
        ]
        for i in range(count)
    ]


# -- formats -----------------------------------------------------------------


def test_semicolon_csv_with_bom_keeps_accented_names():
    data = csv_bytes(
        [
            SCHOOL_HEADER,
            [
                "rmic8a9005",
                "Scuola Città di Castello",
                "Primary school",
                "300",
                "Italy",
                "Istruzione, health",
                "Città di Castello",
                "IT",
            ],
            ["TIIC00001", "Scuola Zürich-Genève", "primary", "", "CH", "", "Zürich", "Svizzera"],
        ],
        delimiter=";",
        bom=True,
    )
    result = run(SchoolResource, data)

    assert result.problems() == []
    assert result.counts() == {"new": 2, "updated": 0, "unchanged": 0, "invalid": 0}
    city = School.objects.get(school_code="RMIC8A9005")
    assert (city.name, city.city, city.chapter.name) == (
        "Scuola Città di Castello",
        "Città di Castello",
        "Italy",
    )
    assert sorted(city.sectors.values_list("slug", flat=True)) == ["education", "health"]
    swiss = School.objects.get(school_code="TIIC00001")
    assert (swiss.name, str(swiss.country), swiss.chapter.name) == (
        "Scuola Zürich-Genève",
        "CH",
        "Switzerland",
    )


def test_xlsx_import_reads_numbers_and_dates():
    data = xlsx_bytes(
        [
            ["official_code", "name", "population", "resolution_date", "city", "country"],
            ["058091", "Roma", 2749031, datetime.datetime(2025, 3, 1), "Roma", "IT"],
            [5192, "Lugano", 62315.0, "01.02.2025", "Lugano", "CH"],
        ]
    )
    result = run(MunicipalityResource, data, fmt=SpreadsheetXLSX)

    assert result.problems() == []
    roma = Municipality.objects.get(official_code="058091")
    lugano = Municipality.objects.get(official_code="5192", code_country="CH")
    assert (roma.population, roma.resolution_date) == (2749031, datetime.date(2025, 3, 1))
    assert (lugano.population, lugano.resolution_date) == (62315, datetime.date(2025, 2, 1))


def test_unreadable_file_is_reported_plainly():
    from exchange.formats import ImportFileError

    with pytest.raises(ImportFileError, match="not UTF-8"):
        SpreadsheetCSV().create_dataset("name\nCittà\n".encode("cp1252"))
    with pytest.raises(ImportFileError, match="not a readable XLSX"):
        SpreadsheetXLSX().create_dataset(b"not a workbook")


# -- natural keys, idempotence, duplicates -------------------------------------


def test_reimport_is_idempotent_and_writes_no_history():
    data = csv_bytes([SCHOOL_HEADER, *school_rows(5)])
    run(SchoolResource, data)
    history = School.history.count()

    again = run(SchoolResource, data)

    assert again.counts() == {"new": 0, "updated": 0, "unchanged": 5, "invalid": 0}
    assert School.objects.count() == 5
    assert School.history.count() == history


def test_natural_keys_update_instead_of_duplicating():
    school = SchoolFactory(school_code="RMIC00001", name="Old name", students=10)
    company = CompanyFactory(vat_number="IT00743110157", name="Old company", country="IT")
    swiss = CompanyFactory(vat_number="CHE116281710", name="Swiss SA", country="CH", city="Bern")
    rome = MunicipalityFactory(official_code="058091", name="Roma", country="IT")
    lugano = MunicipalityFactory(official_code="5192", name="Lugano", country="CH")
    ambassador = AmbassadorFactory(email="giulia@example.org", first_name="Giulia")

    schools = import_rows(
        SchoolResource, ["school_code", "name", "students"], ["rmic00001", "New name", "20"]
    )
    companies = import_rows(
        CompanyResource,
        ["vat_number", "name", "country"],
        ["00743110157", "New company", "IT"],  # without prefix, normalised before matching
        ["CHE-116.281.710", "Swiss AG", "CH"],
    )
    towns = import_rows(
        MunicipalityResource,
        ["official_code", "name", "country", "population"],
        ["058091", "Roma Capitale", "IT", "2800000"],
        ["5192", "Lugano", "CH", "63000"],
        ["5192", "Comune omonimo", "IT", "100"],  # same code, other country: a new one
    )
    people = import_rows(
        AmbassadorResource,
        ["email", "first_name", "last_name"],
        ["GIULIA@Example.org", "Giulia", "Verdi"],
    )

    for result in (schools, companies, towns, people):
        assert result.problems() == []
    assert schools.counts()["updated"] == 1 and companies.counts()["updated"] == 2
    assert towns.counts() == {"new": 1, "updated": 2, "unchanged": 0, "invalid": 0}
    school.refresh_from_db()
    company.refresh_from_db()
    swiss.refresh_from_db()
    rome.refresh_from_db()
    lugano.refresh_from_db()
    ambassador.refresh_from_db()
    assert (school.name, school.students) == ("New name", 20)
    assert (company.name, swiss.name) == ("New company", "Swiss AG")
    assert (rome.name, lugano.population) == ("Roma Capitale", 63000)
    assert ambassador.name == "Giulia Verdi" and Ambassador.objects.count() == 1
    assert Municipality.objects.filter(official_code="5192").count() == 2


def test_rows_without_natural_key_match_by_name_city_country_and_warn_on_lookalikes():
    keyless = OrganizationFactory(name="Associazione Gentilezza", city="Milano", type="other")
    coded = SchoolFactory(name="Scuola Manzoni", city="Milano", school_code="MIIC00001")

    orgs = import_rows(
        OrganizationResource,
        ["name", "type", "city", "country"],
        ["associazione  GENTILEZZA", "association", "milano", "IT"],
        ["Teatro Nuovo", "culture", "Milano", "IT"],
        ["Teatro nuovo", "culture", "Milano", "IT"],
    )
    schools = import_rows(
        SchoolResource,
        ["school_code", "name", "city", "country"],
        ["", "Scuola Manzoni", "Milano", "IT"],
    )

    assert orgs.problems() == [] and schools.problems() == []
    keyless.refresh_from_db()
    assert keyless.type == "association"
    assert orgs.counts() == {"new": 2, "updated": 1, "unchanged": 0, "invalid": 0}
    assert orgs.warnings() == [
        "Row 4: possible duplicate of row 3, which has the same name, city, province and country."
    ]
    assert schools.warnings() == [
        f"Row 2: possible duplicate of “Scuola Manzoni” in Milano (IT, id {coded.pk}), which "
        "has the same name, city, province and country; a new school is added, not merged."
    ]
    assert School.objects.filter(name="Scuola Manzoni").count() == 2


# -- the report and all-or-nothing -------------------------------------------


#: The columns of a valid row; each case below spoils one of them (or adds it, last).
VALID_ROW = {
    SchoolResource: {"school_code": "X1", "name": "A"},
    CompanyResource: {"vat_number": "IT00743110157", "name": "Acme", "country": "IT"},
    MunicipalityResource: {"official_code": "058091", "name": "Roma"},
    AmbassadorResource: {
        "email": "a@example.org",
        "first_name": "Anna",
        "last_name": "Bianchi",
        "appointed_on": "2025-05-01",
    },
}


@pytest.mark.parametrize(
    ("resource_class", "column", "value", "reason"),
    [
        (SchoolResource, "students", "many", "“many” is not a whole number."),
        (
            SchoolResource,
            "level",
            "nursery",
            "“nursery” is not one of: infant, primary, lower_secondary, upper_secondary, "
            "comprehensive, university, vocational.",
        ),
        (
            SchoolResource,
            "chapter",
            "Atlantis",
            "No chapter is called “Atlantis”; known chapters: Switzerland (CH), Italy (IT).",
        ),
        (
            SchoolResource,
            "sectors",
            "education;cooking",
            "“education;cooking”: Unknown sector “cooking”; known sectors: Business, Culture, "
            "Economy, Education, Environment, Health, Justice.",
        ),
        (
            SchoolResource,
            "country",
            "Narnia",
            "“Narnia” is not a country; write its code, e.g. IT or CH.",
        ),
        (SchoolResource, "show_on_map", "maybe", "“maybe” is not yes or no."),
        (SchoolResource, "email", "not-an-email", "“not-an-email”: Enter a valid email address."),
        (SchoolResource, "name", "", "This field cannot be blank."),
        (CompanyResource, "vat_number", "IT123", "IT123 is not a valid VAT number for IT"),
        (
            MunicipalityResource,
            "resolution_date",
            "31/02/2025",
            "“31/02/2025” is not a date; write it as 2026-03-31 or 31/03/2026.",
        ),
        (
            MunicipalityResource,
            "official_code",
            "05809A",
            "“05809A”: An official code has digits only.",
        ),
        (
            AmbassadorResource,
            "term_ends_on",
            "2025-01-01",
            "“2025-01-01”: The term cannot end before the appointment.",
        ),
    ],
)
def test_every_invalid_value_is_reported_with_row_column_and_reason(
    resource_class, column, value, reason
):
    columns = {**VALID_ROW[resource_class], column: value}

    result = run(resource_class, csv_bytes([list(columns), list(columns.values())]))

    assert len(result.problems()) == 1
    assert result.problems()[0].startswith(f"Row 2, column {column}: {reason}")
    assert Member.objects.count() == 0


def test_duplicate_natural_key_within_the_file_is_an_error():
    repeated = school_rows(1)
    repeated[0][3] = 999  # other values for the same key (identical rows are imported once)
    result = run(SchoolResource, csv_bytes([SCHOOL_HEADER, *school_rows(2), *repeated]))

    assert result.problems() == [
        "Row 4: The same school_code (RMIC00000) as row 2, with other values in students "
        "(row 2: “100”, row 4: “999”); keep one of the two rows."
    ]
    assert School.objects.count() == 0


@pytest.mark.parametrize("dry_run", [False, True])
def test_one_invalid_row_in_many_imports_nothing(dry_run):
    existing = SchoolFactory(school_code="RMIC00003", name="Before")
    rows = school_rows(300)
    rows[250][3] = "lots"  # students of row 252 in the spreadsheet

    result = run(SchoolResource, csv_bytes([SCHOOL_HEADER, *rows]), dry_run=dry_run)

    assert result.problems() == ["Row 252, column students: “lots” is not a whole number."]
    assert result.counts() == {"new": 298, "updated": 1, "unchanged": 0, "invalid": 1}
    assert School.objects.count() == 1
    existing.refresh_from_db()
    assert existing.name == "Before"
    assert Member.sectors.through.objects.count() == 0
    assert School.history.filter(history_type="~").count() == 0


def test_missing_required_column_is_reported_and_nothing_written():
    result = run(SchoolResource, csv_bytes([["school_code", "city"], ["X1", "Roma"]]))

    assert result.problems() == [
        "The file has no column name; the first row must name the columns."
    ]
    assert School.objects.count() == 0


def test_dry_run_reports_what_would_happen_and_writes_nothing():
    SchoolFactory(school_code="RMIC00000", name="Scuola 0", students=100, city="Roma")
    result = run(SchoolResource, csv_bytes([SCHOOL_HEADER, *school_rows(3)]), dry_run=True)

    assert [row.status for row in result.rows] == ["updated", "new", "new"]
    assert result.rows[0].changed == ["sectors"]
    assert School.objects.count() == 1


# -- history and geocoding ---------------------------------------------------


def test_bulk_writes_keep_history_with_the_importing_user(superuser):
    SchoolFactory(school_code="RMIC00000", name="Before")
    run(
        SchoolResource,
        csv_bytes([SCHOOL_HEADER, *school_rows(3)]),
        user=superuser,
        file_name="regione.csv",
    )

    created = School.history.filter(history_type="+", history_user=superuser)
    updated = School.history.filter(history_type="~", history_user=superuser)
    assert created.count() == 2 and updated.count() == 1
    assert set(created.values_list("history_change_reason", flat=True)) == {
        "Imported from regione.csv"
    }
    assert updated.get().name == "Scuola 0"


# -- queries: lookups once per import, not per row -----------------------------


def _queries(callable_) -> tuple[int, int]:
    """(lookups, writes): reads must not grow with rows; writes go in batches whose size
    the database's limit of parameters sets (999 on SQLite), never one per row."""
    with CaptureQueriesContext(connection) as captured:
        callable_()
    statements = [q["sql"].lstrip().split(" ", 1)[0].upper() for q in captured]
    reads = sum(1 for verb in statements if verb == "SELECT")
    writes = sum(1 for verb in statements if verb in ("INSERT", "UPDATE", "DELETE"))
    return reads, writes


@pytest.mark.parametrize("updates", [False, True])
def test_query_count_of_a_member_import_does_not_grow_with_rows(updates):
    small, large = (
        csv_bytes([SCHOOL_HEADER, *school_rows(3)]),
        csv_bytes([SCHOOL_HEADER, *school_rows(60, start=100)]),
    )
    if updates:
        run(SchoolResource, small)
        run(SchoolResource, large)
        small = small.replace(b"Roma", b"Milano")
        large = large.replace(b"Roma", b"Milano")

    few_reads, _ = _queries(lambda: run(SchoolResource, small))
    many_reads, many_writes = _queries(lambda: run(SchoolResource, large))

    assert few_reads == many_reads
    assert many_writes < 60 / 2


def test_query_count_of_agreement_and_contact_imports_does_not_grow_with_rows():
    schools = [SchoolFactory(school_code=f"RMIC{i:05d}") for i in range(40)]
    companies = [CompanyFactory(name=f"Azienda {i}", city="Roma") for i in range(5)]

    def agreements(count: int) -> bytes:
        rows = [["member_kind", "member", "type", "signed_on", "starts_on", "ends_on"]]
        rows += [
            ["school", s.school_code, "membership", "2025-01-01", "2025-02-01", "2026-01-31"]
            for s in schools[:count]
        ]
        rows += [["company", c.name, "partnership", "", "2025-03-01", ""] for c in companies]
        return csv_bytes(rows)

    def contacts(count: int) -> bytes:
        rows = [["member_kind", "member", "name", "email", "is_primary"]]
        rows += [
            ["school", s.school_code, f"Head {i}", f"head{i}@example.org", "yes"]
            for i, s in enumerate(schools[:count])
        ]
        return csv_bytes(rows)

    few = _queries(lambda: run(AgreementResource, agreements(2)))
    Agreement.objects.all().delete()
    many = _queries(lambda: run(AgreementResource, agreements(40)))
    assert few[0] == many[0] and many[1] < 10
    assert Agreement.objects.count() == 45
    few = _queries(lambda: run(ContactResource, contacts(2)))
    Contact.objects.all().delete()
    many = _queries(lambda: run(ContactResource, contacts(40)))
    assert few[0] == many[0] and many[1] < 10


# -- agreements and contacts -------------------------------------------------


def test_agreements_by_reference_and_member_key_round_trip_their_references():
    school = SchoolFactory(school_code="RMIC00001")
    saved = AgreementFactory(member=school, reference="IKM-2025-0007")
    data = csv_bytes(
        [
            [
                "reference",
                "member_kind",
                "member",
                "member_country",
                "type",
                "signed_on",
                "starts_on",
                "ends_on",
                "renewal_months",
            ],
            [
                "ikm-2025-0007",
                "school",
                "rmic00001",
                "IT",
                "membership",
                "2025-01-10",
                "2025-02-01",
                "2027-01-31",
                "24",
            ],
            ["", "School", "RMIC00001", "", "patronage", "", "2025-06-01", "", ""],
        ]
    )

    result = run(AgreementResource, data)

    assert result.problems() == []
    saved.refresh_from_db()
    assert (saved.ends_on, saved.renewal_months) == (datetime.date(2027, 1, 31), 24)
    new = Agreement.objects.get(type="patronage")
    assert new.member_id == school.pk and new.reference.startswith("IKM-2025-")
    assert run(AgreementResource, data).counts()["unchanged"] == 2


def test_agreement_rules_and_unknown_members_are_reported():
    SchoolFactory(school_code="RMIC00001")
    result = import_rows(
        AgreementResource,
        ["member_kind", "member", "starts_on", "ends_on", "terminated_on"],
        ["school", "RMIC00001", "2025-05-01", "2025-01-01", ""],
        ["school", "RMIC99999", "2025-05-01", "", ""],
        ["hospital", "RMIC00001", "2025-05-01", "", ""],
        ["school", "RMIC00001", "2025-05-01", "", "2025-06-01"],
    )

    assert result.problems() == [
        "Row 2, column ends_on: “2025-01-01”: The end date cannot be before the start date.",
        "Row 3, column member: No school “RMIC99999” in IT.",
        "Row 4, column member: “RMIC00001”: “hospital” is not one of: school, company, "
        "organization, municipality, ambassador.",
        "Row 5, column terminated_on: “2025-06-01”: Give a reason for the termination.",
    ]
    assert Agreement.objects.count() == 0


def test_contacts_match_by_member_and_email_and_keep_one_primary():
    school = SchoolFactory(school_code="RMIC00001")
    ContactFactory(member=school, name="Anna", email="anna@example.org", is_primary=True)

    result = import_rows(
        ContactResource,
        ["member_kind", "member", "name", "role", "email", "is_primary"],
        ["school", "RMIC00001", "Anna Rossi", "Head", "ANNA@example.org", "sì"],
        ["school", "RMIC00001", "Bruno", "Teacher", "bruno@example.org", "no"],
    )
    assert result.problems() == []
    assert sorted(Contact.objects.values_list("name", "is_primary")) == [
        ("Anna Rossi", True),
        ("Bruno", False),
    ]

    second = import_rows(
        ContactResource,
        ["member_kind", "member", "name", "email", "is_primary"],
        ["school", "RMIC00001", "Bruno", "bruno@example.org", "yes"],
    )
    assert second.problems() == [
        "Row 2, column is_primary: “yes”: Anna Rossi is already the member's primary contact."
    ]


# -- the command -------------------------------------------------------------


def test_command_dry_run_then_import_with_user(tmp_path, superuser, capsys):
    path = tmp_path / "scuole.csv"
    path.write_bytes(csv_bytes([SCHOOL_HEADER, *school_rows(4)], delimiter=";", bom=True))

    call_command("import", "schools", str(path), "--dry-run", "--noinput")
    assert "Dry run, nothing written: 4 new, 0 updated, 0 unchanged, 0 invalid." in (
        capsys.readouterr().out
    )
    assert School.objects.count() == 0

    call_command("import", "partners.School", str(path), "--noinput", "--user", "alice")
    assert "Imported: 4 new" in capsys.readouterr().out
    assert School.history.filter(history_user=superuser).count() == 4


def test_command_reports_every_problem_and_imports_nothing(tmp_path, capsys):
    path = tmp_path / "scuole.csv"
    rows = school_rows(3)
    rows[0][3], rows[2][7] = "x", "Narnia"
    path.write_bytes(csv_bytes([SCHOOL_HEADER, *rows]))

    with pytest.raises(CommandError, match=r"Nothing was imported \(1 new, 0 updated"):
        call_command("import", "schools", str(path), "--noinput")

    err = capsys.readouterr().err
    assert "Row 2, column students: “x” is not a whole number." in err
    assert "Row 4, column country: “Narnia” is not a country" in err
    assert School.objects.count() == 0


def test_command_refuses_a_user_without_permission(tmp_path, viewer):
    path = tmp_path / "scuole.csv"
    path.write_bytes(csv_bytes([SCHOOL_HEADER, *school_rows(1)]))
    with pytest.raises(CommandError, match=r"bob may not do this: missing partners\.add_school"):
        call_command("import", "schools", str(path), "--noinput", "--user", "bob")


# -- the admin: upload, dry-run preview, confirm -------------------------------


def _upload(client, url: str, data: bytes, name: str, fmt: int = 0):
    upload = SimpleUploadedFile(name, data, content_type="text/csv")
    return client.post(url, {"format": str(fmt), "resource": "0", "import_file": upload})


def test_admin_import_previews_then_imports_on_confirm(superuser_client, superuser):
    SchoolFactory(school_code="RMIC00000", name="Scuola 0", students=100, city="Roma")
    data = csv_bytes([SCHOOL_HEADER, *school_rows(3)], delimiter=";", bom=True)

    preview = _upload(superuser_client, "/admin/partners/school/import/", data, "scuole.csv")

    assert preview.status_code == 200
    page = preview.content.decode()
    assert "2 new, 1 updated, 0 unchanged, 0 invalid." in page
    assert [(row.number, row.status, row.changed) for row in preview.context["result"].rows] == [
        (2, "updated", ["sectors"]),
        (3, "new", []),
        (4, "new", []),
    ]
    assert "Confirm import" in page
    assert School.objects.count() == 1
    confirm = preview.context["confirm_form"].initial

    done = superuser_client.post("/admin/partners/school/process_import/", confirm)

    assert done.status_code == 302
    assert School.objects.count() == 3
    assert School.history.filter(history_type="+", history_user=superuser).count() == 2


def test_admin_import_with_an_invalid_row_shows_the_report_and_no_confirm(superuser_client):
    rows = school_rows(3)
    rows[1][5] = "cooking"
    data = csv_bytes([SCHOOL_HEADER, *rows])

    response = _upload(superuser_client, "/admin/partners/school/import/", data, "scuole.csv")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was imported" in page
    assert "Row 3, column sectors: Unknown sector “cooking”" in page
    assert "Confirm import" not in page
    assert School.objects.count() == 0


def test_admin_import_of_xlsx_and_of_an_unreadable_file(superuser_client):
    data = xlsx_bytes([["name", "type", "city"], ["Ospedale Città", "health", "Torino"]])
    preview = _upload(
        superuser_client, "/admin/partners/organization/import/", data, "enti.xlsx", fmt=1
    )
    assert "1 new, 0 updated, 0 unchanged, 0 invalid." in preview.content.decode()
    superuser_client.post(
        "/admin/partners/organization/process_import/", preview.context["confirm_form"].initial
    )
    assert Organization.objects.get().name == "Ospedale Città"

    bad = _upload(
        superuser_client,
        "/admin/partners/organization/import/",
        "name\nCittà\n".encode("cp1252"),
        "enti.csv",
    )
    assert "The file is not UTF-8 text" in bad.content.decode()


def test_only_staff_who_may_add_and_change_can_import(viewer_client, staff_client):
    assert viewer_client.get("/admin/partners/school/import/").status_code == 403
    assert viewer_client.get("/admin/partners/school/import/template/").status_code == 403
    assert staff_client.get("/admin/partners/school/import/").status_code == 200


@pytest.mark.parametrize(
    ("url", "header"),
    [
        ("/admin/partners/school/", "school_code,name,level,students,chapter,sectors,street"),
        ("/admin/partners/company/", "vat_number,name,size,employees,chapter,sectors"),
        ("/admin/partners/organization/", "name,type,chapter,sectors,street"),
        ("/admin/municipalities/municipality/", "official_code,name,population,mayor"),
        ("/admin/ambassadors/ambassador/", "email,first_name,last_name,status,appointed_on"),
        ("/admin/crm/agreement/", "reference,member_kind,member,member_country,member_city"),
        ("/admin/crm/contact/", "member_kind,member,member_country,member_city,name,role"),
    ],
)
def test_empty_template_per_kind_is_linked_and_downloadable(staff_client, url, header):
    changelist = staff_client.get(url).content.decode()
    assert f'href="{url}import/template/"' in changelist

    response = staff_client.get(f"{url}import/template/")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff" + header)
    assert text.count("\n") == 1


# -- geocoding after commit ------------------------------------------------------


@pytest.fixture
def queued_tasks(settings):
    """A task backend that keeps what is enqueued, for inspection."""
    from django_tasks import default_task_backend, task_backends

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    task_backends._settings = None  # re-read TASKS
    try:
        default_task_backend.clear()
        yield default_task_backend
    finally:
        task_backends._settings = None


def test_import_enqueues_one_geocoding_batch_after_commit(
    queued_tasks, django_capture_on_commit_callbacks
):
    moved = SchoolFactory(school_code="RMIC00000", name="Scuola 0", city="Milano")
    SchoolFactory(
        school_code="RMIC00001", name="Scuola 1", city="Roma", students=101, level="primary"
    )
    rows = school_rows(4)
    for row in rows:
        row[5] = ""  # no sectors column change for the unchanged school

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = run(SchoolResource, csv_bytes([SCHOOL_HEADER, *rows]))

    assert result.counts() == {"new": 2, "updated": 1, "unchanged": 1, "invalid": 0}
    assert queued_tasks.results == []  # nothing before the commit
    for callback in callbacks:
        callback()
    [task] = queued_tasks.results
    new_ids = list(
        School.objects.filter(school_code__in=["RMIC00002", "RMIC00003"]).values_list(
            "pk", flat=True
        )
    )
    assert task.task.name == "members_geocode_task"
    assert task.kwargs == {"member_ids": sorted([moved.pk, *new_ids])}


def test_dry_runs_and_failed_imports_enqueue_no_geocoding(
    queued_tasks, django_capture_on_commit_callbacks
):
    rows = school_rows(3)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run(SchoolResource, csv_bytes([SCHOOL_HEADER, *rows]), dry_run=True)
        rows[1][3] = "many"
        run(SchoolResource, csv_bytes([SCHOOL_HEADER, *rows]))

    assert geocoding_batches(callbacks) == []
    assert queued_tasks.results == []


def test_imported_school_is_geocoded_after_commit_and_reaches_the_map(
    gazetteer, anonymous_client, django_capture_on_commit_callbacks
):
    """The import sends the core's signals; geocoding and the map feed listen to them."""
    assert anonymous_client.get("/api/v1/map/").json()["total"] == 0  # cached, empty

    starts, ends = datetime.date.today(), datetime.date.today() + datetime.timedelta(days=300)
    with django_capture_on_commit_callbacks(execute=True):
        run(SchoolResource, csv_bytes([SCHOOL_HEADER, *school_rows(1)]))
        result = import_rows(
            AgreementResource,
            ["member_kind", "member", "type", "signed_on", "starts_on", "ends_on"],
            ["school", "RMIC00000", "membership", starts, starts, ends],
        )

    assert result.problems() == []
    school = School.objects.get(school_code="RMIC00000")
    assert school.geocode_status == "ok" and school.latitude is not None
    features = anonymous_client.get("/api/v1/map/").json()["features"]
    assert [f["properties"]["id"] for f in features] == [school.pk]


# -- cost that follows the file ----------------------------------------------


def test_a_keyed_file_reads_only_its_own_keys_of_the_saved_members():
    """A file of school codes does not read every school: the saved ones it names (by their
    codes), and those without a code that its rows might duplicate."""
    bulk_create(SchoolFactory, [{"school_code": f"OLD{i:04d}"} for i in range(30)])
    SchoolFactory(name="Scuola 1", city="Roma", school_code="")  # without a code
    data = csv_bytes(
        [SCHOOL_HEADER, ["OLD0007", "Scuola sette", *school_rows(1)[0][2:]], *school_rows(2)]
    )

    with CaptureQueriesContext(connection) as queries:
        result = run(SchoolResource, data)

    assert result.problems() == []
    assert result.counts() == {"new": 2, "updated": 1, "unchanged": 0, "invalid": 0}
    assert School.objects.get(school_code="OLD0007").name == "Scuola sette"
    assert any("possible duplicate of “Scuola 1”" in w for w in result.warnings())
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    school_reads = [sql for sql in reads if 'FROM "partners_school"' in sql]
    assert school_reads and all("WHERE" in sql for sql in school_reads)


def test_a_real_import_keeps_no_copy_of_the_cells_but_the_preview_shows_them():
    data = csv_bytes([SCHOOL_HEADER, *school_rows(2)])

    preview = run(SchoolResource, data, dry_run=True)
    written = run(SchoolResource, data)

    assert [row.cells[:2] for row in preview.rows] == [
        ["RMIC00000", "Scuola 0"],
        ["RMIC00001", "Scuola 1"],
    ]
    assert [row.cells for row in written.rows] == [[], []]
    assert School.objects.count() == 2


def test_a_large_import_refreshes_the_planner_statistics_after_commit(
    monkeypatch, django_capture_on_commit_callbacks
):
    """PostgreSQL: ANALYZE of the written tables once the import commits; never on a dry
    run or below the threshold; other databases have nothing to refresh."""
    monkeypatch.setattr("exchange.base.ANALYZE_AFTER_ROWS", 3)

    def analyzed(rows: int, *, start: int, dry_run: bool = False) -> list[str]:
        data = csv_bytes([SCHOOL_HEADER, *school_rows(rows, start=start)])
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks(execute=True),
        ):
            assert run(SchoolResource, data, dry_run=dry_run).problems() == []
        return [q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]

    assert analyzed(2, start=0) == []
    assert analyzed(3, start=10, dry_run=True) == []
    statements = analyzed(3, start=20)
    if connection.vendor == "postgresql":
        assert statements == [
            'ANALYZE "partners_school"',
            'ANALYZE "crm_member"',
            'ANALYZE "partners_historicalschool"',
            'ANALYZE "crm_member_sectors"',
        ]
    else:
        assert statements == []
