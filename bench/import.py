"""Benchmark: import N schools from CSV the way the admin does, against the fastest insert.

    python bench/import.py [--rows 10000] [--quick]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kindnet python bench/import.py --rows 50000

Runs in a throwaway database (Django's test database of the configured engine, created
and dropped here; a temporary file for SQLite), never in db.sqlite3. Measures:

- import: parse the CSV (SpreadsheetCSV) and SchoolResource.import_data as the admin's
  confirm step calls it (real run, the importing user, instances kept for the admin log);
- dry run: the same, as the admin's preview step runs it;
- floor: crm.bulk.members_bulk_create of the same rows, already parsed - the fastest way
  to insert multi-table schools, with no validation, lookups, history or sectors.

Each run is rolled back, so all start from the same empty database. Prints rows per
second, peak memory and the ratio import/floor; the last line is the RESULT.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from common import size_from_command_line

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kindnet.settings")

CITIES = [
    ("Roma", "RM", "Lazio", "00184"),
    ("Milano", "MI", "Lombardia", "20121"),
    ("Città di Castello", "PG", "Umbria", "06012"),
    ("Napoli", "NA", "Campania", "80133"),
    ("Torino", "TO", "Piemonte", "10121"),
]


def school_columns() -> list[str]:
    """A school's own columns, then the fields staff edit on every member."""
    from crm.models import MEMBER_EDITABLE_FIELDS

    return ["school_code", "level", "students", *MEMBER_EDITABLE_FIELDS]


def school_row(i: int) -> dict[str, str]:
    city, province, region, postal = CITIES[i % len(CITIES)]
    return {
        "school_code": f"BNIC{i:06d}",
        "name": f"Istituto Comprensivo Nº {i}",
        "level": "comprehensive",
        "students": str(200 + i % 900),
        "chapter": "IT",
        "sectors": "education" if i % 3 else "Istruzione, health",
        "street": f"Via Garibaldi {i % 200 + 1}",
        "postal_code": postal,
        "city": city,
        "province": province,
        "region": region,
        "country": "IT",
        "email": f"segreteria{i}@scuola.example.org",
        "phone": f"+39 06 {i:07d}",
        "website": f"https://scuola{i}.example.org",
        "description": "",
        "show_on_map": "yes",
        "notes": "",
    }


def schools_csv(rows: int) -> bytes:
    """A semicolon CSV with BOM, as Excel writes it in Italy."""
    header = school_columns()
    lines = [";".join(header)]
    for i in range(rows):
        row = school_row(i)
        lines.append(";".join(row[column] for column in header))
    return ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    rows = size_from_command_line(
        __doc__, "rows", default=10_000, quick=1_000, quick_help="smoke run of 1,000 rows for CI"
    )

    import django
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        scratch = Path(tempfile.mkdtemp(prefix="kindnet-bench-")) / "bench.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(scratch)
    django.setup()

    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        run(rows, connection, transaction, get_user_model())
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(rows: int, connection, transaction, user_model) -> None:
    from crm.bulk import members_bulk_create
    from crm.models import Chapter
    from exchange.formats import SpreadsheetCSV
    from partners.models import School
    from partners.resources import SchoolResource

    user = user_model.objects.create_superuser("bench", "bench@example.org", "x")
    data = schools_csv(rows)
    print(f"engine: {connection.vendor}; rows: {rows:,}; file: {len(data) / 1e6:.1f} MB")

    # Floor: the same rows, parsed once outside the clock, inserted as fast as MTI allows.
    dataset = SpreadsheetCSV().create_dataset(data)
    italy = Chapter.objects.get(country="IT")
    text = [c for c in school_columns() if c not in ("students", "chapter", "sectors")]
    schools = [
        School(
            **{c: r[c] for c in text if c != "show_on_map"},
            students=int(r["students"]),
            chapter=italy,
            show_on_map=r["show_on_map"] == "yes",
        )
        for r in dataset.dict
    ]
    started = time.perf_counter()
    with transaction.atomic():
        members_bulk_create(schools)
        floor = time.perf_counter() - started
        transaction.set_rollback(True)

    def admin_import(dry_run: bool):
        started = time.perf_counter()
        with transaction.atomic():
            parsed = SpreadsheetCSV().create_dataset(data)
            result = SchoolResource().import_data(
                parsed,
                dry_run=dry_run,
                raise_errors=False,
                user=user,
                file_name="bench.csv",
                retain_instance_in_row_result=True,  # as the admin's confirm step asks
            )
            elapsed = time.perf_counter() - started
            assert not result.problems(), result.problems()[:3]
            assert result.counts()["new"] == rows, result.counts()
            if not dry_run:
                assert School.objects.count() == rows
                assert School.history.filter(history_user=user).count() == rows
            transaction.set_rollback(True)
        return elapsed

    preview = admin_import(dry_run=True)
    seconds = admin_import(dry_run=False)
    peak = peak_mb()
    ratio = seconds / floor
    print(f"floor  (members_bulk_create): {floor:7.2f} s  {rows / floor:9,.0f} rows/s")
    print(f"preview (dry run):            {preview:7.2f} s  {rows / preview:9,.0f} rows/s")
    print(f"import (admin confirm step):  {seconds:7.2f} s  {rows / seconds:9,.0f} rows/s")
    print(f"peak memory (process RSS):    {peak:7.0f} MB")
    print(f"ratio import/floor:           {ratio:7.2f}")
    print(
        f"RESULT ratio={ratio:.2f} rows_per_s={rows / seconds:.0f} seconds={seconds:.2f} "
        f"peak_mb={peak:.0f} rows={rows} engine={connection.vendor}"
    )


if __name__ == "__main__":
    main()
