"""The embed as a website developer meets it: framed by a page of another loopback origin
(127.0.0.2), with Kindnet's host script, in a real browser (see tests/browser.py).

Cards never hide under the overlay, the wheel scrolls the host page until the map has the
focus, the host hears the embed's events, and a site that may not frame it hears nothing.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from crm.models import Member
from tests.browser import ARTIFACTS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

READY = "#kn-map[data-state=ready]"
HOST = "127.0.0.2"

HOST_PAGE = """<!doctype html><html><head><title>A website with the map</title>
<style>body {{ margin: 0; font: 16px sans-serif }} .tall {{ height: 900px }}
iframe {{ display: block; width: 100%; border: 0 }}</style></head><body>
<h1>Our network</h1>
<iframe id="kn-embed" data-kindnet-map src="{embed_url}" height="{height}"
  title="Map of the kindness network" {sandbox}></iframe>
<div class="tall">The rest of the website.</div>
<script>
window.kindnetMessages = [];
window.kindnetEvents = [];
window.addEventListener("message", function (event) {{
  window.kindnetMessages.push({{ origin: event.origin, data: event.data }});
}});
["kindnet:ready", "kindnet:select", "kindnet:view", "kindnet:resize"].forEach(function (type) {{
  document.getElementById("kn-embed").addEventListener(type, function (event) {{
    window.kindnetEvents.push(event.detail);
  }});
}});
</script>
<script src="{script_url}"></script>
</body></html>"""


class _HostPage(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = HOST_PAGE.format(**self.server.page).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        pass


@pytest.fixture
def host_site(live_server) -> Iterator:
    """`host_site(query, height=560, sandbox="")`: a website on 127.0.0.2 that frames the
    embed with Kindnet's host script; returns its origin."""
    servers = []

    def start(query: str = "", *, height: int = 560, sandbox: str = "") -> str:
        server = http.server.ThreadingHTTPServer((HOST, 0), _HostPage)
        server.page = {
            "embed_url": f"{live_server.url}/map/embed/{query}",
            "script_url": f"{live_server.url}/static/publicmap/kindnet-embed.js",
            "height": height,
            "sandbox": f'sandbox="{sandbox}"' if sandbox else "",
        }
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        ).start()
        servers.append(server)
        return f"http://{HOST}:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def open_host(page, origin: str):
    page.goto(origin)
    frame = page.frame_locator("#kn-embed")
    frame.locator(READY).wait_for()
    return frame


def events(page, type_: str) -> list[dict]:
    return page.evaluate("type => window.kindnetEvents.filter(e => e.type === type)", type_)


def card_is_fully_visible(frame) -> bool:
    """The card's title is what a click at its centre would hit, and the card is in view."""
    return frame.locator("#kn-sheet").evaluate(
        """sheet => {
            const title = sheet.querySelector('.kn-card__name');
            const r = title.getBoundingClientRect();
            const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
            const box = sheet.getBoundingClientRect();
            return !!hit && sheet.contains(hit) && box.top >= 0 && box.left >= 0
                && box.right <= window.innerWidth && r.bottom <= window.innerHeight;
        }"""
    )


def markers_in_view(frame) -> list[str]:
    """Member ids of the markers a visitor can click (not under the overlay or a control),
    from every part of the view."""
    return frame.locator("#kn-map").evaluate(
        """map => Array.from(map.querySelectorAll('.kn-marker')).filter(icon => {
            const r = icon.getBoundingClientRect();
            const x = r.left + r.width / 2, y = r.top + r.height / 2;
            return x > 0 && y > 0 && x < innerWidth && y < innerHeight
                && icon.contains(document.elementFromPoint(x, y));
        }).map(icon => icon.dataset.memberId)"""
    )


@pytest.mark.parametrize(
    ("viewport", "centre", "name"),
    [
        # Lugano's members in the middle (below them: the bottom sheet) ...
        ((360, 560), "lat=46.0&lon=8.95", "map-embed-phone.png"),
        # ... and in the top right, where the card opens.
        ((1280, 720), "lat=45.975&lon=8.88", "map-embed.png"),
    ],
)
def test_a_card_opened_from_any_marker_is_fully_visible_and_the_host_hears_of_it(
    live_server, demo_network, page_factory, host_site, settings, viewport, centre, name
):
    width, height = viewport
    origin = host_site(f"?{centre}&zoom=13", height=height)
    settings.MAP_EMBED_ALLOWED_ORIGINS = [origin]
    page = page_factory(viewport=(width, height + 200))
    frame = open_host(page, origin)
    page.wait_for_function("() => window.kindnetEvents.some(e => e.type === 'kindnet:ready')")

    clickable = markers_in_view(frame)
    assert len(clickable) >= 3
    # The first, the last and the middle one in document order: spread over the view.
    for member_id in dict.fromkeys([clickable[0], clickable[len(clickable) // 2], clickable[-1]]):
        marker = frame.locator(f"#kn-map .kn-marker[data-member-id='{member_id}']")
        marker.click()
        sheet = frame.locator("#kn-sheet")
        sheet.wait_for()
        member = Member.objects.get(pk=member_id)
        assert sheet.locator(".kn-card__name").inner_text() == member.name
        assert card_is_fully_visible(frame)
        # The chosen marker moved into the part of the map the card leaves free.
        marker.evaluate(
            """icon => new Promise(done => {
                const check = () => {
                    const r = icon.getBoundingClientRect();
                    const x = r.left + r.width / 2, y = r.top + r.height / 2;
                    const hit = document.elementFromPoint(x, y);
                    if (icon.contains(hit)) { done(); } else { setTimeout(check, 50); }
                };
                check();
            })"""
        )
        assert "kn-marker--selected" in marker.get_attribute("class")
        page.wait_for_function(
            "id => window.kindnetEvents.some(e => e.type === 'kindnet:select' && e.id === id)",
            arg=int(member_id),
        )
        frame.locator("#kn-sheet .kn-sheet__close").click()
        sheet.wait_for(state="hidden")
    marker = frame.locator(f"#kn-map .kn-marker[data-member-id='{clickable[-1]}']")
    marker.click()
    frame.locator("#kn-sheet").wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#kn-embed").screenshot(path=str(ARTIFACTS / name))  # the embed alone

    selected = events(page, "kindnet:select")[-1]
    assert selected["name"] == Member.objects.get(pk=clickable[-1]).name
    [ready] = events(page, "kindnet:ready")
    assert ready["total"] > 0
    view = events(page, "kindnet:view")[-1]
    assert view["zoom"] == 13 and set(view["filters"]) == {"kind", "sector", "country"}
    assert events(page, "kindnet:resize")
    # Only the framing site was spoken to, from the embed's origin.
    assert {m["origin"] for m in page.evaluate("window.kindnetMessages")} == {live_server.url}
    assert page.kn_log.errors == []


#: A point of the frame where the map shows only itself (tiles, no marker or control).
BARE_MAP_POINT = """map => {
    const box = map.getBoundingClientRect();
    for (let y = box.bottom - 40; y > box.top + 40; y -= 23) {
        for (let x = box.left + 40; x < box.right - 40; x += 29) {
            const hit = document.elementFromPoint(x, y);
            if (hit && map.contains(hit) && (hit === map || hit.closest(".leaflet-tile-pane")
                || hit.classList.contains("leaflet-container"))) {
                return [x, y];
            }
        }
    }
    return null;
}"""


def test_the_wheel_scrolls_the_host_page_until_the_map_has_the_focus(
    live_server, demo_network, page_factory, host_site, settings
):
    origin = host_site("?lat=46.0&lon=8.95&zoom=12", height=480)
    settings.MAP_EMBED_ALLOWED_ORIGINS = [origin]
    page = page_factory(viewport=(1000, 700))
    frame = open_host(page, origin)
    box = page.locator("#kn-embed").bounding_box()
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    # On touch screens one finger scrolls the page (the browser pans), two move the map.
    touch = frame.locator("#kn-map").evaluate("map => getComputedStyle(map).touchAction")
    assert touch == "pan-x pan-y"

    page.mouse.move(*centre)
    page.mouse.wheel(0, 200)
    page.wait_for_function("() => window.scrollY > 0")
    frame.locator(".kn-hint").wait_for()
    assert events(page, "kindnet:view")[-1]["zoom"] == 12  # the map did not zoom

    # A click gives the map the focus: now the wheel zooms it and the page stays. The
    # click lands on bare map (a marker there would open its card instead).
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_function("() => window.scrollY === 0")
    box = page.locator("#kn-embed").bounding_box()
    bare = frame.locator("#kn-map").evaluate(BARE_MAP_POINT)
    assert bare is not None, "no bare map in the frame"
    page.mouse.click(box["x"] + bare[0], box["y"] + bare[1])
    embed = next(f for f in page.frames if f.url.startswith(live_server.url))
    embed.wait_for_function(
        "() => document.getElementById('kn-map').contains(document.activeElement)"
    )
    page.mouse.move(box["x"] + bare[0], box["y"] + bare[1])
    page.mouse.wheel(0, -300)
    page.wait_for_function(
        "() => window.kindnetEvents.filter(e => e.type === 'kindnet:view').pop().zoom > 12"
    )
    assert page.evaluate("window.scrollY") == 0
    assert page.kn_log.errors == []


def test_a_site_that_may_not_frame_the_embed_hears_nothing(
    live_server, demo_network, page_factory, host_site, settings
):
    origin = host_site()
    settings.MAP_EMBED_ALLOWED_ORIGINS = ["https://www.kindness.example"]
    page = page_factory()

    with page.expect_console_message(lambda m: "frame-ancestors" in m.text):
        page.goto(origin)
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)  # what a framed map would have sent by now, it has not

    embedded = next(frame for frame in page.frames if frame is not page.main_frame)
    assert embedded.locator("#kn-map").count() == 0
    assert page.evaluate("window.kindnetMessages") == []


def test_a_sandbox_without_allow_same_origin_is_named_not_a_network_error(
    live_server, demo_network, page_factory, host_site, settings
):
    origin = host_site(sandbox="allow-scripts allow-popups")
    settings.MAP_EMBED_ALLOWED_ORIGINS = [origin]
    page = page_factory()
    page.goto(origin)

    frame = page.frame_locator("#kn-embed")
    frame.locator("#kn-map[data-state=sandboxed]").wait_for()
    assert "allow-same-origin" in frame.locator("#kn-summary").inner_text()
    assert not any("/api/v1/map/" in url for url in page.kn_log.requests)

    # With the attributes the README gives, the same frame works.
    fixed = host_site(sandbox="allow-scripts allow-same-origin allow-popups")
    settings.MAP_EMBED_ALLOWED_ORIGINS = [origin, fixed]
    open_host(page, fixed)


def test_options_of_the_embed_url_colour_and_hide_the_legend_and_list(
    live_server, demo_network, page_factory, host_site, settings
):
    origin = host_site("?accent=0b7285&legend=off&list=off")
    settings.MAP_EMBED_ALLOWED_ORIGINS = [origin]
    page = page_factory()
    frame = open_host(page, origin)

    assert frame.locator(".kn-legend").count() == 0
    assert frame.locator("#kn-list").count() == 0
    colour = frame.locator("#kn-map .kn-cluster span").first.evaluate(
        "node => getComputedStyle(node).backgroundColor"
    )
    assert colour == "rgb(11, 114, 133)"
    assert page.kn_log.errors == []


def test_in_a_small_frame_no_marker_or_cluster_starts_under_the_overlay_or_the_legend(
    live_server, demo_network, page_factory, host_site, settings
):
    origin = host_site(height=320)
    settings.MAP_EMBED_ALLOWED_ORIGINS = [origin]
    page = page_factory(viewport=(360, 520))
    frame = open_host(page, origin)

    covered = frame.locator("#kn-map").evaluate(
        """map => {
            const icons = Array.from(map.querySelectorAll('.kn-marker, .kn-cluster'));
            const inView = icons.filter(icon => {
                const r = icon.getBoundingClientRect();
                const x = r.left + r.width / 2, y = r.top + r.height / 2;
                return x >= 0 && y >= 0 && x <= innerWidth && y <= innerHeight;
            });
            return {
                shown: inView.length,
                covered: inView.filter(icon => {
                    const r = icon.getBoundingClientRect();
                    const hit = document.elementFromPoint(
                        r.left + r.width / 2, r.top + r.height / 2);
                    return !hit || !hit.closest('.leaflet-marker-pane');
                }).length,
            };
        }"""
    )
    assert covered["shown"] >= 3
    assert covered["covered"] == 0
    # The scale and the legend share a corner, one above the other; no control overlaps
    # another.
    controls = {
        name: frame.locator(selector).bounding_box()
        for name, selector in {
            "legend": ".kn-legend",
            "scale": ".leaflet-control-scale",
            "zoom": ".leaflet-control-zoom",
            "attribution": ".leaflet-control-attribution",
            "overlay": ".kn-overlay",
        }.items()
    }
    assert controls["legend"]["y"] + controls["legend"]["height"] <= controls["scale"]["y"]

    def overlap(a, b) -> bool:
        return (
            a["x"] < b["x"] + b["width"]
            and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"]
            and b["y"] < a["y"] + a["height"]
        )

    names = list(controls)
    overlapping = [
        (first, second)
        for i, first in enumerate(names)
        for second in names[i + 1 :]
        if overlap(controls[first], controls[second])
    ]
    assert overlapping == []
    page.locator("#kn-embed").screenshot(path=str(ARTIFACTS / "map-embed-small.png"))

    # Opening the filters asks for more room: the host script grows the frame to it.
    frame.locator(".kn-drawer > summary").first.click()
    page.wait_for_function(
        "() => window.kindnetEvents.some(e => e.type === 'kindnet:resize' && e.height > 320)"
    )
    wanted = max(e["height"] for e in events(page, "kindnet:resize"))
    page.wait_for_function(
        "h => document.getElementById('kn-embed').getBoundingClientRect().height === h",
        arg=wanted,
    )
    assert page.kn_log.errors == []
