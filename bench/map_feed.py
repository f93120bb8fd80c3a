"""Benchmark of the public map feed, GET /api/v1/map/: viewports, and the full feed against a floor.

Creates N located members with active agreements (default 100,000; one or two sectors
each, a title for one in seven) in a throwaway database on the configured engine
(DATABASE_URL; like the test runner: SQLite in memory, PostgreSQL `bench_<name>`, dropped
at the end). On PostgreSQL, beyond 20,000 members, the first 4,000 are made by the demo's
`synthetic_network_create` (every kind, with their kind's rows) and the rest by
`INSERT … SELECT generate_series` copying them with new names and random points over
Italy and Switzerland (member rows, agreements, sector links and titles: all that the
feed reads), which takes a minute instead of an hour. Then it times, through the
Django test client with `Accept-Encoding: gzip` as a browser sends it:

  grid index: its rebuild from the members (grid_build_ms), as the first low-zoom
      request after a change of a large network has it done;
  viewports: the clustered answers a browser asks for, cold (the answers' cache cleared
      before each request; the grid index built): zoom 3 to 14 over Italy, Switzerland
      and Rome at 940x688 pixels, each the median of `--repeat` runs; their median
      (cluster_cold_p50_ms), slowest (cluster_cold_max_ms) and largest answer
      (max_features, with the full feed's);
  (a) the full feed (no zoom, no box: every member, or clusters beyond MAP_MAX_FEATURES), cold;
  (b) the same request, warm (served from the cache);
  (c) a conditional GET answered 304 Not Modified;
  (d) the honest floor of (a): the feed's own SQL statements (captured from a run) on a
      plain cursor, the same FeatureCollection built from their rows in plain Python,
      encoded with orjson and gzipped as the feed is.

Cold runs and floor runs alternate, so a busy machine slows both alike; each figure is
a median. Goals at 1,000,000 members on PostgreSQL: cluster_cold_p50_ms <= 100,
max_features <= MAP_MAX_FEATURES, ratio (a)/(d) <= 1.5, warm under 50 ms. `--quick` is a
smoke run for CI.

    .venv/bin/python bench/map_feed.py [--members N] [--repeat R] [--quick]
"""

from __future__ import annotations

import argparse
import gzip
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from common import throwaway_database

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kindnet.settings")

#: Where the viewports are centred (lon, lat), and their size in pixels.
PLACES = {"italy": (12.5, 42.0), "switzerland": (8.23, 46.8), "rome": (12.4964, 41.9028)}
VIEW_WIDTH, VIEW_HEIGHT = 940, 688
ZOOMS = range(3, 15)
#: Beyond this many members on PostgreSQL, the rest are copies made in SQL.
SEED_MEMBERS = 4_000
FAST_FROM = 20_000


def median_ms(action: Callable[[], object], repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def viewport(lon: float, lat: float, zoom: int) -> tuple[float, float, float, float]:
    """The box a VIEW_WIDTH x VIEW_HEIGHT map centred on (lon, lat) shows at `zoom`."""
    size = 256 * 2**zoom
    x = (lon + 180) / 360 * size
    sin_lat = math.sin(math.radians(lat))
    y = (0.5 - math.log((1 + sin_lat) / (1 - sin_lat)) / (4 * math.pi)) * size

    def latitude(py: float) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * py / size))))

    return (
        max(-180.0, (x - VIEW_WIDTH / 2) / size * 360 - 180),
        latitude(y + VIEW_HEIGHT / 2),
        min(180.0, (x + VIEW_WIDTH / 2) / size * 360 - 180),
        latitude(y - VIEW_HEIGHT / 2),
    )


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


def copies_insert(copies: int) -> None:
    """PostgreSQL: `copies` more members made from the existing ones in SQL, each with an
    agreement copied from its original's, its sector links, and a title for one in seven."""
    from django.db import connection

    from crm.models import Agreement, Member, Recognition, Sector
    from crm.signals import network_changed_send

    def columns(model, replaced: dict[str, str]) -> tuple[str, str]:
        names = [f.column for f in model._meta.concrete_fields if not f.primary_key]
        return ", ".join(names), ", ".join(replaced.get(name, f"s.{name}") for name in names)

    seed = Member.objects.count()
    member_columns, member_values = columns(
        Member,
        {
            "name": "s.name || ' copy ' || g",
            "updated_at": "now()",
            "latitude": "36 + random() * 11",
            "longitude": "6 + random() * 12",
        },
    )
    agreement_columns, agreement_values = columns(
        Agreement, {"member_id": "m.id", "reference": "'SYC-' || lpad(m.id::text, 9, '0')"}
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.5)")
        cursor.execute("SELECT max(id) FROM crm_member")
        (last_seed_id,) = cursor.fetchone()
        cursor.execute(
            f"INSERT INTO crm_member ({member_columns}) SELECT {member_values} "
            "FROM generate_series(1, %s) g "
            "JOIN (SELECT *, row_number() OVER (ORDER BY id) - 1 AS n FROM crm_member) s "
            "ON s.n = g %% %s",
            [copies, seed],
        )
        # Every synthetic agreement is alike (active for two years): the first one is the
        # model of the copies'.
        cursor.execute(
            f"INSERT INTO crm_agreement ({agreement_columns}) SELECT {agreement_values} "
            "FROM crm_member m CROSS JOIN (SELECT * FROM crm_agreement ORDER BY id LIMIT 1) s "
            "WHERE m.id > %s",
            [last_seed_id],
        )
        # Sectors as `add_sectors_and_recognitions` gives them.
        sector_ids = list(Sector.objects.order_by("pk").values_list("pk", flat=True))
        sectors = Member.sectors.through._meta.db_table
        cursor.execute(
            f"INSERT INTO {sectors} (member_id, sector_id) "
            "SELECT id, (%s::bigint[])[id %% %s + 1] FROM crm_member WHERE id > %s "
            "UNION ALL SELECT id, (%s::bigint[])[(id + 1) %% %s + 1] FROM crm_member "
            "WHERE id > %s AND id %% 3 = 0 AND %s > 1",
            [sector_ids, len(sector_ids), last_seed_id] * 2 + [len(sector_ids)],
        )
        recognition_columns, recognition_values = columns(Recognition, {"member_id": "m.id"})
        cursor.execute(
            f"INSERT INTO {Recognition._meta.db_table} ({recognition_columns}) "
            f"SELECT {recognition_values} FROM crm_member m CROSS JOIN "
            f"(SELECT * FROM {Recognition._meta.db_table} ORDER BY id LIMIT 1) s "
            "WHERE m.id > %s AND m.id %% 7 = 0",
            [last_seed_id],
        )
    network_changed_send(sender=Member, member_ids=[])


def network_create(members: int, engine: str) -> None:
    from django.db import connection

    from kindnet.demo import synthetic_network_create

    fast = engine == "postgresql" and members > FAST_FROM
    synthetic_network_create(members=SEED_MEMBERS if fast else members)
    add_sectors_and_recognitions()
    if fast:
        copies_insert(members - SEED_MEMBERS)
    if engine == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def floor_build(statements: list[str], language: str = "en") -> bytes:
    """The full feed's answer from its own SQL on a plain cursor, built in plain Python."""
    import orjson
    from django.db import connection
    from django.utils import translation
    from django_countries import countries

    from crm.models import MemberKind

    results = []
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
            results.append(cursor.fetchall())
    with translation.override(language):
        kind_labels = {kind.value: str(kind.label) for kind in MemberKind}
        # [version], [member rows (LIMIT)], [cells], [single members], [their details]
        # (The state row of the grid index, two columns, tells the feed nothing to build.)
        _version, members, *rest = [rows for rows in results if not rows or len(rows[0]) != 2]
        cells: dict[tuple[int, int], list] = {}
        cluster_zoom = None
        if rest and rest[0] and len(rest[0][0]) == 11:  # the grouped rows of a clustered answer
            grouped, *rest = rest
            members, countries_seen = [], set()
            for cx, cy, country, n, lon_sum, lat_sum, west, south, east, north, first in grouped:
                countries_seen.add(country)
                cell = cells.setdefault(
                    (int(cx), int(cy)), [0, 0.0, 0.0, west, south, east, north, first]
                )
                cell[0] += n
                cell[1] += lon_sum
                cell[2] += lat_sum
                cell[3:7] = (
                    min(cell[3], west),
                    min(cell[4], south),
                    max(cell[5], east),
                    max(cell[6], north),
                )
                cell[7] = min(cell[7], first)
            cluster_zoom = True
            singles = {c[7]: (c[1], c[2]) for c in cells.values() if c[0] == 1}
            if singles and rest:
                single_rows, *rest = rest
                members = [(*row[:5], *singles[row[0]], *row[5:]) for row in single_rows]
            total = sum(c[0] for c in cells.values())
        else:
            countries_seen = {row[4] for row in members}
            total = len(members)
        sector_names, sectors_of, titles_of = {}, {}, {}
        for member_id, sector_id, title, day in rest[0] if rest else ():
            if member_id is None:
                sector_names[int(sector_id)] = title
            elif sector_id is not None:
                sectors_of.setdefault(member_id, []).append(int(sector_id))
            else:
                titles_of.setdefault(member_id, []).append((day, title))
        country_names = {code: str(countries.name(code)) for code in countries_seen}
        combinations: dict[tuple, list[str]] = {}

        def labels(sector_ids) -> list[str]:
            # Few combinations of sectors exist: each is named and sorted once.
            key = tuple(sector_ids)
            if key not in combinations:
                combinations[key] = sorted((sector_names[s] for s in key), key=str.casefold)
            return combinations[key]

        features = []
        for pk, kind, name, city, country, lon, lat, website, description in members:
            properties = {
                "cluster": False,
                "id": pk,
                "kind": kind,
                "kind_label": kind_labels[kind],
                "name": name,
                "city": city,
                "country": country,
                "country_name": country_names[country],
                "sectors": labels(sectors_of.get(pk, ())),
                "recognitions": [
                    t
                    for _d, t in sorted(
                        titles_of.get(pk, ()), key=lambda p: (-p[0].toordinal(), p[1])
                    )
                ],
                "description": description,
            }
            if kind != MemberKind.AMBASSADOR:
                properties["website"] = website
            features.append(
                {
                    "type": "Feature",
                    "id": pk,
                    "geometry": {"type": "Point", "coordinates": (lon, lat)},
                    "properties": properties,
                }
            )
        for (_cx, _cy), (n, lon_sum, lat_sum, west, south, east, north, _first) in sorted(
            cells.items(), key=lambda item: (item[0][1], item[0][0])
        ):
            if n > 1:
                features.append(
                    {
                        "type": "Feature",
                        "bbox": (west, south, east, north),
                        "geometry": {
                            "type": "Point",
                            "coordinates": (round(lon_sum / n, 6), round(lat_sum / n, 6)),
                        },
                        "properties": {"cluster": True, "count": n},
                    }
                )
    body = {
        "type": "FeatureCollection",
        "name": "kindnet_members",
        "total": total,
        "countries": len(countries_seen),
        "cluster_zoom": cluster_zoom,
        "features": features,
    }
    return gzip.compress(orjson.dumps(body), compresslevel=1, mtime=0)


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
    import orjson
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    with throwaway_database("map_feed") as engine:
        started = time.perf_counter()
        network_create(members, engine)
        print(
            f"{engine}: {members:,} members created in {time.perf_counter() - started:.1f} s",
            flush=True,
        )

        client = Client(HTTP_ACCEPT_ENCODING="gzip")
        url = "/api/v1/map/"

        # The grid index, as the first low-zoom request after a change has it rebuilt.
        from publicmap.cache import map_feed_version
        from publicmap.services import map_grid_rebuild

        started = time.perf_counter()
        map_grid_rebuild(version=map_feed_version())
        grid_build_ms = (time.perf_counter() - started) * 1000
        print(f"grid index built in {grid_build_ms:.0f} ms", flush=True)

        def get(query: str = "") -> bytes:
            response = client.get(url + query)
            assert response.status_code == 200, (response.status_code, response.content[:300])
            return response.content

        # The viewports, cold: each the median of `repeat` runs.
        view_ms, view_features, slowest = [], [], ("", 0.0)
        for place, (lon, lat) in PLACES.items():
            for zoom in ZOOMS:
                box = ",".join(f"{v:.6f}" for v in viewport(lon, lat, zoom))
                query = f"?zoom={zoom}&bbox={box}"

                def cold_view(query: str = query) -> None:
                    cache.clear()
                    get(query)

                ms = median_ms(cold_view, repeat)
                body = orjson.loads(gzip.decompress(get(query)))
                view_ms.append(ms)
                view_features.append(len(body["features"]))
                if ms > slowest[1]:
                    slowest = (f"{place} z{zoom}", ms)
                print(
                    f"  {place:12} zoom {zoom:2}  {ms:8.1f} ms  "
                    f"{len(body['features']):5} features  {body['total']:9,} members",
                    flush=True,
                )

        def cold() -> None:
            cache.clear()
            get()

        cold()
        body_bytes = len(get())
        full = orjson.loads(gzip.decompress(get()))
        assert full["total"] == members, (full["total"], members)

        cache.clear()
        with CaptureQueriesContext(connection) as feed_queries:
            get()
        statements = [query["sql"] for query in feed_queries.captured_queries]
        assert len(statements) <= 5, statements
        floor_answer = orjson.loads(gzip.decompress(floor_build(statements)))
        # The floor builds the same collection (the zoom of its clusters aside).
        assert len(floor_answer["features"]) == len(full["features"])
        assert floor_answer["total"] == full["total"]

        def floor() -> None:
            floor_build(statements)

        floor()  # warm the database's own caches for both sides alike
        cold_runs, floor_runs = [], []
        for _ in range(repeat):
            cold_runs.append(median_ms(cold, 1))
            floor_runs.append(median_ms(floor, 1))
        cold_ms, floor_ms = statistics.median(cold_runs), statistics.median(floor_runs)
        warm_ms = median_ms(get, repeat * 4)
        warm_etag = client.get(url)["ETag"]

        def not_modified() -> None:
            response = client.get(url, HTTP_IF_NONE_MATCH=warm_etag)
            assert response.status_code == 304, response.status_code

        not_modified_ms = median_ms(not_modified, repeat * 10)

        # (e) Every member in a box around Rome, no zoom: the largest answer of members on
        # their own (about 80% of the cap), against the same kind of floor.
        cap = settings.MAP_MAX_FEATURES
        half = math.sqrt(0.8 * cap / (members / (12 * 11))) / 2
        box_query = f"?bbox={12.5 - half:.6f},{41.9 - half:.6f},{12.5 + half:.6f},{41.9 + half:.6f}"
        cache.clear()
        with CaptureQueriesContext(connection) as box_queries:
            box_body = orjson.loads(gzip.decompress(get(box_query)))
        box_statements = [query["sql"] for query in box_queries.captured_queries]
        assert box_body["cluster_zoom"] is None, "the box should hold fewer members than the cap"
        box_floor = orjson.loads(gzip.decompress(floor_build(box_statements)))
        assert len(box_floor["features"]) == len(box_body["features"])

        def box_cold() -> None:
            cache.clear()
            get(box_query)

        box_runs, box_floor_runs = [], []
        for _ in range(repeat):
            box_runs.append(median_ms(box_cold, 1))
            box_floor_runs.append(median_ms(lambda: floor_build(box_statements), 1))
        box_ms, box_floor_ms = statistics.median(box_runs), statistics.median(box_floor_runs)
        box_ratio = box_ms / box_floor_ms
        ratio = cold_ms / floor_ms
        p50, worst = statistics.median(view_ms), max(view_ms)
        max_features = max(*view_features, len(full["features"]))
        print(f"viewports, cold           {p50:8.1f} ms median, {worst:.1f} ms at {slowest[0]}")
        print(f"largest answer            {max_features:8} features (cap {cap})")
        print(
            f"feed body (gzip)          {body_bytes / 1e6:8.2f} MB, "
            f"{len(full['features'])} features (cluster zoom {full['cluster_zoom']})"
        )
        print(f"(a) cold, full feed       {cold_ms:8.1f} ms")
        print(f"(b) warm                  {warm_ms:8.1f} ms")
        print(f"(c) conditional GET, 304  {not_modified_ms:8.1f} ms")
        print(f"(d) floor: SQL + orjson   {floor_ms:8.1f} ms")
        print(f"ratio (a)/(d)             {ratio:8.2f}  (goal <= 1.5; p50 goal <= 100 ms)")
        print(
            f"(e) box of {len(box_body['features'])} members, cold {box_ms:.1f} ms, "
            f"floor {box_floor_ms:.1f} ms: ratio {box_ratio:.2f}"
        )
        print(
            f"RESULT cluster_cold_p50_ms={p50:.1f} cluster_cold_max_ms={worst:.1f} "
            f"max_features={max_features} max_features_cap={cap} ratio={ratio:.2f} "
            f"cold_ms={cold_ms:.1f} warm_ms={warm_ms:.1f} not_modified_ms={not_modified_ms:.1f} "
            f"floor_ms={floor_ms:.1f} box_members={len(box_body['features'])} "
            f"box_cold_ms={box_ms:.1f} box_floor_ms={box_floor_ms:.1f} box_ratio={box_ratio:.2f} "
            f"grid_build_ms={grid_build_ms:.0f} members={members} "
            f"db={engine}"
        )


if __name__ == "__main__":
    main()
