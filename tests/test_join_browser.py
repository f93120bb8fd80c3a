"""The join form in a real browser: headless Chromium (Debian's package) driven by Playwright.

Skipped when /usr/bin/chromium is missing, unless KINDNET_REQUIRE_BROWSER=1 (as in
CI), which turns the missing browser into a failure.
"""

from __future__ import annotations

import datetime
import os
import time
from pathlib import Path

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connections
from django.utils import timezone

from municipalities.models import JoinRequest
from tests.factories import ChapterFactory, MunicipalityReferenceFactory, pdf_bytes

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def page(monkeypatch):
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} is missing: apt-get install -y chromium"
        if os.environ.get("KINDNET_REQUIRE_BROWSER") == "1":
            pytest.fail(f"KINDNET_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the test's own
    # ORM calls are still synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="it-IT")
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()


def test_join_through_the_form_in_a_browser(page, live_server, settings, tmp_path):
    try:
        _join_journey(page, live_server, settings, tmp_path)
    finally:
        # Under Playwright's sync API this test's ORM calls run in a context of their own,
        # with a database connection pytest-django does not see: close it, or PostgreSQL
        # refuses to drop the test database at the end of the session.
        connections.close_all()


def _join_journey(page, live_server, settings, tmp_path) -> None:
    settings.PRIVATE_ROOT = tmp_path / "private"
    settings.JOIN_REQUEST_MIN_FILL_SECONDS = 1
    cache.clear()
    ChapterFactory(email="italia@kindnet.example")
    MunicipalityReferenceFactory(official_code="016065", name="Castro", province_code="BG")
    MunicipalityReferenceFactory(
        official_code="075096", name="Castro", province_code="LE", region="Puglia"
    )
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
