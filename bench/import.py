"""Benchmark: import N schools from CSV the way the admin does, against the fastest insert.

    python bench/import.py [--rows 10000] [--existing 100000] [--repeat 3] [--quick]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kindnet python bench/import.py --rows 50000

Runs in a throwaway database (PostgreSQL: `bench_<name>_import`, created and dropped here;
a temporary file for SQLite), never in db.sqlite3. Measures:

- import: parse the CSV (SpreadsheetCSV) and SchoolResource.import_data as the admin's
  confirm step calls it (real run, the importing user, instances kept for the admin log);
- dry run: the same, as the admin's preview step runs it;
- floor: crm.bulk.members_bulk_create of the same rows, already parsed - the fastest way
  to insert multi-table schools, with no validation, lookups, history or sectors.

Each run is rolled back, so all start from the same empty database. Floor and import
alternate in each round (`--repeat`, median), so a busy machine slows both alike. Then the
preparation (`prepare`: the look-ups of the file's keys) of the same file and of a one-row
file is timed with no school saved, and again after `--existing` other schools were saved:
it should not grow with them. Prints rows per second, peak memory (process RSS) and the
ratio import/floor; the last line is the RESULT.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

from common import CITIES, throwaway_database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kindnet.settings")


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
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--existing", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smoke run of 1,000 rows for CI")
    args = parser.parse_args()
    rows, existing, repeat = (
        (1_000, 2_000, 1) if args.quick else (args.rows, args.existing, args.repeat)
    )

    with throwaway_database("import", sqlite_file=True):
        from django.contrib.auth import get_user_model
        from django.db import connection, transaction

        run(rows, existing, repeat, connection, transaction, get_user_model())


def run(rows: int, existing: int, repeat: int, connection, transaction, user_model) -> None:
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

    def floor_insert() -> float:
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
            elapsed = time.perf_counter() - started
            transaction.set_rollback(True)
        return elapsed

    def admin_import(dry_run: bool) -> float:
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

    floors, imports = [], []
    for _round in range(repeat):
        floors.append(floor_insert())
        imports.append(admin_import(dry_run=False))
    preview = admin_import(dry_run=True)
    floor, seconds = statistics.median(floors), statistics.median(imports)
    peak = peak_mb()

    def preparation(file: bytes) -> float:
        """Seconds of the look-ups before the rows are read (`prepare`), in a dry run."""
        resource = SchoolResource()
        prepare, spent = resource.prepare, []

        def timed_prepare(dataset) -> None:
            started = time.perf_counter()
            prepare(dataset)
            spent.append(time.perf_counter() - started)

        resource.prepare = timed_prepare
        with transaction.atomic():
            resource.import_data(SpreadsheetCSV().create_dataset(file), dry_run=True)
            transaction.set_rollback(True)
        return spent[0]

    one_row = schools_csv(1)
    prep_empty, prep_one_empty = preparation(data), preparation(one_row)
    started = time.perf_counter()
    for start in range(0, existing, 5000):
        others = []
        for i in range(start, min(start + 5000, existing)):
            cells = {c: v for c, v in school_row(i).items() if c in text and c != "show_on_map"}
            cells["school_code"] = f"EXIS{i:07d}"  # not in the file: its rows stay new
            others.append(School(**cells, students=300, chapter=italy, show_on_map=True))
        members_bulk_create(others, batch_size=5000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"saved {existing:,} other schools in {time.perf_counter() - started:.1f} s")
    prep_full, prep_one_full = preparation(data), preparation(one_row)

    ratio = seconds / floor
    k = f"{existing // 1000}k" if existing >= 1000 else str(existing)
    print(f"floor  (members_bulk_create): {floor:7.2f} s  {rows / floor:9,.0f} rows/s (median)")
    print(f"preview (dry run):            {preview:7.2f} s  {rows / preview:9,.0f} rows/s")
    print(f"import (admin confirm step):  {seconds:7.2f} s  {rows / seconds:9,.0f} rows/s (median)")
    print(f"peak memory (process RSS):    {peak:7.0f} MB")
    print(f"ratio import/floor:           {ratio:7.2f}")
    print(
        f"preparation of the {rows:,}-row file: {prep_empty:.3f} s with no school saved, "
        f"{prep_full:.3f} s with {existing:,}; of a one-row file: {prep_one_empty * 1000:.1f} ms, "
        f"{prep_one_full * 1000:.1f} ms"
    )
    print(
        f"RESULT ratio={ratio:.2f} rows_per_s={rows / seconds:.0f} seconds={seconds:.2f} "
        f"floor_seconds={floor:.2f} peak_mb={peak:.0f} prep_s_0={prep_empty:.3f} "
        f"prep_s_{k}={prep_full:.3f} prep_1row_ms_0={prep_one_empty * 1000:.1f} "
        f"prep_1row_ms_{k}={prep_one_full * 1000:.1f} rows={rows} engine={connection.vendor}"
    )


if __name__ == "__main__":
    main()
