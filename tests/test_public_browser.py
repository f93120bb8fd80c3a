"""Every public page in a real browser (issue 19): at 360 and 1,280 px, light and dark,
saved as screenshots under artifacts/ (shown in the README); axe-core finds no serious or
critical violation; each sends the site's Content-Security-Policy without 'unsafe-inline'.

The error pages are reached the way a visitor reaches them: a missing page, a request
with too many fields (400), a form sent without its cookie (403), the join form refused by
its rate limit (429) or with the shared cache down (503), a failing front page (500).
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.cache import cache

import frontpage.views
import municipalities.views
from crm.shared_cache import CacheUnavailable
from tests.browser import ARTIFACTS, DEMO_PLACES
from tests.factories import (
    AgreementFactory,
    ChapterFactory,
    CompanyFactory,
    JoinRequestFactory,
    MunicipalityFactory,
    OrganizationFactory,
    SchoolFactory,
    bulk_create,
    today,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

AXE = Axe()
WIDTHS = (360, 1280)
SCHEMES = ("light", "dark")
#: What a public page may not do: run or style anything inline.
FORBIDDEN_IN_POLICY = ("'unsafe-inline'", "'unsafe-eval'")
#: The map's feed or tiles may still be loading when a screenshot is taken; Chromium also
#: reports the error status of the error pages themselves on the console.
CONSOLE_NOISE = ("Failed to load resource",)


def send_join_form(page) -> None:
    """Send the join form as it is (the server answers before looking at the fields)."""
    page.evaluate("document.getElementById('join-form').submit()")


def open_public_page(page, base: str, name: str, *, reference: str):
    """Go to one public page as a visitor would; return the document's response."""
    plain = {
        "front-page": "/?lang=en",
        "map": "/map/?lang=en",
        "map-embed": "/map/embed/?lang=en",
        "join": "/join/?lang=en",
        "join-embed": "/join/embed/?lang=it",
        "join-thanks": f"/join/thanks/{reference}/?lang=en",
        "privacy": "/join/privacy/?lang=it",
        "error-400": "/map/?a=1&b=2&c=3&d=4&e=5",
        "error-404": "/no-such-page/?lang=it",
        "error-500": "/?lang=en",
    }
    if name in plain:
        return page.goto(base + plain[name])
    page.goto(base + "/join/?lang=en")
    if name == "error-403":
        page.context.clear_cookies()  # the CSRF cookie is gone: the page has expired
    with page.expect_navigation() as navigation:
        send_join_form(page)
    return navigation.value


PAGES = (
    "front-page",
    "map",
    "map-embed",
    "join",
    "join-embed",
    "join-thanks",
    "privacy",
    "error-400",
    "error-403",
    "error-404",
    "error-429",
    "error-500",
    "error-503",
)
STATUS = {"error-400": 400, "error-403": 403, "error-404": 404, "error-429": 429}
STATUS |= {"error-500": 500, "error-503": 503}


def small_network() -> None:
    """Members of every kind in a few cities of Italy and Switzerland, active and located:
    enough for the figures, the preview and the map, in a few INSERTs."""
    kinds = (SchoolFactory, CompanyFactory, OrganizationFactory, MunicipalityFactory)
    places = [(city, "IT", *point) for city, point in DEMO_PLACES.items()]
    places += [("Lugano", "CH", 46.0037, 8.9511), ("Bern", "CH", 46.9480, 7.4474)]
    members = []
    for index, (city, country, lat, lon) in enumerate(places):
        for shift, factory in enumerate(kinds[: 1 + index % len(kinds)]):
            fields = {"city": city, "country": country, "geocode_status": "ok"}
            fields |= {"latitude": lat + shift * 0.01, "longitude": lon - shift * 0.01}
            if factory is MunicipalityFactory:
                fields["joined_on"] = today().replace(month=1, day=1)
            members += bulk_create(factory, [fields])
    bulk_create(AgreementFactory, [{"member": member} for member in members])
    cache.clear()  # the figures and the map feed are keyed by a version this bypassed


@pytest.fixture
def public_site(live_server, settings, tmp_path, monkeypatch):
    small_network()
    settings.PRIVATE_ROOT = tmp_path / "private"
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 4  # a link with more fields is a bad request
    ChapterFactory(email="italia@kindnet.example")
    join_request = JoinRequestFactory(municipality_name="Castro", reference="JR-2026-00042")
    return live_server.url, join_request.reference


def axe_violations(page, *, inject: bool) -> list[dict]:
    """axe-core's violations on the page as it is now (injected once per document)."""
    if inject:
        page.evaluate(AXE.axe_script)
    return page.evaluate("axe.run(document, {resultTypes: ['violations']})")["violations"]


def page_failure(monkeypatch, name: str) -> None:
    """What makes the server answer with the error page `name`, undone after each page."""
    monkeypatch.undo()
    if name == "error-429":
        monkeypatch.setattr(municipalities.views, "_rate_limited", lambda *a, **k: True)
    elif name == "error-503":

        def cache_down(*args, **kwargs):
            raise CacheUnavailable("rate limit join-request")

        monkeypatch.setattr(municipalities.views, "_rate_limited", cache_down)
    elif name == "error-500":

        def broken():
            raise RuntimeError("a bug on the front page")

        monkeypatch.setattr(frontpage.views, "network_figures", broken)


def test_every_public_page_in_both_widths_and_schemes(public_site, page_factory, monkeypatch):
    base, reference = public_site
    page = page_factory(viewport=(1280, 800))
    problems: list[str] = []
    ARTIFACTS.mkdir(exist_ok=True)
    for name in PAGES:
        page_failure(monkeypatch, name)
        response = open_public_page(page, base, name, reference=reference)
        page.wait_for_load_state("load")
        if name.startswith("map"):
            page.wait_for_selector("#kn-map[data-state=ready]")
        assert response.status == STATUS.get(name, 200), name
        policy = response.headers.get("content-security-policy", "")
        if "script-src 'self'" not in policy or "style-src 'self'" not in policy:
            problems.append(f"{name}: not the site's policy: {policy!r}")
        problems += [
            f"{name}: {word} in the policy" for word in FORBIDDEN_IN_POLICY if word in policy
        ]
        for scheme in SCHEMES:
            page.emulate_media(color_scheme=scheme)
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 800})
                page.screenshot(path=str(ARTIFACTS / f"public-{name}-{width}-{scheme}.png"))
            # axe at the narrowest width, where the layout is tightest, in both schemes.
            for violation in axe_violations(page, inject=scheme == SCHEMES[0]):
                if violation["impact"] in {"serious", "critical"}:
                    targets = [node["target"] for node in violation["nodes"]][:3]
                    problems.append(f"{name} ({scheme}): {violation['id']} {targets}")
        page.emulate_media(color_scheme="light")
    monkeypatch.undo()
    errors = [e for e in page.kn_log.errors if not e.startswith(CONSOLE_NOISE)]
    assert problems == []
    assert errors == []  # a blocked inline script or style would be reported here
    assert page.kn_log.external == [] or all("tile" in url for url in page.kn_log.external)


def test_join_embed_tells_the_host_its_height(live_server, parent_site, page, settings):
    embed = f"{live_server.url}/join/embed/?lang=it"
    parent = parent_site(embed)
    settings.JOIN_EMBED_ALLOWED_ORIGINS = [parent]
    page.add_init_script(
        "window.kindnetHeights = [];"
        "window.addEventListener('message', function (event) {"
        "  if (event.data && event.data.type === 'kindnet:height')"
        "    window.kindnetHeights.push({origin: event.origin, frame: event.data.frame,"
        "                                height: event.data.height});"
        "});"
    )

    page.goto(parent)
    frame = page.frame_locator("#kn-embed")
    frame.locator("#join-form").wait_for()
    page.wait_for_function("window.kindnetHeights.length > 0")
    first = page.evaluate("window.kindnetHeights[window.kindnetHeights.length - 1]")
    assert first["origin"] == live_server.url and first["frame"] == "join"
    assert first["height"] > 1000  # the whole form, not the frame's 560 px
    # Narrower, the form grows taller: the host is told again.
    page.evaluate("document.getElementById('kn-embed').width = 360")
    page.wait_for_function(
        f"window.kindnetHeights[window.kindnetHeights.length - 1].height > {first['height']}"
    )
    assert page.kn_log.errors == []
