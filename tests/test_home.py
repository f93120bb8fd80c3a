"""The front page links every audience to its place; `?lang=` chooses the language."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_home_links_map_join_form_admin_and_api(anonymous_client):
    response = anonymous_client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    for href in (
        'href="/map/?lang=en"',
        'href="/join/?lang=en"',
        'href="/admin/"',
        'href="/api/docs/"',
    ):
        assert href in html


def test_query_language_wins_over_the_browser(anonymous_client):
    html = anonymous_client.get("/?lang=it", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="it">' in html
    assert 'href="/map/?lang=it"' in html


def test_unknown_query_language_is_ignored(anonymous_client):
    response = anonymous_client.get("/?lang=xx", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert '<html lang="en">' in response.content.decode()
