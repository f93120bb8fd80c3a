"""The shared cache (Redis) down: public pages answer, the join form refuses cleanly.

The dead cache is a Redis URL on a loopback port where nothing listens (connection
refused at once); the live one is the machine's Redis, database 14.
"""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.test import Client

from municipalities.models import JoinRequest
from tests.conftest import login_verified
from tests.factories import (
    AgreementFactory,
    ChapterFactory,
    SchoolFactory,
    castro_reference,
    join_api_data,
    join_form_data,
)

DEAD_REDIS = "redis://127.0.0.1:1/0"
LIVE_REDIS = "redis://127.0.0.1:6379/14"
PUBLIC_PAGES = [
    "/",
    "/map/",
    "/map/embed/",
    "/api/v1/map/?zoom=5",
    "/api/v1/map/?zoom=12&bbox=12,41,13,42",
    "/join/",
    "/join/privacy/",
    "/join/municipalities/?q=castro",
    "/api/schema/",
    "/api/docs/",
    "/health/",
]


def _redis(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }


@pytest.fixture
def dead_cache(settings):
    settings.CACHES = _redis(DEAD_REDIS)
    return settings


@pytest.fixture
def network(db):
    chapter = ChapterFactory(email="italia@kindnet.example")
    school = SchoolFactory(latitude=41.9, longitude=12.5, geocode_status="ok")
    AgreementFactory(member=school)
    castro_reference("BG")
    return chapter


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_no_public_page_fails_with_the_cache_down(dead_cache, network, client: Client, path):
    response = client.get(path)
    assert response.status_code == 200, response.content[:300]


def test_the_feed_is_built_without_the_cache_and_says_so(dead_cache, network, client: Client):
    response = client.get("/api/v1/map/?zoom=12&bbox=12,41,13,42")

    assert response.headers["X-Map-Cache"] == "unavailable"
    assert "ETag" not in response.headers
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert len(body["features"]) == 1


def test_a_change_while_the_cache_is_down_saves(dead_cache, network):
    school = SchoolFactory(name="Scuola Nuova")
    school.name = "Scuola Rinnovata"
    school.save()  # the map's version cannot be bumped: remembered, never a 500


def test_the_join_form_refuses_in_the_submitters_language(
    dead_cache, network, client: Client, settings, tmp_path
):
    settings.PRIVATE_ROOT = tmp_path
    response = client.post("/join/?lang=it", join_form_data(language="it"))

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "300"
    assert "Riprova" in response.content.decode()
    assert not JoinRequest.objects.exists()
    assert not list(tmp_path.rglob("*.pdf"))


def test_the_join_api_refuses_with_a_clear_503(dead_cache, network, client: Client, tmp_path):
    dead_cache.PRIVATE_ROOT = tmp_path
    response = client.post("/api/v1/join-requests/", join_api_data())

    assert response.status_code == 503
    assert "try again in a few minutes" in response.json()["detail"]
    assert not JoinRequest.objects.exists()


def test_health_reports_the_cache_down_with_details_for_staff(
    dead_cache, network, client: Client, superuser
):
    assert client.get("/health/").json() == {"status": "degraded"}

    checks = login_verified(Client(), superuser).get("/health/").json()["checks"]
    assert checks["cache"] == {"status": "degraded", "error": "ConnectionError"}
    assert checks["database"]["status"] == "ok"


def test_the_documented_redis_cache_serves_and_keeps_the_feed(settings, network, client: Client):
    settings.CACHES = _redis(LIVE_REDIS)
    caches["default"].clear()  # database 14 belongs to the suite
    try:
        first = client.get("/api/v1/map/?zoom=5")
        second = client.get("/api/v1/map/?zoom=5")
        school = SchoolFactory(latitude=45.4, longitude=9.2, geocode_status="ok")
        AgreementFactory(member=school)
        third = client.get("/api/v1/map/?zoom=5")
    finally:
        caches["default"].clear()

    assert [first.headers["X-Map-Cache"], second.headers["X-Map-Cache"]] == ["miss", "hit"]
    assert first.content == second.content
    assert third.headers["X-Map-Cache"] == "miss"  # the save bumped the version in Redis
