"""A member's timeline in a real browser (headless Chromium, tests/browser.py): the
municipality's change page with its join request, agreements, activities, follow-ups and
history in one list; the screenshot goes to artifacts/member-timeline.png (README)."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client

from crm.models import Chapter, ChapterScope
from crm.services import agreement_renew
from municipalities.services import join_request_approve
from tests.browser import ARTIFACTS
from tests.conftest import login_verified
from tests.factories import (
    ActivityFactory,
    FollowUpFactory,
    JoinRequestFactory,
    today,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_member_timeline_in_a_browser(page, live_server, django_user_model, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"
    manager = django_user_model.objects.create_user(
        "giulia",
        "giulia@kindness.example",
        "pw",
        is_staff=True,
        first_name="Giulia",
        last_name="Conti",
    )
    manager.groups.add(Group.objects.get(name="Chapter manager"))
    ChapterScope.objects.create(user=manager).chapters.add(Chapter.objects.get(country="IT"))
    municipality = join_request_approve(join_request=JoinRequestFactory(), by=manager)
    agreement = municipality.agreements.get()
    agreement.ends_on = today() - datetime.timedelta(days=5)
    agreement.auto_renew = True
    agreement.save()
    agreement_renew(agreement=agreement)
    contact = municipality.contacts.get()
    call = ActivityFactory(
        member=municipality,
        staff=manager,
        kind="call",
        happened_on=today() - datetime.timedelta(days=3),
        summary="Agreed a kindness workshop in the primary school in spring.",
    )
    call.contacts.add(contact)
    ActivityFactory(
        member=municipality,
        staff=manager,
        kind="workshop",
        happened_on=today(),
        summary="Workshop with 40 pupils and the council's social services.",
    )
    FollowUpFactory(
        member=municipality,
        assignee=manager,
        title="Send the photos to the mayor's office",
        due_on=today() - datetime.timedelta(days=1),
    )

    client = login_verified(Client(), manager)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.goto(f"{live_server.url}/admin/municipalities/municipality/{municipality.pk}/change/")
    timeline = page.locator(".member-timeline")
    timeline.scroll_into_view_if_needed()
    assert timeline.locator("h2").inner_text() == "Timeline"
    entries = timeline.locator(".member-timeline-entry")
    labels = [
        label.strip() for label in entries.locator(".member-timeline-label").all_inner_texts()
    ]
    assert labels[0] == "Workshop"
    for label in (
        "Follow-up overdue",
        "Call",
        "Agreement renewed",
        "Agreement signed",
        "Join request approved",
        "Join request submitted",
    ):
        assert label in labels, labels
    # The entries read as a list of dated lines, styled by the static CSS (no inline style).
    first = entries.first
    assert first.locator("time").get_attribute("datetime") == today().isoformat()
    assert first.evaluate("e => getComputedStyle(e).display") == "grid"
    overdue = timeline.locator(".member-timeline-overdue .member-timeline-label a")
    assert overdue.evaluate("e => getComputedStyle(e).color") == "rgb(176, 0, 32)"
    assert not page.kn_log.errors, page.kn_log.errors  # no CSP refusal, no script error
    page.set_viewport_size({"width": 1280, "height": 900})
    ARTIFACTS.mkdir(exist_ok=True)
    timeline.screenshot(path=str(ARTIFACTS / "member-timeline.png"))
    assert (ARTIFACTS / "member-timeline.png").stat().st_size > 10_000
