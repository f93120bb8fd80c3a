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


def test_choose_castro_bg_with_the_keyboard_only_and_send(page, live_server, settings, tmp_path):
    """The municipality field is a WAI-ARIA combobox (issue 15): arrows, Enter, Escape,
    aria-activedescendant and the number of results announced; no mouse anywhere."""
    settings.PRIVATE_ROOT = tmp_path / "private"
    settings.JOIN_REQUEST_MIN_FILL_SECONDS = 1
    cache.clear()
    ChapterFactory(email="italia@kindnet.example")
    castro_reference("BG")
    castro_reference("LE")
    resolution = tmp_path / "delibera.pdf"
    resolution.write_bytes(pdf_bytes())
    page.goto(f"{live_server.url}/join/?lang=en")
    opened = time.monotonic()
    field = page.locator("#id_municipality_name")
    assert field.get_attribute("role") == "combobox"
    assert field.get_attribute("aria-expanded") == "false"

    # Tab from the country to the municipality, as a keyboard user goes.
    page.focus("#id_country")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_municipality_name"
    page.keyboard.type("castro", delay=30)
    page.locator("#municipality-results [role=option]").nth(1).wait_for()
    assert field.get_attribute("aria-expanded") == "true"
    page.wait_for_function(
        "() => document.getElementById('municipality-status').textContent.startsWith('2 ')"
    )
    assert "2 municipalities found" in page.inner_text("#municipality-status")

    # Escape closes the list and keeps the text; ArrowDown opens it again on the first.
    page.keyboard.press("Escape")
    assert field.get_attribute("aria-expanded") == "false"
    assert field.input_value() == "castro"
    page.keyboard.press("ArrowDown")
    first = page.locator("#municipality-option-0")
    assert field.get_attribute("aria-activedescendant") == "municipality-option-0"
    assert first.get_attribute("aria-selected") == "true"
    assert first.inner_text().startswith("Castro (BG)")
    page.keyboard.press("ArrowDown")
    assert field.get_attribute("aria-activedescendant") == "municipality-option-1"
    page.keyboard.press("ArrowUp")
    assert field.get_attribute("aria-activedescendant") == "municipality-option-0"
    page.keyboard.press("Enter")  # chooses; does not send the form
    assert field.input_value() == "Castro (BG)"
    assert page.input_value("#id_municipality_code") == "016065"
    assert field.get_attribute("aria-expanded") == "false"
    assert page.url.endswith("/join/?lang=en")

    # The rest of the form, still with the keyboard: Tab from field to field.
    day = timezone.localdate() - datetime.timedelta(days=5)
    for value in (
        "Maria Bianchi",
        "Councillor",
        "maria.bianchi@comune.castro.bg.it",
        "+39 035 123456",
        "Giovanni Verdi",
        "42",
    ):
        page.keyboard.press("Tab")
        page.keyboard.type(value)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_resolution_date"
    page.fill("#id_resolution_date", day.isoformat())  # the date picker's own keys vary
    page.set_input_files("#id_resolution_file", str(resolution))  # a file chooser is the OS's
    page.focus("#id_message")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_privacy_consent"
    page.keyboard.press("Space")
    time.sleep(max(0.0, 1.2 - (time.monotonic() - opened)))  # a person takes longer
    page.focus("button[type=submit]")
    page.keyboard.press("Enter")

    page.wait_for_url("**/join/thanks/**")
    join_request = JoinRequest.objects.get(reference=page.inner_text("#reference"))
    assert (join_request.official_code, join_request.municipality_name) == ("016065", "Castro")
    assert page.kn_log.errors == []
