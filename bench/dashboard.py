"""Benchmark of the staff dashboard (/admin/) at scale.

Creates N members (default 100,000) with one agreement each in a throwaway database on the
configured engine (DATABASE_URL; PostgreSQL `bench_<name>`, dropped at the end; SQLite in
memory), spreads them over two years of creation dates, agreements ending over the next
months (a tenth of them already ended), a few members geocoding could not place and
waiting join requests, so that every panel has work to do. Then, for a superuser (every
chapter) and for the manager of one chapter, it takes the median over `--repeat` rounds of:

  cold ms   the whole request through the Django test client with nothing cached (as
            after a change of the network): every query, figure, chart and the template;
  warm ms   the next visit: the figures of the whole network and the charts come from the
            cache (dashboard/cache.py), the to-do lists are read again;
  queries   how many statements each ran (the same at any size: tests/test_dashboard.py).

The floor is the cold request's own statements (captured from the request, the session
and the user's permissions left out) executed again on a plain cursor, in the same rounds,
interleaved: what the database must do for these figures by the most direct means.
`ratio` is the slower user's cold request against its floor: the cost of everything the
page adds to the database's work (Python, charts, HTML). `ms` is the slower warm visit.

    .venv/bin/python bench/dashboard.py [--members N] [--repeat R] [--quick]
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

from common import throwaway_database

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kindnet.settings")

#: Statements of every request that are not the dashboard's (session, user, permissions).
NOT_THE_DASHBOARD = (
    '"django_session"',
    '"auth_user"',
    '"auth_permission"',
    '"auth_group"',
    '"otp_totp_totpdevice"',
    '"crm_chapterscope"',
)


def network_spread(members: int) -> None:
    """Creation dates over two years, agreement ends over the coming months (a tenth
    ended), 2% of members not placed by geocoding, and waiting join requests."""
    from django.db.models.functions import Mod
    from django.utils import timezone

    from crm.models import Agreement, GeocodeStatus, Member
    from municipalities.models import JoinRequest

    now, today = timezone.now(), timezone.localdate()
    for month in range(24):
        Member.objects.alias(bucket=Mod("id", 24)).filter(bucket=month).update(
            created_at=now - datetime.timedelta(days=30 * month + 1)
        )
    for step in range(10):  # ended 3 days ago, then ending in 9, 21, 33, … 105 days
        Agreement.objects.alias(bucket=Mod("id", 10)).filter(bucket=step).update(
            ends_on=today + datetime.timedelta(days=12 * step - 3)
        )
    Member.objects.alias(bucket=Mod("id", 100)).filter(bucket=0).update(
        geocode_status=GeocodeStatus.FAILED, geocode_error="No such place"
    )
    Member.objects.alias(bucket=Mod("id", 100)).filter(bucket=1).update(
        geocode_status=GeocodeStatus.UNPLACED
    )
    JoinRequest.objects.bulk_create(
        JoinRequest(
            reference=f"JR-BENCH-{n:05d}",
            country="IT" if n % 4 else "CH",
            municipality_name=f"Comune {n}",
            municipality_key=f"IT:bench-{n}",
            submitter_name="Maria Bianchi",
            submitter_role="Assessora",
            submitter_email=f"ufficio{n}@comune.example.it",
            submitter_phone="+39035000000",
            mayor_name="Giovanni Verdi",
            resolution_number=str(n),
            resolution_date=today - datetime.timedelta(days=20),
            resolution_file=f"join-requests/bench/{n}.pdf",
            privacy_consent_at=now,
        )
        for n in range(max(5, members // 1000))
    )


def verified_client(user):
    """A client logged in as `user` with a proven second factor (as after typing a code)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="smoke run: 2,000 members")
    parser.add_argument(
        "--statements", action="store_true", help="also print the dashboard's statements, timed"
    )
    args = parser.parse_args()
    members = 2_000 if args.quick else args.members
    repeat = 3 if args.quick else args.repeat

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from crm.models import Chapter, ChapterScope
    from crm.scope import CHAPTER_MANAGER
    from dashboard.cache import figures_invalidate
    from kindnet.demo import synthetic_network_create

    with throwaway_database("dashboard") as engine:
        started = time.perf_counter()
        synthetic_network_create(members=members, geocoded=False)
        network_spread(members)
        if engine == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        print(f"{engine}: {members:,} members created in {time.perf_counter() - started:.0f} s")

        users = get_user_model().objects
        superuser = users.create_superuser("bench", "bench@example.org", "x")
        manager = users.create_user("manager", "manager@example.org", "x", is_staff=True)
        manager.groups.add(Group.objects.get(name=CHAPTER_MANAGER))
        ChapterScope.objects.create(user=manager).chapters.add(Chapter.objects.get(country="IT"))
        clients = {"superuser": verified_client(superuser), "chapter": verified_client(manager)}

        statements: dict[str, list[str]] = {}
        queries: dict[str, dict[str, int]] = {}
        for name, client in clients.items():
            counted = {}
            for visit in ("cold", "warm"):
                if visit == "cold":
                    figures_invalidate()
                with CaptureQueriesContext(connection) as captured:
                    response = client.get("/admin/")
                assert response.status_code == 200, (name, response.status_code)
                assert len(response.context["panels"]) >= 7, name
                sqls = [query["sql"] for query in captured.captured_queries]
                counted[visit] = len(sqls)
                if visit == "cold":
                    statements[name] = [
                        s for s in sqls if not any(t in s for t in NOT_THE_DASHBOARD)
                    ]
            queries[name] = counted

        def run_sql(sqls: list[str]) -> float:
            start = time.perf_counter()
            with connection.cursor() as cursor:
                for sql in sqls:
                    cursor.execute(sql)
                    cursor.fetchall()
            return (time.perf_counter() - start) * 1000

        def request(client, *, cold: bool) -> float:
            if cold:
                figures_invalidate()
            start = time.perf_counter()
            assert client.get("/admin/").status_code == 200
            return (time.perf_counter() - start) * 1000

        cold = {name: [] for name in clients}
        warm = {name: [] for name in clients}
        floor = {name: [] for name in clients}
        for _ in range(repeat):
            for name, client in clients.items():
                floor[name].append(run_sql(statements[name]))
                cold[name].append(request(client, cold=True))
                warm[name].append(request(client, cold=False))

        if args.statements:
            for name in clients:
                print(f"-- {name}")
                for sql in statements[name]:
                    print(f"{run_sql([sql]):9.2f} ms  {sql[:150]}")
        median = statistics.median
        print(f"{'user':<12}{'warm ms':>10}{'cold ms':>10}{'floor ms':>10}{'queries':>12}")
        for name in clients:
            print(
                f"{name:<12}{median(warm[name]):>10.1f}{median(cold[name]):>10.1f}"
                f"{median(floor[name]):>10.1f}"
                f"{queries[name]['warm']:>6}/{queries[name]['cold']}"
            )
        slowest = max(clients, key=lambda name: median(cold[name]))
        print(
            f"slowest: {slowest}; goal: under 300 ms at 100,000 members. warm: figures of the "
            "whole network from the cache (until the network changes); cold: all computed"
        )
        worst_warm = max(median(warm[name]) for name in clients)
        print(
            f"RESULT ms={worst_warm:.1f} queries={queries[slowest]['warm']} "
            f"cold_ms={median(cold[slowest]):.1f} cold_queries={queries[slowest]['cold']} "
            f"floor_ms={median(floor[slowest]):.1f} "
            f"ratio={median(cold[slowest]) / median(floor[slowest]):.2f} "
            f"members={members} db={engine}"
        )


if __name__ == "__main__":
    main()
