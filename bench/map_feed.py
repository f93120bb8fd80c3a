"""Benchmark of the public map feed, GET /api/v1/map/, against a floor.

Creates N located members with active agreements (default 100,000) in a throwaway
database on the configured engine (DATABASE_URL; like the test runner: SQLite in
memory, PostgreSQL `bench_<name>`, dropped at the end), then times, through the
Django test client with `Accept-Encoding: gzip` as a browser sends it:

  (a) the whole feed (no zoom: every member), cold cache;
  (b) the same request, warm (served from the cache);
  (c) a conditional GET answered 304 Not Modified;
  (d) the floor: a raw cursor fetch of the same rows + json.dumps, i.e. the feed's own
      SQL statements (captured from a run: the version, the members, their sectors and titles)
      executed on a plain cursor, and every row dumped with the standard library.

Cold runs and floor runs alternate, so a busy machine slows both alike. Prints each
median and the ratio (a)/(d). Goals at 100,000 members on PostgreSQL:
ratio under 2.0 and warm under 50 ms. `--quick` is a smoke run for CI.

    .venv/bin/python bench/map_feed.py [--members N] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kindnet.settings")


def median_ms(action: Callable[[], object], repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def add_sectors_and_recognitions() -> None:
    """One or two sectors per member and a title for one in seven, as in the real network."""
    import datetime

    from crm.models import Member, Recognition, Sector

    sectors = list(Sector.objects.values_list("pk", flat=True)) or [
        Sector.objects.create(slug="education", name_en="Education", name_it="Istruzione").pk
    ]
    through = Member.sectors.through
    member_ids = list(Member.objects.values_list("pk", flat=True))
    links = []
    for pk in member_ids:
        links.append(through(member_id=pk, sector_id=sectors[pk % len(sectors)]))
        if pk % 3 == 0 and len(sectors) > 1:
            links.append(through(member_id=pk, sector_id=sectors[(pk + 1) % len(sectors)]))
    through.objects.bulk_create(links, batch_size=5000)
    day = datetime.date(2025, 5, 1)
    Recognition.objects.bulk_create(
        (Recognition(member_id=pk, title="Kind School", awarded_on=day) for pk in member_ids[::7]),
        batch_size=5000,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="smoke run: 2,000 members")
    parser.add_argument("--repeat", type=int, default=5, help="cold runs (others scale)")
    args = parser.parse_args()
    members = 2_000 if args.quick else args.members
    repeat = 3 if args.quick else args.repeat

    import django
    from django.conf import settings

    django.setup()
    settings.MAP_THROTTLE_RATE = "1000000/second"  # the benchmark is one very busy client
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from kindnet.demo import synthetic_network_create

    setup_test_environment()
    engine = connection.vendor
    test_settings = connection.settings_dict.setdefault("TEST", {})
    if engine != "sqlite":
        test_settings["NAME"] = f"bench_{connection.settings_dict['NAME']}"
    original_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        started = time.perf_counter()
        synthetic_network_create(members=members)
        add_sectors_and_recognitions()
        if engine == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        print(
            f"{engine}: {members:,} members created in {time.perf_counter() - started:.1f} s",
            flush=True,
        )

        client = Client(HTTP_ACCEPT_ENCODING="gzip")
        url = "/api/v1/map/"

        def cold() -> None:
            cache.clear()
            response = client.get(url)
            assert response.status_code == 200, response.status_code

        def warm() -> None:
            response = client.get(url)
            assert response.status_code == 200, response.status_code

        cold()
        response = client.get(url)
        body_bytes = len(response.content)

        def not_modified() -> None:
            response = client.get(url, HTTP_IF_NONE_MATCH=warm_etag)
            assert response.status_code == 304, response.status_code

        cache.clear()
        with CaptureQueriesContext(connection) as feed_queries:
            client.get(url)
        statements = [query["sql"] for query in feed_queries.captured_queries]
        # The version (in the database with the local-memory cache), the members, their extras.
        assert len(statements) <= 3, statements

        def floor() -> None:
            rows = []
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
                    rows.extend(cursor.fetchall())
            json.dumps(rows, default=str)  # dates as text

        import gzip

        total = json.loads(gzip.decompress(response.content))["total"]
        assert total == members, (total, members)

        floor()  # warm the database's own caches for both sides alike
        cold_runs, floor_runs = [], []
        for _ in range(repeat):
            cold_runs.append(median_ms(cold, 1))
            floor_runs.append(median_ms(floor, 1))
        cold_ms, floor_ms = statistics.median(cold_runs), statistics.median(floor_runs)
        warm_ms = median_ms(warm, repeat * 4)
        warm_etag = client.get(url)["ETag"]
        not_modified_ms = median_ms(not_modified, repeat * 10)

        def world() -> None:
            cache.clear()
            assert client.get(url + "?zoom=3").status_code == 200

        world_ms = median_ms(world, repeat)
        ratio = cold_ms / floor_ms
        print(f"feed body (gzip)          {body_bytes / 1e6:8.2f} MB")
        print(f"(a) cold, every member    {cold_ms:8.1f} ms")
        print(f"(b) warm                  {warm_ms:8.1f} ms")
        print(f"(c) conditional GET, 304  {not_modified_ms:8.1f} ms")
        print(f"(d) floor: fetch + dumps  {floor_ms:8.1f} ms")
        print(f"    cold at zoom 3        {world_ms:8.1f} ms (clusters)")
        print(f"ratio (a)/(d)             {ratio:8.2f}  (goal < 2.0; warm goal < 50 ms)")
        print(
            f"RESULT ratio={ratio:.2f} cold_ms={cold_ms:.1f} warm_ms={warm_ms:.1f} "
            f"not_modified_ms={not_modified_ms:.1f} floor_ms={floor_ms:.1f} "
            f"members={members} db={engine}"
        )
    finally:
        connection.creation.destroy_test_db(original_name, verbosity=0)


if __name__ == "__main__":
    main()
