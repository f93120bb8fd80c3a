"""Benchmark: export N schools as CSV the way staff do, against the fastest CSV dump.

    python bench/export.py [--rows 200000] [--repeat 5] [--quick]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kindnet python bench/export.py

Runs in a throwaway database (PostgreSQL: `bench_<name>_export`, dropped at the end; a
temporary file for SQLite), never in db.sqlite3. Creates N/2 schools (with a chapter and
one or two sectors each), measures, adds the other N/2, measures again:

- export: `exchange.export.export_stream` of `SchoolResource` over the schools as
  `manage.py export csv schools` and the admin's Export run it (every column, the chapter's
  name, the sectors), bytes counted and dropped;
- floor: `values_list` of the school's plain columns and its chapter's name, written with
  `csv.writer` to the same kind of sink: the cheapest CSV of the same rows.

Export and floor alternate in each round (`--repeat`, median), so a busy machine slows both
alike. `ratio` is export/floor at N rows; `growth` the export's time at N over N/2 (2.0 is
linear). Memory: the peak of Python allocations (tracemalloc) during one export at N/2
and at N; flat means the same at both. The last line is the RESULT.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

from common import CITIES, throwaway_database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kindnet.settings")


class Sink:
    """Where the bytes go: counted, not kept (the network, for a streamed response)."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data) -> None:
        self.size += len(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="smoke run: 4,000 rows, 1 round")
    args = parser.parse_args()
    rows, repeat = (4_000, 1) if args.quick else (args.rows, args.repeat)

    with throwaway_database("export", sqlite_file=True):
        from django.db import connection

        run(rows, repeat, connection)


def schools_create(first: int, count: int) -> None:
    from crm.bulk import members_bulk_create
    from crm.models import Chapter, Member, Sector
    from partners.models import School

    italy = Chapter.objects.get(country="IT")
    sectors = list(Sector.objects.order_by("pk").values_list("pk", flat=True)[:3])
    links = Member.sectors.through
    for start in range(first, first + count, 5000):
        batch = []
        for i in range(start, min(start + 5000, first + count)):
            city, province, region, postal = CITIES[i % len(CITIES)]
            batch.append(
                School(
                    school_code=f"BNIC{i:07d}",
                    name=f"Istituto Comprensivo Nº {i}",
                    level="comprehensive",
                    students=200 + i % 900,
                    chapter=italy,
                    street=f"Via Garibaldi {i % 200 + 1}",
                    postal_code=postal,
                    city=city,
                    province=province,
                    region=region,
                    country="IT",
                    email=f"segreteria{i}@scuola.example.org",
                    phone=f"+3906{i:07d}",
                    website=f"https://scuola{i}.example.org",
                    show_on_map=True,
                )
            )
        members_bulk_create(batch, batch_size=5000)
        links.objects.bulk_create(
            [
                links(member_id=school.pk, sector_id=sector)
                for n, school in enumerate(batch)
                for sector in sectors[: 1 + n % 2]
            ],
            batch_size=5000,
        )


def analyze(connection) -> None:
    # VACUUM too: otherwise autovacuum wakes for the rows just inserted and competes with
    # the timed rounds for the machine's two cores, and the first round sets the new
    # rows' hint bits (writes) that the next ones do not.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def export_once(sink: Sink) -> None:
    from exchange.export import export_stream
    from exchange.formats import SpreadsheetCSV
    from partners.models import School
    from partners.resources import SchoolResource

    for chunk in export_stream(SchoolResource(), School.objects.all(), SpreadsheetCSV()):
        sink.write(chunk)


def floor_once(sink: Sink) -> None:
    from partners.models import School
    from partners.resources import SchoolResource

    plain = [
        name for name in SchoolResource().get_export_headers() if name not in ("chapter", "sectors")
    ]
    writer = csv.writer(sink)
    writer.writerow([*plain, "chapter"])
    rows = School.objects.values_list(*plain, "chapter__name").iterator(chunk_size=2000)
    writer.writerows(rows)


def timed(function, sink: Sink) -> float:
    started = time.perf_counter()
    function(sink)
    return time.perf_counter() - started


def measure(rows: int, repeat: int, connection) -> dict[str, float]:
    from django.db import reset_queries
    from django.test.utils import CaptureQueriesContext

    exports, floors = [], []
    for _round in range(repeat):
        exports.append(timed(export_once, Sink()))
        floors.append(timed(floor_once, Sink()))
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        export_once(Sink())
    tracemalloc.start()
    export_once(Sink())
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    export, floor = statistics.median(exports), statistics.median(floors)
    print(
        f"{rows:>9,} rows: export {export:6.2f} s ({rows / export:8,.0f} rows/s), "
        f"floor {floor:6.2f} s, ratio {export / floor:5.2f}, {len(queries)} queries, "
        f"peak of Python allocations {peak / 2**20:5.1f} MB"
    )
    return {"export": export, "floor": floor, "queries": len(queries), "peak": peak / 2**20}


def run(rows: int, repeat: int, connection) -> None:
    half = rows // 2
    print(f"engine: {connection.vendor}; rows: {half:,} then {rows:,}; rounds: {repeat}")
    started = time.perf_counter()
    schools_create(0, half)
    analyze(connection)
    print(f"created {half:,} schools in {time.perf_counter() - started:.1f} s")
    small = measure(half, repeat, connection)
    started = time.perf_counter()
    schools_create(half, rows - half)
    analyze(connection)
    print(f"created {rows - half:,} more in {time.perf_counter() - started:.1f} s")
    large = measure(rows, repeat, connection)
    ratio = large["export"] / large["floor"]
    growth = large["export"] / small["export"]
    h, n = f"{half // 1000}k", f"{rows // 1000}k"
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"RESULT ratio={ratio:.2f} growth={growth:.2f} "
        f"seconds_{h}={small['export']:.2f} seconds_{n}={large['export']:.2f} "
        f"floor_{n}={large['floor']:.2f} "
        f"queries_{h}={small['queries']} queries_{n}={large['queries']} "
        f"peak_mb_{h}={small['peak']:.1f} peak_mb_{n}={large['peak']:.1f} "
        f"rss_mb={rss:.0f} rows={rows} engine={connection.vendor}"
    )


if __name__ == "__main__":
    main()
