"""Imports without surprises: repeated rows, unknown columns, concurrent imports and
possible duplicates that know geography; through the command and the admin, CSV and XLSX."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from exchange.formats import SpreadsheetCSV, SpreadsheetXLSX
from exchange.locks import import_lock, import_lock_key
from partners.models import Organization, School
from partners.resources import CompanyResource, OrganizationResource, SchoolResource
from tests.factories import (
    ChapterFactory,
    OrganizationFactory,
    SchoolFactory,
    SectorFactory,
    csv_bytes,
    import_rows,
    xlsx_bytes,
)

FORMATS = {"csv": (SpreadsheetCSV, 0), "xlsx": (SpreadsheetXLSX, 1)}
HEADER = ["school_code", "name", "students", "city", "province", "country"]
MANZONI = ["RMIC00001", "Scuola Manzoni", 1204, "Roma", "RM", "IT"]
VERDI = ["RMIC00002", "Scuola Verdi", 300, "Roma", "RM", "IT"]


@pytest.fixture(autouse=True)
def reference_data(request):
    if "db" in request.fixturenames or request.node.get_closest_marker("django_db"):
        ChapterFactory(name="Italy", country="IT")
        SectorFactory(slug="education", name_en="Education", name_it="Istruzione")


def file_bytes(fmt: str, rows: list[list[object]]) -> bytes:
    return csv_bytes(rows) if fmt == "csv" else xlsx_bytes(rows)


def command(tmp_path, fmt: str, rows: list[list[object]], *args: str, kind: str = "schools"):
    """(stdout, stderr, the CommandError or None) of `manage.py import`."""
    path = tmp_path / f"file.{fmt}"
    path.write_bytes(file_bytes(fmt, rows))
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import", kind, str(path), "--no-input", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), exc
    return out.getvalue(), err.getvalue(), None


def upload(client, fmt: str, rows: list[list[object]], url: str, **extra):
    name = f"file.{fmt}"
    data = {
        "format": str(FORMATS[fmt][1]),
        "resource": "0",
        "import_file": SimpleUploadedFile(name, file_bytes(fmt, rows)),
        **extra,
    }
    return client.post(url, data)


SCHOOLS = "/admin/partners/school/import/"
CONFIRM = "/admin/partners/school/process_import/"

REPEAT_WARNING = (
    "Row 4 repeats row 2 (the same school_code (RMIC00001), same values): imported once."
)
CONFLICT = (
    "Row 4: The same school_code (RMIC00001) as row 2, with other values in students "
    "(row 2: “1204”, row 4: “1300”); keep one of the two rows."
)


def conflicting_rows() -> list[list[object]]:
    return [HEADER, MANZONI, VERDI, [*MANZONI[:2], 1300, *MANZONI[3:]]]


# -- repeated rows: one rule, whether or not the record exists -----------------


def each_format_into_an_empty_or_existing_table(test):
    """Runs `test` with CSV and Excel files, with and without Manzoni saved before."""
    test = pytest.mark.parametrize("exists", [False, True], ids=["empty", "existing"])(test)
    return pytest.mark.django_db(pytest.mark.parametrize("fmt", ["csv", "xlsx"])(test))


def save_manzoni_if(exists: bool, *, students: int) -> None:
    if exists:
        SchoolFactory(
            school_code="RMIC00001", name="Scuola Manzoni", students=students, city="Roma"
        )


@each_format_into_an_empty_or_existing_table
def test_identical_rows_are_written_once_with_a_warning_by_command(tmp_path, fmt, exists):
    save_manzoni_if(exists, students=10)

    out, err, error = command(tmp_path, fmt, [HEADER, MANZONI, VERDI, MANZONI])

    assert error is None
    expected = "1 new, 1 updated" if exists else "2 new, 0 updated"
    assert f"Imported: {expected}, 0 unchanged, 0 invalid, 1 repeated." in out
    assert REPEAT_WARNING in err
    assert School.objects.filter(school_code="RMIC00001").count() == 1
    manzoni = School.objects.get(school_code="RMIC00001")
    assert manzoni.students == 1204
    assert manzoni.history.count() == (2 if exists else 1)  # one write for the two rows


@each_format_into_an_empty_or_existing_table
def test_same_key_with_other_values_is_an_error_by_command(tmp_path, fmt, exists):
    save_manzoni_if(exists, students=10)

    _out, err, error = command(tmp_path, fmt, conflicting_rows())

    assert error is not None and "Nothing was imported" in str(error)
    assert CONFLICT in err
    assert School.objects.count() == (1 if exists else 0)
    if exists:
        assert School.objects.get().students == 10


@each_format_into_an_empty_or_existing_table
def test_admin_previews_and_confirms_identical_rows_once(superuser_client, fmt, exists):
    save_manzoni_if(exists, students=1204)

    preview = upload(superuser_client, fmt, [HEADER, MANZONI, VERDI, MANZONI], SCHOOLS)

    page = preview.content.decode()
    result = preview.context["result"]
    assert [(row.number, row.status) for row in result.rows] == [
        (2, "unchanged" if exists else "new"),
        (3, "new"),
        (4, "repeated"),
    ]
    assert REPEAT_WARNING in page and "Repeats row 2" in page
    assert "1 repeated rows, each imported once" in page
    assert "Confirm import" in page

    done = superuser_client.post(CONFIRM, preview.context["confirm_form"].initial, follow=True)

    assert done.status_code == 200
    shown = [str(message) for message in done.context["messages"]]
    assert REPEAT_WARNING in shown
    assert sorted(School.objects.values_list("school_code", flat=True)) == [
        "RMIC00001",
        "RMIC00002",
    ]


@each_format_into_an_empty_or_existing_table
def test_admin_preview_names_both_rows_of_a_conflict_and_offers_no_confirm(
    superuser_client, fmt, exists
):
    save_manzoni_if(exists, students=10)

    preview = upload(superuser_client, fmt, conflicting_rows(), SCHOOLS)

    page = preview.content.decode()
    assert "Nothing was imported" in page
    assert CONFLICT in preview.context["result"].problems()
    assert "row 2: “1204”, row 4: “1300”" in page
    assert "Confirm import" not in page
    assert School.objects.count() == (1 if exists else 0)


@pytest.mark.django_db
def test_keyless_rows_repeat_by_their_values_or_by_the_record_they_match():
    casa = OrganizationFactory(name="Casa Aperta", city="Bergamo", province="BG", type="other")
    header = ["name", "type", "city", "province", "country"]

    identical = import_rows(
        OrganizationResource,
        header,
        ["Teatro Nuovo", "culture", "Milano", "MI", "IT"],
        ["Teatro Nuovo", "culture", "Milano", "MI", "IT"],
    )
    conflicting = import_rows(
        OrganizationResource,
        header,
        ["Casa Aperta", "association", "Bergamo", "BG", "IT"],
        ["casa aperta", "culture", "Bergamo", "BG", "IT"],
    )

    assert identical.problems() == []
    assert identical.warnings() == ["Row 3 repeats row 2 value for value: imported once."]
    assert Organization.objects.filter(name="Teatro Nuovo").count() == 1
    assert conflicting.problems() == [
        f"Row 3: The same saved organisation (id {casa.pk}) as row 2, with other values in "
        "name (row 2: “Casa Aperta”, row 3: “casa aperta”); type (row 2: “association”, "
        "row 3: “culture”); keep one of the two rows."
    ]
    assert Organization.objects.get(name="Casa Aperta").type == "other"


# -- unknown columns are never ignored in silence ------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_command_refuses_unknown_columns_unless_told_to_ignore_them(tmp_path, fmt):
    rows = [[*HEADER, "joined_on", "studnets"], [*MANZONI, "2024-01-01", "12"]]

    out, err, error = command(tmp_path, fmt, rows)

    assert error is not None and School.objects.count() == 0
    assert "joined_on: unknown column." in err
    assert "studnets: unknown column; did you mean students?" in err
    assert "--ignore-unknown-columns" in err

    out, err, error = command(tmp_path, fmt, rows, "--ignore-unknown-columns")

    assert error is None
    assert "Imported: 1 new" in out
    assert "joined_on: unknown column. Ignored." in err
    assert "studnets: unknown column; did you mean students? Ignored." in err
    assert School.objects.get().students == 1204


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_admin_reports_unknown_columns_and_imports_them_away_when_ticked(superuser_client, fmt):
    rows = [[*HEADER, "studnets"], [*MANZONI, "12"]]

    refused = upload(superuser_client, fmt, rows, SCHOOLS)

    page = refused.content.decode()
    assert "studnets: unknown column; did you mean students?" in page
    assert 'name="ignore_unknown_columns"' in page  # the checkbox is on the form
    assert "Confirm import" not in page

    preview = upload(superuser_client, fmt, rows, SCHOOLS, ignore_unknown_columns="on")

    page = preview.content.decode()
    assert "studnets: unknown column; did you mean students? Ignored." in page
    assert "1 new, 0 updated, 0 unchanged, 0 invalid." in page
    confirm = preview.context["confirm_form"].initial
    assert confirm["ignore_unknown_columns"] is True

    done = superuser_client.post(CONFIRM, confirm, follow=True)

    assert done.status_code == 200
    assert School.objects.get().students == 1204


# -- possible duplicates know geography and official codes ---------------------


@pytest.mark.django_db
def test_possible_duplicates_compare_province_and_ignore_accents_and_case():
    bergamo = SchoolFactory(
        name="Scuola Castro", city="Castro", province="BG", school_code="BGIC00001"
    )
    header = ["school_code", "name", "city", "province", "country"]

    result = import_rows(
        SchoolResource,
        header,
        ["", "Scuola Castro", "Castro", "LE", "IT"],  # another Castro: no warning
        ["", "SCUOLA CASTRÒ", "castro", "bg", "IT"],  # same place, other spelling
    )

    assert result.problems() == []
    assert result.warnings() == [
        f"Row 3: possible duplicate of “Scuola Castro” in Castro (IT, id {bergamo.pk}), which "
        "has the same name, city, province and country; a new school is added, not merged."
    ]


@pytest.mark.django_db
def test_different_official_codes_are_never_possible_duplicates():
    SchoolFactory(name="Istituto Comprensivo", city="Roma", school_code="RMIC00009")
    header = ["school_code", "name", "city", "country"]

    schools = import_rows(
        SchoolResource,
        header,
        ["RMIC00001", "Istituto Comprensivo", "Roma", "IT"],
        ["RMIC00002", "Istituto Comprensivo", "Roma", "IT"],
        ["", "Istituto comprensivo", "Roma", "IT"],  # no code: it might be any of them
    )
    companies = import_rows(
        CompanyResource,
        ["vat_number", "name", "city", "country"],
        ["IT00743110157", "Acme", "Milano", "IT"],
        ["IT02117160016", "Acme", "Milano", "IT"],
    )

    assert schools.problems() == [] and companies.problems() == []
    assert companies.warnings() == []
    assert [w.split(",")[0] for w in schools.warnings()] == [
        "Row 4: possible duplicate of “Istituto Comprensivo” in Roma (IT",
        "Row 4: possible duplicate of row 2",
    ]


@pytest.mark.django_db
def test_keyless_rows_match_their_province_only():
    bergamo = OrganizationFactory(name="Pro Loco", city="Castro", province="BG", type="other")
    lecce = OrganizationFactory(name="Pro Loco", city="Castro", province="LE", type="other")
    header = ["name", "type", "city", "province", "country"]

    result = import_rows(
        OrganizationResource, header, ["pro loco", "culture", "CASTRO", "le", "IT"]
    )

    assert result.problems() == [] and result.warnings() == []
    assert result.counts() == {"new": 0, "updated": 1, "unchanged": 0, "invalid": 0}
    bergamo.refresh_from_db()
    lecce.refresh_from_db()
    assert (bergamo.type, lecce.type) == ("other", "culture")


# -- concurrent imports --------------------------------------------------------


@pytest.mark.django_db
def test_the_import_lock_lives_in_a_transaction_and_is_named_by_model():
    assert import_lock_key(Organization) == "kindnet-import:partners.Organization"
    with transaction.atomic():
        import_lock(Organization, using="default", what="organisations")  # no wait, no error
        import_lock(Organization, using="default", what="organisations")  # held: re-entrant


def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL (set DATABASE_URL=postgres://…): two processes importing at "
            "once; SQLite's in-memory test database cannot be shared between processes"
        )


@pytest.fixture
def own_database(django_db_setup, django_db_blocker):
    """A migrated PostgreSQL database of this test's own, named after the suite's; dropped."""
    _postgres_only()
    import psycopg

    params = connection.settings_dict
    name = f"{params['NAME']}_concurrent"[:63]
    auth = params["USER"] + (f":{params['PASSWORD']}" if params.get("PASSWORD") else "")
    server = f"postgres://{auth}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{server}/{name}"
    try:
        manage("migrate", "--noinput", url=url, check=True)
        yield url
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(*args: str, url: str, check: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args],
        env={**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=check,
        timeout=120,
    )


def start(*args: str, url: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args],
        env={**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def both(url: str, *args: str) -> list[tuple[int, str, str]]:
    """Two `manage.py import` processes started together; their exit codes and output."""
    processes = [start("import", *args, "--no-input", url=url) for _ in range(2)]
    outcomes = []
    for process in processes:
        with process:
            out, err = process.communicate(timeout=120)
            outcomes.append((process.returncode, out, err))
    return outcomes


def rows_per_value(url: str, query: str) -> dict[object, int]:
    import psycopg

    with psycopg.connect(url) as db:
        return dict(db.execute(query).fetchall())


def test_two_imports_of_the_same_keyless_file_at_once_write_each_row_once(own_database, tmp_path):
    organisations = tmp_path / "enti.csv"
    organisations.write_text(
        "name,type,city,province,country\n"
        + "".join(f"Ente {i},other,Castro,LE,IT\n" for i in range(300))
    )
    contacts = tmp_path / "contatti.csv"
    contacts.write_text(
        "member_kind,member,member_city,name,email\n"
        + "".join(
            f"organization,Ente {i},Castro,Persona {i},persona{i}@example.org\n" for i in range(300)
        )
    )

    first = both(own_database, "organisations", str(organisations))
    second = both(own_database, "contacts", str(contacts))

    for code, _out, err in [*first, *second]:
        assert code == 0, err
    assert sorted(out.split(":")[1].strip() for _code, out, _err in first) == [
        "0 new, 0 updated, 300 unchanged, 0 invalid.",
        "300 new, 0 updated, 0 unchanged, 0 invalid.",
    ]
    names = rows_per_value(
        own_database, "SELECT name, count(*) FROM crm_member WHERE kind = 'organization' GROUP BY 1"
    )
    emails = rows_per_value(own_database, "SELECT email, count(*) FROM crm_contact GROUP BY 1")
    assert len(names) == 300 and set(names.values()) == {1}
    assert len(emails) == 300 and set(emails.values()) == {1}


def test_an_import_waiting_for_another_says_so(own_database, tmp_path):
    import psycopg

    path = tmp_path / "enti.csv"
    path.write_text("name,type,city,country\nEnte,other,Roma,IT\n")
    with psycopg.connect(own_database) as holder:
        holder.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", [import_lock_key(Organization)]
        )
        waiting = start("import", "organisations", str(path), "--no-input", url=own_database)
        with waiting:
            line = waiting.stderr.readline()
            assert line.strip() == "Waiting for another import of organisations to finish…"
            holder.rollback()  # the other import ends; this one goes ahead
            out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert "Imported: 1 new" in out
