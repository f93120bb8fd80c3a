"""How much the public map page downloads first, with 100,000 members on the map.

The page (/map/) opens on MAP_DEFAULT_BOUNDS fitted to the window and asks the feed
for that view's `bbox` at that `zoom`, so the server sends clusters, not members.
This script builds a synthetic network (kindnet.demo.synthetic_network_create) in a
throw-away test database, computes the page's first view exactly as Leaflet does
(fitBounds on the box, Web Mercator, integer zoom) for two window sizes, and measures
the gzip-compressed feed answers:

- first view: what the page downloads on opening (the goal: under 200 KB);
- world view: zoom 2 over the whole world;
- a pan: the first view moved by half a window, to show a pan fetches only its view;
- baseline: the same first view without `zoom`, i.e. every member in it, as a map
  without server clustering would download.

Usage: python bench/map_first_view.py [--members 100000] [--quick]
The last line is `RESULT key=value ...`; the exit status is 1 when the first view
is over the limit.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import time
from pathlib import Path

from common import size_from_command_line, throwaway_database

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kindnet.settings")

LIMIT_BYTES = 200 * 1024
TILE = 256
#: Map area of the page in a 1280x800 window (sidebar 340 px, header 112 px), and in 1920x1080.
WINDOWS = {"laptop": (940, 688), "desktop": (1580, 968)}


def project(lon: float, lat: float, zoom: int) -> tuple[float, float]:
    """Web Mercator pixel coordinates at `zoom` (as Leaflet's map.project)."""
    size = TILE * 2**zoom
    lat = max(-85.0511287798, min(85.0511287798, lat))
    sin_lat = math.sin(math.radians(lat))
    x = (lon + 180.0) / 360.0 * size
    y = (0.5 - math.log((1 + sin_lat) / (1 - sin_lat)) / (4 * math.pi)) * size
    return x, y


def unproject(x: float, y: float, zoom: int) -> tuple[float, float]:
    size = TILE * 2**zoom
    lon = x / size * 360.0 - 180.0
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / size))))
    return lon, lat


def fit_bounds(bounds: list[float], window: tuple[int, int]) -> tuple[int, float, float]:
    """Leaflet's fitBounds: the deepest integer zoom that shows the box, centred on it."""
    min_lon, min_lat, max_lon, max_lat = bounds
    zoom = 18
    while zoom > 0:
        x0, y0 = project(min_lon, max_lat, zoom)
        x1, y1 = project(max_lon, min_lat, zoom)
        if x1 - x0 <= window[0] and y1 - y0 <= window[1]:
            break
        zoom -= 1
    x0, y0 = project(min_lon, max_lat, zoom)
    x1, y1 = project(max_lon, min_lat, zoom)
    return zoom, (x0 + x1) / 2, (y0 + y1) / 2


def view_bbox(zoom: int, cx: float, cy: float, window: tuple[int, int]) -> list[float]:
    """The bbox the page sends for a view (clamped to the world, as map.js does)."""
    west, north = unproject(cx - window[0] / 2, cy - window[1] / 2, zoom)
    east, south = unproject(cx + window[0] / 2, cy + window[1] / 2, zoom)
    clamp = lambda v, lo, hi: round(max(lo, min(hi, v)), 5)  # noqa: E731
    return [
        clamp(west, -180, 180),
        clamp(south, -90, 90),
        clamp(east, -180, 180),
        clamp(north, -90, 90),
    ]


def main() -> int:
    members = size_from_command_line(
        __doc__, "members", default=100_000, quick=5_000, quick_help="5,000 members: a CI smoke run"
    )

    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from kindnet.demo import synthetic_network_create

    settings.MAP_THROTTLE_RATE = "100000/minute"
    with throwaway_database("map_first_view") as engine:
        started = time.perf_counter()
        synthetic_network_create(members=members)
        print(f"network: {members:,} members in {time.perf_counter() - started:.1f} s ({engine})")

        client = Client()
        page = client.get("/map/")
        assert page.status_code == 200, page.status_code
        config = json.loads(
            re.search(rb'id="kn-map-config" type="application/json">(.*?)</script>', page.content)
            .group(1)
            .decode()
        )
        feed_url = config["feedUrl"]

        def feed(**params) -> tuple[int, int, int, float]:
            started = time.perf_counter()
            response = client.get(feed_url, {"lang": "en", **params}, HTTP_ACCEPT_ENCODING="gzip")
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, (response.status_code, response.content[:300])
            assert response.headers.get("Content-Encoding") == "gzip"
            import gzip

            data = json.loads(gzip.decompress(response.content))
            return len(response.content), len(data["features"]), data["total"], elapsed

        figures: dict[str, str] = {"members": str(members)}
        first_max = 0
        for label, window in WINDOWS.items():
            zoom, cx, cy = fit_bounds(config["view"]["bounds"], window)
            bbox = view_bbox(zoom, cx, cy, window)
            size, features, total, seconds = feed(bbox=",".join(map(str, bbox)), zoom=zoom)
            first_max = max(first_max, size)
            print(
                f"first view ({label} {window[0]}x{window[1]}, zoom {zoom}, bbox {bbox}): "
                f"{size / 1024:.1f} KB gzip, {features} features for {total:,} members, "
                f"{seconds * 1000:.0f} ms cold"
            )
            figures[f"first_view_{label}_kb"] = f"{size / 1024:.1f}"
            if label == "laptop":
                base_size, base_features, _, base_seconds = feed(bbox=",".join(map(str, bbox)))
                print(
                    f"baseline (same view, no zoom: every member): {base_size / 1024:.1f} KB gzip, "
                    f"{base_features:,} features, {base_seconds * 1000:.0f} ms cold"
                )
                figures["all_members_kb"] = f"{base_size / 1024:.1f}"
                figures["ratio"] = f"{base_size / size:.1f}"
                pan = view_bbox(zoom, cx + window[0] / 2, cy, window)
                pan_size, pan_features, pan_total, _ = feed(bbox=",".join(map(str, pan)), zoom=zoom)
                print(
                    f"pan by half a window: {pan_size / 1024:.1f} KB gzip, {pan_features} features "
                    f"for the {pan_total:,} members in view"
                )
                figures["pan_kb"] = f"{pan_size / 1024:.1f}"
        # Any other zoom the page may open on (a shared link): the largest answer.
        window = WINDOWS["laptop"]
        fit_zoom, cx, cy = fit_bounds(config["view"]["bounds"], window)
        centre = unproject(cx, cy, fit_zoom)
        largest = (0, 0, 0)
        for zoom in range(2, 19):
            x, y = project(*centre, zoom)
            bbox = view_bbox(zoom, x, y, window)
            size, features, _, _ = feed(bbox=",".join(map(str, bbox)), zoom=zoom)
            largest = max(largest, (size, zoom, features))
        print(
            f"largest view over zooms 2-18 (laptop, same centre): {largest[0] / 1024:.1f} KB gzip "
            f"at zoom {largest[1]} ({largest[2]} features)"
        )
        figures["largest_zoom_kb"] = f"{largest[0] / 1024:.1f}"
        first_max = max(first_max, largest[0])
        world_size, world_features, world_total, _ = feed(bbox="-180,-85,180,85", zoom=2)
        print(
            f"world view (zoom 2): {world_size / 1024:.1f} KB gzip, {world_features} features "
            f"for {world_total:,} members"
        )
        figures["world_view_kb"] = f"{world_size / 1024:.1f}"
        figures["limit_kb"] = str(LIMIT_BYTES // 1024)
        ok = first_max <= LIMIT_BYTES and world_size <= LIMIT_BYTES  # the goal, at every zoom
        figures["ok"] = "true" if ok else "false"
        print("RESULT " + " ".join(f"{k}={v}" for k, v in figures.items()))
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
