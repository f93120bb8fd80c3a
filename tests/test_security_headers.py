"""One Content-Security-Policy for every page, Permissions-Policy, the embed's exception;
and no inline script or style left in what the pages send."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.factories import AgreementFactory, ChapterFactory, JoinRequestFactory, SchoolFactory

SITE_POLICY = {
    "default-src": ["'none'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "https://tile.openstreetmap.org"],
    "connect-src": ["'self'"],
    "font-src": ["'self'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
PUBLIC = [
    "/",
    "/map/",
    "/api/v1/map/?zoom=5",
    "/join/",
    "/join/privacy/",
    "/join/municipalities/?q=ro",
    "/admin/login/",
    "/api/docs/",
    "/api/docs/?script=",
    "/api/schema/",
    "/health/",
    "/account/second-factor/",  # a redirect to the login page
    "/no-such-page/",
    "/no-such-page/?lang=it",
]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=\"", re.I)


def policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {parts[0]: parts[1:] for parts in (d.split() for d in header.split(";")) if parts}


def assert_no_inline_code(response) -> None:
    if response.headers.get("Content-Type", "").startswith("text/html"):
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html).group(0)
        assert not INLINE_STYLE.search(html), INLINE_STYLE.search(html).group(0)


@pytest.fixture
def network(db):
    ChapterFactory(email="italia@kindnet.example")
    school = SchoolFactory(latitude=41.9, longitude=12.5, geocode_status="ok")
    AgreementFactory(member=school)
    return school


@pytest.mark.parametrize("path", PUBLIC)
def test_every_public_page_sends_the_site_policy(network, client: Client, path):
    response = client.get(path)

    assert response.status_code in {200, 302, 404}
    assert policy(response) == SITE_POLICY
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert_no_inline_code(response)


def test_the_embed_alone_may_be_framed_by_the_allowed_origins(network, client: Client, settings):
    settings.MAP_EMBED_ALLOWED_ORIGINS = ["https://www.kindness.example"]

    response = client.get("/map/embed/")

    assert policy(response) == {**SITE_POLICY, "frame-ancestors": ["https://www.kindness.example"]}
    assert "X-Frame-Options" not in response.headers
    assert_no_inline_code(response)


def test_the_join_embed_may_be_framed_by_its_allowed_origins(network, client: Client, settings):
    settings.JOIN_EMBED_ALLOWED_ORIGINS = ["https://www.kindness.example"]

    response = client.get("/join/embed/")

    assert policy(response) == {**SITE_POLICY, "frame-ancestors": ["https://www.kindness.example"]}
    assert "X-Frame-Options" not in response.headers
    assert_no_inline_code(response)
    # Without allowed origins nobody may frame it.
    settings.JOIN_EMBED_ALLOWED_ORIGINS = []
    assert policy(client.get("/join/embed/"))["frame-ancestors"] == ["'none'"]


def test_staff_pages_send_the_same_policy_with_no_inline_code(network, superuser_client):
    join_request = JoinRequestFactory()
    for path in (
        "/admin/",
        "/admin/partners/school/",
        f"/admin/partners/school/{network.pk}/change/",
        f"/admin/municipalities/joinrequest/{join_request.pk}/change/",
        "/account/second-factor/setup/",
        "/api/v1/schools/",
    ):
        response = superuser_client.get(path)
        assert response.status_code == 200, path
        assert policy(response) == SITE_POLICY, path
        assert_no_inline_code(response)


@pytest.mark.parametrize(
    "path",
    [
        "/static/drf_spectacular_sidecar/swagger-ui-dist/oauth2-redirect.html",
        "/static/publicmap/map.js",
    ],
)
def test_static_files_carry_their_own_strict_policy(db, client: Client, path):
    """WhiteNoise answers before the middleware: an HTML file opened on its own must not
    run its inline script nor be framed."""
    response = client.get(path)
    response.close()  # a file response: only its headers are read
    assert response.status_code == 200, path
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy
    assert "'unsafe-inline'" not in policy
    assert response["X-Frame-Options"] == "DENY"
