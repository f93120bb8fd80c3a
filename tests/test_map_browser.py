"""The public map in a real browser: headless Chromium against a live server with the demo network.

No request leaves the machine: tile requests are answered with a plain tile (or
fail, for the offline test) by the page's routes in tests/browser.py.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from crm.models import Member, MemberKind, Recognition
from tests.browser import screenshot_save

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

READY = "#kn-map[data-state=ready]"
FEED = "/api/v1/map/"


def url_params(page) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(page.url).query).items()}


def feed_after(page, action):
    """Run `action` and return the JSON of the feed response it caused."""
    with page.expect_response(lambda response: FEED in response.url) as response_info:
        action()
    response = response_info.value
    assert response.status == 200, response.url
    return response.json()


def open_map(page, url: str) -> dict:
    """Open a map page and return the first feed response it loaded."""
    data = feed_after(page, lambda: page.goto(url))
    page.wait_for_selector(READY)
    return data


def test_map_shows_clusters_members_and_counts_with_no_console_error(
    live_server, demo_network, page
):
    data = open_map(page, f"{live_server.url}/map/")

    clusters = page.locator("#kn-map .kn-cluster")
    assert clusters.count() > 0
    assert clusters.count() == sum(1 for f in data["features"] if f["properties"]["cluster"])
    members = page.locator("#kn-map .kn-marker")
    assert members.count() == sum(1 for f in data["features"] if not f["properties"]["cluster"])
    # Every member of the network in view, told as "N members in M countries".
    on_map = Member.objects.on_map()
    assert data["total"] == on_map.count()
    countries = on_map.values("country").distinct().count()
    assert page.locator("#kn-summary").inner_text() == (
        f"{data['total']} members in {countries} countries"
    )
    # The list tells the same as the map, for keyboards and screen readers.
    assert page.locator("#kn-list > li").count() == len(data["features"])
    screenshot_save(page, "map.png")

    # Closer in, the clusters open into single members.
    closer = open_map(page, f"{live_server.url}/map/?lat=46.004&lon=8.951&zoom=14")
    singles = [f for f in closer["features"] if not f["properties"]["cluster"]]
    assert singles
    assert page.locator("#kn-map .kn-marker").count() == len(singles)
    screenshot_save(page, "map-lugano.png")

    assert page.kn_log.errors == []
    assert all("tile.openstreetmap.org" in url for url in page.kn_log.external)


def test_a_filter_reduces_the_markers_and_goes_into_the_url(live_server, demo_network, page):
    everything = open_map(page, f"{live_server.url}/map/")

    only_schools = feed_after(
        page, lambda: page.get_by_role("checkbox", name="Company", exact=True).uncheck()
    )
    only_schools = feed_after(
        page, lambda: page.get_by_role("checkbox", name="Organisation", exact=True).uncheck()
    )
    only_schools = feed_after(
        page, lambda: page.get_by_role("checkbox", name="Municipality", exact=True).uncheck()
    )
    only_schools = feed_after(
        page, lambda: page.get_by_role("checkbox", name="Ambassador", exact=True).uncheck()
    )
    schools = Member.objects.on_map().filter(kind="school").count()
    assert only_schools["total"] == schools < everything["total"]
    assert url_params(page)["kind"] == "school"

    swiss_schools = feed_after(
        page, lambda: page.get_by_role("combobox", name="Country").select_option("CH")
    )
    expected = Member.objects.on_map().filter(kind="school", country="CH").count()
    assert swiss_schools["total"] == expected < schools
    assert url_params(page)["country"] == "CH"
    page.wait_for_function(
        "n => document.querySelectorAll('#kn-list > li').length === n",
        arg=len(swiss_schools["features"]),
    )
    shown = sum(
        f["properties"]["count"] if f["properties"]["cluster"] else 1
        for f in swiss_schools["features"]
    )
    assert shown == expected

    # The URL restores the same map: filters, centre and zoom.
    shared = page.url
    other = page.context.new_page()
    restored = open_map(other, shared)
    assert restored["total"] == expected
    assert other.get_by_role("checkbox", name="School", exact=True).is_checked()
    assert not other.get_by_role("checkbox", name="Company", exact=True).is_checked()
    assert other.get_by_role("combobox", name="Country").input_value() == "CH"
    assert url_params(other)["zoom"] == url_params(page)["zoom"]
    assert page.kn_log.errors == []


def test_clicking_a_cluster_zooms_in(live_server, demo_network, page):
    data = open_map(page, f"{live_server.url}/map/")
    zoom = int(url_params(page)["zoom"])
    cluster = max(
        (f for f in data["features"] if f["properties"]["cluster"]),
        key=lambda f: f["properties"]["count"],
    )
    count = cluster["properties"]["count"]

    closer = feed_after(
        page, lambda: page.locator(f"#kn-map .kn-cluster[data-count='{count}']").first.click()
    )

    assert int(url_params(page)["zoom"]) > zoom
    assert parse_qs(urlsplit(page.url).query)["zoom"]
    # The members of the cluster are still all there, in smaller groups or on their own.
    in_view = sum(
        f["properties"]["count"] if f["properties"]["cluster"] else 1 for f in closer["features"]
    )
    assert in_view >= count
    assert len(closer["features"]) > 1
    assert page.kn_log.errors == []


def test_a_popup_shows_the_public_fields_of_a_member(live_server, demo_network, page):
    recognition = Recognition.objects.filter(member__in=Member.objects.on_map()).first()
    member = recognition.member
    sectors = [s.name_en for s in member.sectors.all()]
    url = f"{live_server.url}/map/?lat={member.latitude}&lon={member.longitude}&zoom=18"
    open_map(page, url)

    page.locator(f"#kn-map .kn-marker[data-member-id='{member.pk}']").click()
    card = page.locator(".leaflet-popup .kn-card")
    card.wait_for()

    assert card.locator(".kn-card__name").inner_text() == member.name
    kind_label = str(MemberKind(member.kind).label)
    assert card.locator(".kn-card__kind").inner_text().strip().lower() == kind_label.lower()
    place = "Italy" if member.country == "IT" else "Switzerland"
    assert card.locator(".kn-card__place").inner_text() == f"{member.city}, {place}"
    for sector in sectors:
        assert sector in card.locator(".kn-card__sectors").inner_text()
    assert recognition.title in card.locator(".kn-badges .kn-badge").all_inner_texts()
    if member.website:
        link = card.locator("a.kn-card__website")
        assert link.get_attribute("href").rstrip("/") == member.website.rstrip("/")
        assert link.get_attribute("rel") == "noopener noreferrer"
    # Only what the network publishes: no e-mail, phone or street.
    popup_text = card.inner_text()
    for private in [member.email, member.phone, member.street]:
        assert not private or private not in popup_text
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'"
    )
    screenshot_save(page, "map-popup.png")
    assert page.kn_log.errors == []


def test_the_list_works_with_the_keyboard(live_server, demo_network, page):
    open_map(page, f"{live_server.url}/map/?lat=46.004&lon=8.951&zoom=14")
    page.wait_for_selector("#kn-list .kn-list__button")
    first = page.locator("#kn-list .kn-list__button").first
    name = first.locator(".kn-list__name").inner_text()

    first.focus()
    page.keyboard.press("Enter")

    card = page.locator(".leaflet-popup .kn-card")
    card.wait_for()
    assert card.locator(".kn-card__name").inner_text() == name
    assert page.evaluate("document.activeElement.classList.contains('kn-card')")
    page.keyboard.press("Escape")
    card.wait_for(state="detached")
    assert page.evaluate("document.activeElement.classList.contains('kn-list__button')")
    assert page.kn_log.errors == []


def test_without_tiles_the_markers_show_on_a_plain_background(
    live_server, demo_network, page_factory
):
    page = page_factory(tiles="offline")
    open_map(page, f"{live_server.url}/map/")

    assert page.locator("#kn-map .kn-cluster").count() > 0
    background = page.evaluate("getComputedStyle(document.querySelector('#kn-map')).background")
    assert background.startswith("rgb(230, 238, 242)")
    page.wait_for_function("() => document.querySelectorAll('.kn-tile-missing').length > 0")
    screenshot_save(page, "map-offline.png")
    # The only errors are the tiles that could not be loaded.
    assert page.kn_log.external
    assert all("ERR_INTERNET_DISCONNECTED" in e for e in page.kn_log.errors)


def test_page_in_italian_counts_in_italian(live_server, demo_network, page_factory):
    page = page_factory(locale="it-IT")
    data = open_map(page, f"{live_server.url}/map/")

    assert page.locator("html").get_attribute("lang") == "it"
    summary = page.locator("#kn-summary").inner_text()
    assert re.fullmatch(rf"{data['total']} membri in \d paesi", summary)
    assert page.kn_log.errors == []


def test_embed_loads_inside_a_frame_of_an_allowed_origin(
    live_server, demo_network, page, parent_site, settings
):
    origin = parent_site(f"{live_server.url}/map/embed/?country=CH&lang=it")
    settings.MAP_EMBED_ALLOWED_ORIGINS = ["https://www.kindness.example", origin]

    with page.expect_response(lambda response: FEED in response.url) as feed:
        page.goto(origin)
    frame = page.frame_locator("#kn-embed")
    frame.locator(READY).wait_for()

    assert feed.value.json()["total"] == Member.objects.on_map().filter(country="CH").count()
    assert frame.locator("#kn-map .kn-cluster, #kn-map .kn-marker").count() > 0
    assert frame.locator("html").get_attribute("lang") == "it"
    assert frame.locator(".kn-header").count() == 0  # no page chrome in the widget
    screenshot_save(page, "map-embed.png")
    assert page.kn_log.errors == []


def test_embed_is_refused_inside_a_frame_of_another_origin(
    live_server, demo_network, page, parent_site, settings
):
    stranger = parent_site(f"{live_server.url}/map/embed/")
    settings.MAP_EMBED_ALLOWED_ORIGINS = ["https://www.kindness.example"]

    with page.expect_console_message(lambda m: "frame-ancestors" in m.text):
        page.goto(stranger)
    page.wait_for_load_state("load")

    embedded = next(frame for frame in page.frames if frame is not page.main_frame)
    assert embedded.locator("#kn-map").count() == 0
    assert not any(FEED in url for url in page.kn_log.requests)
