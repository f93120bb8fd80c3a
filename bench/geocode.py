#!/usr/bin/env python
"""Benchmark: geocode N members spread over M distinct places against a loopback Nominatim.

Goal: one provider call per distinct place (ratio provider-calls / distinct-places = 1.00)
thanks to the shared result cache. The baseline, measured in the same run, geocodes a
sample of members one by one with no cache, as a naive pipeline would.

Runs in a throwaway database created like the test runner does (test_… on PostgreSQL,
in memory on SQLite) and dropped at the end, so the configured database is never touched.

    python bench/geocode.py [--members 10000] [--places 500] [--quick]

The last line is `RESULT ratio=… calls=… members_per_s=… …`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kindnet.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--places", type=int, default=500)
    parser.add_argument("--baseline-sample", type=int, default=500)
    parser.add_argument("--quick", action="store_true", help="smoke run: 500 over 50")
    args = parser.parse_args()
    if args.quick:
        args.members, args.places, args.baseline_sample = 500, 50, 100
    if args.members < 1 or not 1 <= args.places <= args.members:
        parser.error("give 1 <= --places <= --members")

    import django

    django.setup()
    from django.db import connection

    connection.settings_dict.setdefault("TEST", {})
    if connection.vendor != "sqlite":
        connection.settings_dict["TEST"]["NAME"] = f"bench_{connection.settings_dict['NAME']}"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(args: argparse.Namespace) -> None:
    from django.db import connection
    from django.test.utils import override_settings

    from crm.bulk import members_bulk_create
    from crm.models import GeocodeStatus, Member
    from geocoding.providers import geocoder_chain
    from geocoding.services import member_geocode_query, members_geocode
    from partners.models import School
    from tests.nominatim_fake import FakeNominatim

    fake = FakeNominatim(cities={})
    for i in range(args.places):
        fake.cities[f"benchtown {i}"] = (36.0 + (i % 100) * 0.1, 6.0 + (i // 100) * 0.5)
    fake.start()
    try:
        with override_settings(
            GEOCODERS=["nominatim"],
            NOMINATIM_URL=fake.url,
            GEOCODER_USER_AGENT="kindnet-bench/1.0 (bench@kindnet.example)",
            GEOCODER_MIN_DELAY_SECONDS=0.0,
            GEOCODER_TIMEOUT=10.0,
        ):
            members_bulk_create(
                [
                    School(
                        name=f"Bench school {n}",
                        school_code=f"BENCH{n:07d}",
                        city=f"Benchtown {n % args.places}",
                        country="IT",
                    )
                    for n in range(args.members)
                ]
            )
            ids = list(Member.objects.order_by("pk").values_list("pk", flat=True))

            # Baseline: one provider call per member, no cache (a sample, it is slow).
            sample = list(Member.objects.filter(pk__in=ids[: args.baseline_sample]))
            chain = geocoder_chain()
            started = time.perf_counter()
            for member in sample:
                chain.geocode(member_geocode_query(member=member))
            baseline_rate = len(sample) / (time.perf_counter() - started)
            fake.requests.clear()

            started = time.perf_counter()
            summary = members_geocode(member_ids=ids)
            elapsed = time.perf_counter() - started
    finally:
        fake.stop()

    located = Member.objects.filter(geocode_status=GeocodeStatus.OK).count()
    calls = len(fake.searches())
    assert calls == summary.provider_calls, (calls, summary.provider_calls)
    rate = args.members / elapsed
    ratio = calls / args.places
    print(f"database:              {connection.vendor} {connection.settings_dict['NAME']}")
    print(f"members:               {args.members} over {args.places} distinct places")
    print(f"located:               {located} ok, {summary.failed} failed")
    print(f"provider calls:        {calls} (answered by cache: {summary.cached})")
    print(f"calls / places:        {ratio:.2f} (goal 1.00)")
    print(f"elapsed:               {elapsed:.2f} s, {rate:.0f} members/s")
    print(f"baseline (no cache):   {baseline_rate:.0f} members/s, 1 call per member")
    print(f"speed-up vs baseline:  {rate / baseline_rate:.1f}x, calls saved {args.members - calls}")
    print(
        f"RESULT ratio={ratio:.2f} calls={calls} members_per_s={rate:.0f} "
        f"baseline_members_per_s={baseline_rate:.0f} speedup={rate / baseline_rate:.1f} "
        f"members={args.members} places={args.places} located={located}"
    )
    if located != args.members or ratio > 1.0:
        sys.exit(1)


if __name__ == "__main__":
    main()
