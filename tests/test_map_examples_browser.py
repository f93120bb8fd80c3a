"""The examples for website developers (docs/examples/*.html): Leaflet, OpenLayers and
MapLibre load the map feed from another origin (a site on 127.0.0.2) and show the members.

The libraries come from docs/examples/node_modules (`npm ci` there, from its lockfile),
installed by this module on first use; never from a CDN. Without npm or the registry the
tests are skipped with the reason, unless KINDNET_REQUIRE_BROWSER=1 (CI), where they fail.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from crm.models import Member
from tests.browser import plain_png

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
LIBRARIES = {
    "leaflet": "node_modules/leaflet/dist/leaflet.js",
    "openlayers": "node_modules/ol/dist/ol.js",
    "maplibre": "node_modules/maplibre-gl/dist/maplibre-gl.js",
}


def _libraries_missing_reason() -> str | None:
    if all((EXAMPLES / path).exists() for path in LIBRARIES.values()):
        return None
    if shutil.which("npm") is None:
        return "npm is missing (apt-get install -y npm): it installs the examples' libraries"
    installed = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
        cwd=EXAMPLES,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if installed.returncode != 0:
        return f"npm ci in docs/examples failed: {installed.stderr.strip()[-300:]}"
    return None


@pytest.fixture(scope="module")
def example_site() -> Iterator[str]:
    """docs/examples served from another loopback origin than the live server."""
    reason = _libraries_missing_reason()
    if reason:
        if os.environ.get("KINDNET_REQUIRE_BROWSER") == "1":
            pytest.fail(f"KINDNET_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(EXAMPLES))
    server = http.server.ThreadingHTTPServer(("127.0.0.2", 0), handler)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    ).start()
    yield f"http://127.0.0.2:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("library", list(LIBRARIES))
def test_an_example_loads_the_feed_from_another_origin_and_shows_the_members(
    live_server, demo_network, page, example_site, settings, library
):
    settings.CORS_ALLOWED_ORIGINS = [example_site]
    # MapLibre fetches its tiles with fetch(), not as images: answer every tile here.
    page.route(
        "https://tile.openstreetmap.org/**",
        lambda route: route.fulfill(status=200, content_type="image/png", body=plain_png()),
    )

    page.goto(f"{example_site}/{library}.html?feed={live_server.url}/api/v1/map/")
    page.wait_for_selector("body[data-members]", timeout=30_000)

    members = Member.objects.on_map().count()
    assert int(page.locator("body").get_attribute("data-members")) == members
    if library == "leaflet":
        assert page.locator("#map path.leaflet-interactive").count() == members
    if library == "maplibre":
        assert int(page.locator("body").get_attribute("data-drawn")) > 0
    assert str(members) in page.locator("#status").inner_text()
    # Nothing from a CDN: everything but the tiles came from the two loopback origins.
    assert page.kn_log.external == []
    assert page.kn_log.errors == []
