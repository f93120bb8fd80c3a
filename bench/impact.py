"""Benchmark of the public impact figures, GET /api/v1/impact/: warm, cold, and floors.

Creates N members with active agreements (default 100,000, by the demo's
`synthetic_network_create`) and D deliveries of five programmes at them (default 20,000,
every kind of participant, a B-Kind Test result on one in four: the demo's
`synthetic_deliveries_create`) in a throwaway database on the configured engine
(DATABASE_URL; SQLite in memory by default, PostgreSQL `bench_<name>`). Then, through
the Django test client:

  warm: the answer from the cache (the version read, the body fetched), as the website's
      visitors get it; its queries are counted (the goal: constant, one with the default
      local-memory cache, where the version lives in the database);
  warm floor: the same work by the most direct means behind the same middleware: a plain
      Django view that runs the version's SELECT on a plain cursor and answers the
      cached body (`bare`: the same without any request, for scale);
  cold: the figures computed (the cache cleared before each run);
  cold floor: the figures' own SQL statements (captured from a run) on a plain cursor.

Warm and floor runs alternate, so a busy machine slows both alike; each figure is a
median. Goals at 100,000 members and 20,000 deliveries: warm under 50 ms, queries
constant. `--quick` is a smoke run for CI (2,000 members, 400 deliveries).

    .venv/bin/python bench/impact.py [--members N] [--deliveries D] [--repeat R] [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import types
from pathlib import Path

from common import throwaway_database

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kindnet.settings")

URL = "/api/v1/impact/"


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--deliveries", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=50, help="warm runs (cold: a fifth)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2,000 members")
    args = parser.parse_args()
    members = 2_000 if args.quick else args.members
    deliveries = 400 if args.quick else args.deliveries
    repeat = 10 if args.quick else args.repeat

    with throwaway_database("impact") as engine:
        from django.conf import settings
        from django.core.cache import cache
        from django.db import connection
        from django.http import HttpResponse
        from django.test import Client
        from django.test.utils import CaptureQueriesContext
        from django.urls import clear_url_caches, path
        from django.utils import timezone

        from impact.cache import impact_version
        from impact.views import answer_keys
        from kindnet import urls as kindnet_urls
        from kindnet.demo import synthetic_deliveries_create, synthetic_network_create

        start = time.perf_counter()
        synthetic_network_create(members=members, geocoded=False)
        synthetic_deliveries_create(deliveries=deliveries)
        if engine == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        print(
            f"network: {members:,} members, {deliveries:,} deliveries on {engine} "
            f"in {time.perf_counter() - start:.0f} s"
        )

        client = Client()

        addresses = (f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}" for n in range(10**7))

        def get() -> bytes:
            # Each request from its own address, as visitors of the website come: the
            # throttle keeps a short history per address (IMPACT_THROTTLE_RATE as set).
            response = client.get(URL, REMOTE_ADDR=next(addresses))
            assert response.status_code == 200, response.status_code
            return response.content

        # The cold answer: its SQL is what the cold floor runs.
        cache.clear()
        with CaptureQueriesContext(connection) as cold_queries:
            body = get()
        statements = [q["sql"] for q in cold_queries.captured_queries]
        with CaptureQueriesContext(connection) as captured:
            assert get() == body
        # Counted now: every request clears the connection's log (Django's reset_queries).
        warm_queries = len(captured.captured_queries)
        version_sql = statements[0]
        _etag, body_key = answer_keys(
            "figures", language="en", day=timezone.localdate(), version=impact_version()
        )
        assert cache.get(body_key) == body

        def warm_floor() -> None:
            with connection.cursor() as cursor:
                cursor.execute(version_sql)
                cursor.fetchall()
            HttpResponse(cache.get(body_key), content_type="application/json")

        def floor_view(request) -> HttpResponse:
            warm_floor_response = HttpResponse(content_type="application/json")
            with connection.cursor() as cursor:
                cursor.execute(version_sql)
                cursor.fetchall()
            warm_floor_response.content = cache.get(body_key)
            return warm_floor_response

        # The same work as a plain Django view behind the site's middleware.
        urls = types.ModuleType("bench_impact_urls")
        urls.urlpatterns = [path("bench/floor/", floor_view), *kindnet_urls.urlpatterns]
        settings.ROOT_URLCONF = urls
        clear_url_caches()

        def stack_floor() -> None:
            assert client.get("/bench/floor/", REMOTE_ADDR=next(addresses)).content == body

        def cold() -> None:
            cache.clear()
            get()

        def cold_floor() -> None:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
                    cursor.fetchall()

        warm_ms, floor_ms, stack_ms, cold_ms, cold_floor_ms = [], [], [], [], []
        for round_ in range(repeat):
            warm_ms.append(timed(get))
            stack_ms.append(timed(stack_floor))
            floor_ms.append(timed(warm_floor))
            if round_ % 5 == 0:
                cold_ms.append(timed(cold))
                cold_floor_ms.append(timed(cold_floor))
                get()  # warm again for the next round
        warm, floor = statistics.median(warm_ms), statistics.median(floor_ms)
        stack = statistics.median(stack_ms)
        cold_p50, cold_floor_p50 = statistics.median(cold_ms), statistics.median(cold_floor_ms)
        print(f"(a) warm:       {warm:8.2f} ms, {warm_queries} queries, {len(body):,} bytes")
        print(
            f"(b) warm floor: {stack:8.2f} ms (the same work in a plain Django view, "
            "same middleware)"
        )
        print(
            f"    bare:       {floor:8.2f} ms (version SELECT, cache read, response; "
            "no request at all)"
        )
        print(f"(c) cold:       {cold_p50:8.2f} ms, {len(statements)} queries")
        print(f"(d) cold floor: {cold_floor_p50:8.2f} ms (the same SQL on a plain cursor)")
        print(
            f"RESULT impact_warm_ms={warm:.2f} warm_queries={warm_queries} "
            f"warm_floor_ms={stack:.2f} ratio={warm / stack:.2f} bare_floor_ms={floor:.2f} "
            f"cold_ms={cold_p50:.1f} "
            f"cold_queries={len(statements)} cold_floor_ms={cold_floor_p50:.1f} "
            f"cold_ratio={cold_p50 / cold_floor_p50:.2f} members={members} "
            f"deliveries={deliveries} engine={engine}"
        )


if __name__ == "__main__":
    main()
