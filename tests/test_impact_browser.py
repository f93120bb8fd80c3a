"""Impact on the public map in a real browser: the line of totals under the intro and a
member's programmes on its card, from /api/v1/impact/ (the demo network's figures)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from crm.models import Member
from impact.models import Delivery
from impact.selectors import public_impact
from tests.browser import screenshot_save

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

READY = "#kn-map[data-state=ready]"


def _expected_line(figures: dict) -> str:
    """The sentence the page must show: the largest kind of participant of this year (or
    of the latest year with one shown), as `impact.js` chooses it."""
    this_year = timezone.localdate().year
    for entry in figures["reached"]["by_year"]:  # newest first
        if entry["year"] > this_year:
            continue
        shown = [part for part in entry["by_participant_kind"] if part["count"]]
        if shown:
            top = max(shown, key=lambda part: part["count"])
            return f"{top['count']:,} {top['label'].lower()} reached in {entry['year']}"
    raise AssertionError("the demo network reaches nobody")


def test_totals_on_the_map_page_and_programmes_on_a_card(live_server, demo_network, page):
    figures = public_impact(language="en")
    page.goto(f"{live_server.url}/map/")
    page.wait_for_selector(READY)

    line = page.locator("#kn-impact-line")
    line.wait_for(state="visible")
    assert line.inner_text() == _expected_line(figures)

    delivery = (
        Delivery.objects.filter(member__in=Member.objects.on_map().filter(show_programmes=True))
        .select_related("member", "programme")
        .order_by("-started_on")
        .first()
    )
    member = delivery.member
    page.goto(f"{live_server.url}/map/?lat={member.latitude}&lon={member.longitude}&zoom=18")
    page.wait_for_selector(READY)
    page.locator(f"#kn-map .kn-marker[data-member-id='{member.pk}']").click()
    programmes = page.locator(".leaflet-popup .kn-card .kn-card__programmes")
    programmes.wait_for()

    assert programmes.inner_text().startswith("Programmes: ")
    assert f"{delivery.programme.name} ({delivery.started_on.year})" in programmes.inner_text()
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'"
    )
    screenshot_save(page, "map-impact-card.png")

    # A member that does not allow it shows no programmes.
    hidden = (
        Delivery.objects.filter(member__in=Member.objects.on_map().filter(show_programmes=False))
        .select_related("member")
        .first()
        .member
    )
    page.goto(f"{live_server.url}/map/?lat={hidden.latitude}&lon={hidden.longitude}&zoom=18")
    page.wait_for_selector(READY)
    with page.expect_response(lambda r: f"/api/v1/impact/members/{hidden.pk}/" in r.url):
        page.locator(f"#kn-map .kn-marker[data-member-id='{hidden.pk}']").click()
    page.locator(".leaflet-popup .kn-card").wait_for()
    assert page.locator(".kn-card__programmes").count() == 0
    assert page.kn_log.errors == []
