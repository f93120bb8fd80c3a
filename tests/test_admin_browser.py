"""The staff's pages in a real browser (headless Chromium through Playwright): the
coordinate map dragged with the mouse, the dashboard's links, and axe-core on the
dashboard, a member's change page and the list of all members.

Screenshots of the dashboard and the members list go to artifacts/ (see README,
"The dashboard").
"""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings as django_settings
from django.test import Client

from crm.models import Agreement, GeocodeStatus
from partners.models import School
from tests.browser import screenshot_save
from tests.conftest import login_verified
from tests.factories import AgreementFactory, SchoolFactory, today

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

#: axe-core's impacts that fail a page.
BLOCKING = ("serious", "critical")


@pytest.fixture
def staff_page(page, live_server, superuser):
    """The page, logged in as the superuser (with a proven second factor)."""
    client = login_verified(Client(), superuser)
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.kn_url = live_server.url
    return page


def axe_blocking(page) -> list[str]:
    """axe-core's serious and critical violations on the page, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['impact']} {v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]


def test_dragging_the_marker_with_the_mouse_saves_the_coordinates(staff_page):
    school = SchoolFactory(latitude=41.9, longitude=12.5, geocode_status=GeocodeStatus.OK)
    page = staff_page
    page.goto(f"{page.kn_url}/admin/partners/school/{school.pk}/change/")
    marker = page.locator(".kindnet-member-map .leaflet-marker-icon")
    marker.wait_for()
    box = page.locator(".kindnet-member-map").bounding_box()
    assert box["width"] >= 400 and box["height"] >= 300, box  # not 2 px wide any more
    page.locator(".kindnet-member-map").scroll_into_view_if_needed()
    icon = marker.bounding_box()
    # Leaflet's marker points at the bottom middle of its icon; grab it in its middle.
    x, y = icon["x"] + icon["width"] / 2, icon["y"] + icon["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y + 30, steps=12)
    page.mouse.move(x + 120, y + 60, steps=12)
    page.mouse.up()
    latitude = float(page.input_value("#id_latitude"))
    longitude = float(page.input_value("#id_longitude"))
    assert latitude < 41.9 and longitude > 12.5  # dragged down and to the right
    assert page.input_value("#id_geocode_status") == "manual"

    page.click("input[name=_continue]")
    page.wait_for_url(f"**/admin/partners/school/{school.pk}/change/")
    assert "was changed successfully" in page.inner_text(".messagelist")
    school = School.objects.get(pk=school.pk)
    assert (round(school.latitude, 6), round(school.longitude, 6)) == (latitude, longitude)
    assert school.geocode_status == GeocodeStatus.MANUAL
    # The saved coordinates are what the page shows again, marker included.
    assert float(page.input_value("#id_latitude")) == latitude
    assert float(page.input_value("#id_longitude")) == longitude


def test_typing_coordinates_moves_the_marker(staff_page):
    school = SchoolFactory(latitude=41.9, longitude=12.5, geocode_status=GeocodeStatus.OK)
    page = staff_page
    page.goto(f"{page.kn_url}/admin/partners/school/{school.pk}/change/")
    marker = page.locator(".kindnet-member-map .leaflet-marker-icon")
    marker.wait_for()
    before = marker.bounding_box()
    page.fill("#id_latitude", "41.905")
    page.fill("#id_longitude", "12.51")
    page.press("#id_longitude", "Tab")  # the change event
    page.wait_for_timeout(400)  # Leaflet's pan animation
    after = marker.bounding_box()
    assert (after["x"], after["y"]) != (before["x"], before["y"])


def test_the_dashboard_leads_to_the_agreements_expiring_in_30_days(staff_page, demo_network):
    soon = AgreementFactory(ends_on=today() + datetime.timedelta(days=12))
    AgreementFactory(ends_on=today() + datetime.timedelta(days=50))
    page = staff_page
    page.goto(f"{page.kn_url}/admin/")
    assert page.inner_text("h1") == "Network administration"
    assert axe_blocking(page) == []
    screenshot_save(page, "dashboard.png")
    page.screenshot(
        path=str(screenshot_save(page, "dashboard.png").parent / "dashboard-full.png"),
        full_page=True,
    )

    page.click("#expiring-30")
    page.wait_for_url("**/admin/crm/agreement/?expiring_within=30")
    shown = set(
        page.locator(
            "#result_list tbody th a, #result_list tbody td.field-reference"
        ).all_inner_texts()
    )
    expected = set(Agreement.objects.expiring_within(30).values_list("reference", flat=True))
    assert soon.reference in expected
    assert {text.strip() for text in shown} == expected


def test_the_members_list_and_a_members_page_pass_axe_at_1280_px(staff_page, demo_network):
    page = staff_page
    page.goto(f"{page.kn_url}/admin/crm/member/")
    assert axe_blocking(page) == []
    # Readable at 1,280 px: no horizontal scrolling of the page.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280, width
    # ... nor of the list inside its box: every column is in sight.
    hidden = page.evaluate(
        "(() => { const box = document.querySelector('#changelist .results');"
        " return box.scrollWidth - box.clientWidth; })()"
    )
    assert hidden <= 0, hidden
    screenshot_save(page, "members-list.png")
    page.click("#result_list tbody tr:first-child td.field-name_link a")
    page.wait_for_selector(".kindnet-member-map .leaflet-marker-icon")
    # The autocompletes get their names once the page has loaded (admin_a11y.js): on a busy
    # machine the marker can show before that. (A function, not an expression: the page's
    # CSP forbids the eval that polling an expression takes.)
    page.wait_for_function(
        "() => document.readyState === 'complete' && !document.querySelector("
        "'.select2-selection[role=combobox]:not([aria-labelledby])')"
    )
    assert axe_blocking(page) == []
