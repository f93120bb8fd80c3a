"""Shared fixtures for the browser tests: headless Chromium driven by Playwright.

Debian's `chromium` (/usr/bin/chromium) is the browser; Playwright's own browser
downloads are never used. Without it the browser tests are skipped with the
reason, unless KINDNET_REQUIRE_BROWSER=1 (CI), where a missing browser fails.

Registered in tests/conftest.py (`pytest_plugins`), so every test module can ask for
`browser`, `page`, `page_factory`, `demo_network` and `parent_site`. Mark browser
tests with `pytest.mark.browser` and
`pytest.mark.django_db(transaction=True, serialized_rollback=True)`:

`serialized_rollback` puts the rows of the data migrations (sectors, chapters) back
after the live server's test, so the tests after it still find them.
"""

from __future__ import annotations

import http.server
import os
import random
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.nominatim_fake import ITALIAN_CITIES

#: Debian's package; KINDNET_CHROMIUM may point elsewhere (another system, a test of the skip).
CHROMIUM = Path(os.environ.get("KINDNET_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
#: Hosts a test page may reach; anything else (tile servers, fonts, …) is answered locally.
LOOPBACK = {"localhost", "127.0.0.1", "127.0.0.2", "[::1]"}

#: Where the demo network's places are (the demo loader leaves geocoding to the geocoder).
DEMO_PLACES = ITALIAN_CITIES


def browser_missing_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing (make setup installs it)"
    return None


def plain_png(width: int = 256, height: int = 256, rgb: tuple[int, int, int] = (226, 234, 238)):
    """A one-colour PNG: what the tile routes answer instead of a real tile server."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height, 9))
        + chunk(b"IEND", b"")
    )


@dataclass
class PageLog:
    """What the page said on its console and what it asked the network for."""

    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)


def _serialized_contents() -> dict[str, str]:
    from django.db import connections

    return {
        connection.alias: connection._test_serialized_contents
        for connection in connections.all()
        if hasattr(connection, "_test_serialized_contents")
    }


def _serialized_contents_restore(serialized: dict[str, str]) -> None:
    from django.db import connections

    for alias, contents in serialized.items():
        connections[alias]._test_serialized_contents = contents


@pytest.fixture(scope="module")
def browser() -> Iterator:
    reason = browser_missing_reason()
    if reason:
        if os.environ.get("KINDNET_REQUIRE_BROWSER") == "1":
            pytest.fail(f"KINDNET_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's ORM (fixtures,
    # the test database) refuses to run under one unless told that it is safe here.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    serialized = _serialized_contents()
    manager = sync_playwright().start()
    # With Playwright's loop running, Django's "thread critical" ConnectionHandler gives
    # this thread other connection objects, which lack the serialized copy of the test
    # database: `serialized_rollback` would neither restore it before a test nor spare the
    # content types at its flush, whose post_migrate then re-creates them under new ids
    # (the next serialized_rollback test out of the browser fails on their unique key).
    _serialized_contents_restore(serialized)
    chromium = manager.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield chromium
    finally:
        chromium.close()
        # Close the connections of Playwright's context too, or PostgreSQL refuses to drop
        # the test database at the end of the session.
        from django.db import connections

        connections.close_all()
        manager.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _route_outside(route, log: PageLog, tiles: str) -> None:
    """Keep every test offline: tile requests get a plain tile (or fail), the rest fails."""
    url = route.request.url
    host = urlsplit(url).hostname or ""
    if host in LOOPBACK or url.startswith(("data:", "blob:")):
        route.continue_()
        return
    log.external.append(url)
    if route.request.resource_type == "image" and tiles == "plain":
        route.fulfill(status=200, content_type="image/png", body=plain_png())
    else:
        route.abort("internetdisconnected")


@pytest.fixture
def page_factory(browser) -> Iterator:
    """Open a fresh page: `page_factory(tiles="plain"|"offline", locale="en-GB")`."""
    contexts = []

    def open_page(*, tiles: str = "plain", locale: str = "en-GB", viewport=(1280, 800)):
        context = browser.new_context(
            locale=locale, viewport={"width": viewport[0], "height": viewport[1]}
        )
        contexts.append(context)
        page = context.new_page()
        log = PageLog()
        page.kn_log = log
        context.route("**/*", lambda route: _route_outside(route, log, tiles))
        page.on(
            "console",
            lambda message: log.errors.append(message.text) if message.type == "error" else None,
        )
        page.on("pageerror", lambda error: log.errors.append(str(error)))
        page.on("request", lambda request: log.requests.append(request.url))
        page.set_default_timeout(15_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(page_factory):
    return page_factory()


def demo_network_locate(*, seed: int = 7) -> int:
    """Put each demo member at its own point near its city, the same in every run.

    Whether or not the offline geocoder ran (it needs the gazetteer loaded), members
    of one city would otherwise share its centre and never come apart on the map.
    """
    from crm.models import GeocodeStatus, Member

    rng = random.Random(seed)
    located = []
    for member in Member.objects.order_by("pk"):
        if member.city not in DEMO_PLACES:
            continue
        lat, lon = DEMO_PLACES[member.city]
        member.latitude = round(lat + rng.uniform(-0.03, 0.03), 5)
        member.longitude = round(lon + rng.uniform(-0.04, 0.04), 5)
        member.geocode_status = GeocodeStatus.OK
        located.append(member)
    Member.objects.bulk_update(located, ["latitude", "longitude", "geocode_status"])
    return len(located)


#: The rows the demo loader wrote, model by model, as its first load in this process left
#: them: the next tests of the process insert them again in a few statements.
_DEMO_ROWS: list[tuple[type, list]] = []


def _network_models() -> list[type]:
    from django.apps import apps

    return [
        model
        for label in ("crm", "partners", "municipalities", "ambassadors", "impact")
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    ]


def _demo_network_load() -> None:
    from kindnet.demo import DemoLoader

    before = {model: model._base_manager.count() for model in _network_models()}
    DemoLoader().load()
    demo_network_locate()
    written = [model for model, count in before.items() if model._base_manager.count() > count]
    if all(before[model] == 0 for model in written):  # only then are all its rows the demo's
        _DEMO_ROWS[:] = [(model, list(model._base_manager.order_by("pk"))) for model in written]


def _demo_network_insert() -> None:
    """The rows of the first load again, as raw INSERTs (no save, no signal)."""
    from django.core.management.color import no_style
    from django.db import connection, transaction

    with transaction.atomic():
        for model, rows in _DEMO_ROWS:
            fields = model._meta.local_concrete_fields
            size = max(1, connection.ops.bulk_batch_size(fields, rows))
            for start in range(0, len(rows), size):
                model._base_manager._insert(rows[start : start + size], fields=fields, raw=True)
        # Explicit ids do not move PostgreSQL's sequences; the test's own rows need them to.
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [m for m, _ in _DEMO_ROWS]):
                cursor.execute(sql)


@pytest.fixture
def demo_network(transactional_db):
    """The demo network (Italy and Switzerland), located, as `make run` shows it.

    Loaded once per process; later tests get the same rows back by raw inserts, which
    takes a fraction of the loader's time (the flush of each browser test empties them).
    """
    from django.core.cache import cache

    if _DEMO_ROWS:
        _demo_network_insert()
    else:
        _demo_network_load()
    cache.clear()  # the map feed's cache outlives a test in the same process


class _ParentPage(http.server.BaseHTTPRequestHandler):
    """Serves one page that frames the embed URL given to the server."""

    def do_GET(self) -> None:
        body = (
            "<!doctype html><html><head><title>Parent site</title></head><body>"
            "<h1>A website that embeds the map</h1>"
            f'<iframe id="kn-embed" src="{self.server.embed_url}" width="900" height="560" '
            'title="Map of the kindness network"></iframe></body></html>'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # quiet test output
        pass


@pytest.fixture
def parent_site() -> Iterator:
    """Start a website on another loopback origin that frames a URL: `parent_site(url)`."""
    servers = []

    def start(embed_url: str, *, host: str = "127.0.0.1") -> str:
        server = http.server.ThreadingHTTPServer((host, 0), _ParentPage)
        server.embed_url = embed_url
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        ).start()
        servers.append(server)
        return f"http://{host}:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def screenshot_save(page, name: str) -> Path:
    """Save a screenshot under artifacts/ (git-ignored; CI keeps it as an artefact)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=False)
    return path
