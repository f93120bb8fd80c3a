"""The join form in a real browser: headless Chromium (Debian's package) driven by Playwright.

The browser fixtures are tests/browser.py's: skipped when /usr/bin/chromium is missing,
unless KINDNET_REQUIRE_BROWSER=1 (as in CI), which turns the missing browser into a failure.
"""

from __future__ import annotations

import datetime
import time
from pathlib import Path

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from municipalities.models import JoinRequest
from tests.factories import ChapterFactory, castro_reference, pdf_bytes

# serialized_rollback: the chapters and sectors of the data migrations come back afterwards.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def page(page_factory):
    return page_factory(locale="it-IT")


def test_join_through_the_form_in_a_browser(page, live_server, settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"
    settings.JOIN_REQUEST_MIN_FILL_SECONDS = 1
    cache.clear()
    ChapterFactory(email="italia@kindnet.example")
    castro_reference("BG")
    castro_reference("LE")
    resolution = tmp_path / "delibera.pdf"
    resolution.write_bytes(pdf_bytes())

    page.goto(f"{live_server.url}/join/?lang=it")
    opened = time.monotonic()
    assert page.inner_text("h1") == "Aderisci al movimento per la gentilezza"

    page.locator("#id_municipality_name").press_sequentially("castro", delay=40)
    options = page.locator("#municipality-results li")
    options.first.wait_for()
    assert [text.split(" ")[0:2] for text in options.all_inner_texts()] == [
        ["Castro", "(BG)"],
        ["Castro", "(LE)"],
    ]
    options.filter(has_text="Castro (LE)").click()
    assert page.input_value("#id_municipality_name") == "Castro (LE)"
    assert page.input_value("#id_municipality_code") == "075096"

    page.fill("#id_submitter_name", "Anna Russo")
    page.fill("#id_submitter_role", "Segretaria comunale")
    page.fill("#id_submitter_email", "anna.russo@comune.castro.le.it")
    page.fill("#id_submitter_phone", "+39 0836 000000")
    page.fill("#id_mayor_name", "Luigi Bianco")
    page.fill("#id_resolution_number", "15")
    day = timezone.localdate() - datetime.timedelta(days=5)
    page.fill("#id_resolution_date", day.isoformat())
    page.set_input_files("#id_resolution_file", str(resolution))
    page.check("#id_privacy_consent")
    time.sleep(max(0.0, 1.2 - (time.monotonic() - opened)))  # a person takes longer
    page.click("button[type=submit]")

    page.wait_for_url("**/join/thanks/**")
    assert page.inner_text("h1") == "Grazie!"
    reference = page.inner_text("#reference")
    join_request = JoinRequest.objects.get(reference=reference)
    assert join_request.official_code == "075096"
    assert (join_request.language, join_request.resolution_date) == ("it", day)
    assert Path(join_request.resolution_file.path).read_bytes() == pdf_bytes()
    assert [m.to for m in mail.outbox] == [
        ["anna.russo@comune.castro.le.it"],
        ["italia@kindnet.example"],
    ]
