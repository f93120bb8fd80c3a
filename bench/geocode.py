#!/usr/bin/env python
"""Benchmark: several processes geocode the same members against a loopback Nominatim.

N members over M distinct places are queued as overlapping tasks of the database backend;
W `manage.py db_worker` processes and a concurrent `manage.py geocode --all` work through
them at once, at one request per --delay seconds for the whole application. The fake
Nominatim logs every request with its arrival time. Goals: every distinct query asked
exactly once (calls_per_query=1.00, whatever the number of processes), and no two requests
closer than the delay (min_interval_s >= delay).

Runs in a throwaway database (a temporary SQLite file, or bench_… on PostgreSQL with
DATABASE_URL=postgres://…) dropped at the end, so the configured database is never touched.

    python bench/geocode.py [--workers 3] [--members 200] [--places 120] [--delay 1.0]
                            [--retry-after S] [--quick]

With --retry-after S the middle request is refused with HTTP 429 and `Retry-After: S`: the
line also gives the time from the 429 to the next request any process sent (goal >= S);
calls are then counted without the refused one.

The last line is `RESULT calls_per_query=… min_interval_s=… p5_interval_s=… members=… seconds=…`.
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kindnet.settings")

TASK_SIZE = 20  # members per queued task; consecutive tasks share places


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--places", type=int, default=120)
    parser.add_argument("--delay", type=float, default=1.0, help="GEOCODER_MIN_DELAY_SECONDS")
    parser.add_argument(
        "--retry-after",
        type=int,
        default=0,
        metavar="S",
        help="answer the middle request with HTTP 429 and Retry-After: S; then check that no "
        "process sent anything during the pause",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 60 over 30, 0.25 s")
    args = parser.parse_args()
    if args.quick:
        args.members, args.places, args.delay = 60, 30, 0.25
    if args.workers < 1 or args.members < 1 or not 1 <= args.places <= args.members:
        parser.error("give --workers >= 1 and 1 <= --places <= --members")

    import django

    django.setup()
    from django.db import connection

    connection.settings_dict.setdefault("TEST", {})
    with tempfile.TemporaryDirectory(prefix="kindnet-bench-") as folder:
        if connection.vendor == "sqlite":
            # A file, not memory: the worker processes share it.
            connection.settings_dict["TEST"]["NAME"] = str(Path(folder) / "bench.sqlite3")
        else:
            connection.settings_dict["TEST"]["NAME"] = f"bench_{connection.settings_dict['NAME']}"
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
        try:
            run(args, database_url(connection))
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)


def database_url(connection) -> str:
    """The throwaway database's URL, for the worker processes."""
    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


def run(args: argparse.Namespace, url: str) -> None:
    from django.test.utils import override_settings

    from crm.bulk import members_bulk_create
    from crm.models import GeocodeStatus, Member
    from geocoding.tasks import members_geocode_task
    from partners.models import School
    from tests.nominatim_fake import FakeNominatim

    fake = FakeNominatim(cities={})
    for i in range(args.places):
        fake.cities[f"benchtown {i}"] = (36.0 + (i % 100) * 0.1, 6.0 + (i // 100) * 0.5)
    if args.retry_after:
        fake.script = ["ok"] * (args.places // 2) + [f"429:{args.retry_after}"]
    fake.start()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TASKS_BACKEND": "database",
        "GEOCODERS": "nominatim",
        "NOMINATIM_URL": fake.url,
        "GEOCODER_USER_AGENT": "kindnet-bench/1.0 (bench@kindnet.example)",
        "GEOCODER_MIN_DELAY_SECONDS": str(args.delay),
        "GEOCODER_TIMEOUT": "10",
        "LOG_LEVEL": "WARNING",
        # After the 429 the rest of a batch is queued again for after the pause.
        "GEOCODER_RETRY_BACKOFF_SECONDS": str(args.retry_after or 60),
        "GEOCODER_RATE_LIMITED_SECONDS": str(args.retry_after or 60),
    }
    try:
        dummy = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
        with override_settings(TASKS=dummy):  # created here, queued below as overlapping tasks
            members_bulk_create(
                [
                    School(
                        name=f"Bench school {n}",
                        school_code=f"BENCH{n:07d}",
                        street="",
                        postal_code="",
                        city=f"Benchtown {n % args.places}",
                        province="",
                        region="",
                        country="IT",
                    )
                    for n in range(args.members)
                ]
            )
        ids = list(Member.objects.order_by("pk").values_list("pk", flat=True))
        database = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
        with override_settings(TASKS=database):
            for start in range(0, len(ids), TASK_SIZE):
                members_geocode_task.enqueue(member_ids=ids[start : start + TASK_SIZE])

        manage = [sys.executable, str(ROOT / "manage.py")]
        commands = [
            [*manage, "db_worker", "--batch", "--no-startup-delay"] for _ in range(args.workers)
        ]
        commands.append([*manage, "geocode", "--all", "--no-progress"])
        started = time.perf_counter()
        processes = [
            subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
            for command in commands
        ]
        budget = 60 + args.places * (args.delay + 0.1) * 2 + args.retry_after * 4
        codes = [process.wait(timeout=budget) for process in processes]
        if args.retry_after:
            # The work postponed by the pause is queued for after it: once it is due, one
            # more worker runs it (twice: a postponed task may postpone again).
            for _round in range(2):
                time.sleep(args.retry_after + 1)
                subprocess.run(
                    [*manage, "db_worker", "--batch", "--no-startup-delay"],
                    env=env,
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    timeout=budget,
                    check=True,
                )
        elapsed = time.perf_counter() - started
    finally:
        fake.stop()

    searches = sorted(fake.searches(), key=lambda request: request.at)
    pause_line, pause_ok = "", True
    if args.retry_after:
        # Every request but the refused one was answered; none arrived during the pause.
        refused = searches[args.places // 2]
        after = [r.at - refused.at for r in searches if r.at > refused.at]
        gap = min(after) if after else float("inf")
        pause_ok = gap >= args.retry_after
        pause_line = f" pause_s={args.retry_after} first_request_after_429_s={gap:.3f}"
        searches.remove(refused)
    distinct = {request.raw_query for request in searches}
    located = Member.objects.filter(geocode_status=GeocodeStatus.OK).count()
    intervals = sorted(b.at - a.at for a, b in itertools.pairwise(searches))
    min_interval = intervals[0] if intervals else 0.0
    p5 = intervals[int(len(intervals) * 0.05)] if intervals else 0.0
    ratio = len(searches) / max(len(distinct), 1)
    print(f"processes:            {args.workers} db_worker + geocode --all, exit codes {codes}")
    print(f"members:              {args.members} over {args.places} distinct places")
    print(f"located:              {located}")
    print(f"provider calls:       {len(searches)} for {len(distinct)} distinct queries")
    print(f"spacing:              min {min_interval:.3f} s, p5 {p5:.3f} s (limit {args.delay} s)")
    print(f"elapsed:              {elapsed:.1f} s")
    print(
        f"RESULT calls_per_query={ratio:.2f} min_interval_s={min_interval:.3f} "
        f"p5_interval_s={p5:.3f} members={args.members} seconds={elapsed:.1f} "
        f"calls={len(searches)} places={args.places} located={located} workers={args.workers}"
        f"{pause_line}"
    )
    ok = (
        ratio == 1.0
        and len(distinct) == args.places
        and min_interval >= args.delay
        and located == args.members
        and not any(codes)
        and pause_ok
    )
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
