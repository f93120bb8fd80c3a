"""The public map page /map/ and its embeddable widget /map/embed/: headers, languages, options."""

from __future__ import annotations

import json
import os
import re
import runpy
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from crm.models import Sector
from tests.factories import (
    AgreementFactory,
    AmbassadorFactory,
    CompanyFactory,
    MunicipalityFactory,
    SchoolFactory,
    SectorFactory,
)

pytestmark = pytest.mark.django_db

ALLOWED = ["https://www.kindness.example", "http://127.0.0.1:8650"]


def on_map(factory, *, latitude: float = 41.9, longitude: float = 12.5, **fields):
    """A member the public map shows: located and with an agreement active today."""
    member = factory(latitude=latitude, longitude=longitude, geocode_status="ok", **fields)
    AgreementFactory(member=member)
    return member


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    header = response.headers["Content-Security-Policy"]
    return {
        parts[0]: parts[1:]
        for parts in (directive.split() for directive in header.split(";"))
        if parts
    }


def config(response) -> dict:
    match = re.search(
        r'<script id="kn-map-config" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, "the page carries its configuration as JSON"
    return json.loads(match.group(1))


def options(response, name: str) -> list[tuple[str, str]]:
    html = response.content.decode()
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S).group(0)
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select)


# ---- headers ----------------------------------------------------------------


def test_map_page_has_a_strict_policy_and_refuses_every_frame(client: Client):
    response = client.get("/map/")

    assert response.status_code == 200
    assert response.headers["X-Frame-Options"] == "DENY"
    assert policy(response) == {
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


def test_embed_may_be_framed_only_by_the_allowed_origins(client: Client, settings):
    settings.MAP_EMBED_ALLOWED_ORIGINS = ALLOWED

    response = client.get("/map/embed/")

    assert response.status_code == 200
    assert "X-Frame-Options" not in response.headers
    assert policy(response)["frame-ancestors"] == ALLOWED
    # The rest of the policy is as strict as the page's.
    assert policy(response)["script-src"] == ["'self'"]
    assert policy(response)["connect-src"] == ["'self'"]


def test_embed_without_allowed_origins_may_be_framed_by_nobody(client: Client, settings):
    settings.MAP_EMBED_ALLOWED_ORIGINS = []

    response = client.get("/map/embed/")

    assert "X-Frame-Options" not in response.headers
    assert policy(response)["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize("path", ["/admin/login/", "/map/", "/no-such-page/"])
def test_every_other_page_keeps_x_frame_options_deny(client: Client, settings, path: str):
    settings.MAP_EMBED_ALLOWED_ORIGINS = ALLOWED

    response = client.get(path)

    assert response.headers["X-Frame-Options"] == "DENY"
    assert "www.kindness.example" not in response.headers.get("Content-Security-Policy", "")


def test_tile_host_in_the_policy_follows_the_setting(client: Client, settings):
    settings.MAP_TILE_URL = "https://{s}.tiles.kindness.example/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "Tiles by Kindness"

    response = client.get("/map/")

    assert policy(response)["img-src"] == ["'self'", "data:", "https://*.tiles.kindness.example"]
    assert config(response)["tiles"] == {
        "url": "https://{s}.tiles.kindness.example/{z}/{x}/{y}.png",
        "attribution": "Tiles by Kindness",
    }


def test_without_tiles_the_page_loads_images_only_from_itself(client: Client, settings):
    settings.MAP_TILE_URL = ""

    response = client.get("/map/")

    assert policy(response)["img-src"] == ["'self'", "data:"]
    assert config(response)["tiles"] is None


def test_no_inline_script_and_nothing_from_elsewhere(client: Client):
    html = client.get("/map/").content.decode()

    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    executable = [attrs for attrs, body in scripts if 'type="application/json"' not in attrs]
    assert executable == [
        ' src="/static/leaflet/leaflet.js" defer',
        ' src="/static/publicmap/map.js" defer',
        ' src="/static/publicmap/impact.js" defer',
    ]
    assert all(not body.strip() for attrs, body in scripts if attrs in executable)
    assert " style=" not in html
    assert re.findall(r'(?:src|href)="(https?:[^"]*)"', html) == []


def test_leaflet_and_the_map_script_are_served_by_the_site(client: Client):
    expected = {
        "/static/leaflet/leaflet.js": b"Leaflet",
        "/static/leaflet/leaflet.css": b".leaflet-pane",
        "/static/publicmap/map.js": b"kn-map-config",
        "/static/publicmap/map.css": b".kn-marker",
    }
    for path, content in expected.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert content in b"".join(response.streaming_content), path


def test_the_map_pages_are_read_only(client: Client):
    assert client.post("/map/").status_code == 405
    assert client.post("/map/embed/").status_code == 405


# ---- languages ----------------------------------------------------------------


def assert_page_in(response, lang: str, texts: list[str]) -> None:
    """The page is marked and configured as in `lang` and shows each of `texts`."""
    html = response.content.decode()
    assert f'<html lang="{lang}">' in html
    for text in texts:
        assert text in html
    assert config(response)["lang"] == lang


def test_page_in_english_by_default(client: Client):
    on_map(SchoolFactory, country="CH", city="Lugano")

    response = client.get("/map/")

    assert_page_in(response, "en", ["Where kindness is", "Kind of member"])
    assert options(response, "country") == [("", "All countries"), ("CH", "Switzerland")]
    assert config(response)["text"]["members"] == {
        "one": "{count} member",
        "other": "{count} members",
    }


@pytest.mark.parametrize(
    ("query", "headers"),
    [("?lang=it", {}), ("", {"HTTP_ACCEPT_LANGUAGE": "it-CH,it;q=0.9,en;q=0.5"})],
    ids=["lang-parameter", "accept-language"],
)
def test_page_in_italian(client: Client, query: str, headers: dict):
    on_map(SchoolFactory, country="CH", city="Lugano")

    response = client.get(f"/map/{query}", **headers)

    assert response.headers["Content-Language"] == "it"
    texts = ["Dove c’è gentilezza", "Tipo di membro", "<span>Paese</span>", ">Scuola</span>"]  # noqa: RUF001 (Italian apostrophe)
    assert_page_in(response, "it", texts)
    assert options(response, "country") == [("", "Tutti i paesi"), ("CH", "Svizzera")]
    assert config(response)["text"]["members"] == {
        "one": "{count} membro",
        "other": "{count} membri",
    }


def test_lang_parameter_wins_over_the_browser_language(client: Client):
    response = client.get("/map/embed/?lang=en", HTTP_ACCEPT_LANGUAGE="it")

    assert '<html lang="en">' in response.content.decode()
    assert config(response)["langInUrl"] is True


# ---- filter options and initial state --------------------------------------------


def test_filter_options_come_from_the_members_on_the_map(client: Client, django_assert_num_queries):
    education = SectorFactory(slug="education", name_en="Education", name_it="Istruzione")
    health = Sector.objects.get(slug="health")
    business = Sector.objects.get(slug="business")
    on_map(SchoolFactory, country="IT", sectors=[education])
    on_map(CompanyFactory, country="CH", sectors=[health])
    on_map(MunicipalityFactory, country="IT", latitude=45.4, longitude=9.2)
    # Not on the map: no agreement, no coordinates, hidden, or an ambassador without consent.
    CompanyFactory(country="FR", latitude=48.8, longitude=2.3, sectors=[business])
    AgreementFactory(member=CompanyFactory(country="DE", sectors=[business]))
    on_map(CompanyFactory, country="AT", show_on_map=False, sectors=[business])
    on_map(AmbassadorFactory, country="ES", map_consent=False, sectors=[business])

    with django_assert_num_queries(2):
        response = client.get("/map/")

    assert options(response, "country") == [
        ("", "All countries"),
        ("IT", "Italy"),
        ("CH", "Switzerland"),
    ]
    assert options(response, "sector") == [
        ("", "All sectors"),
        ("education", "Education"),
        ("health", "Health"),
    ]
    italian = client.get("/map/?lang=it")
    assert options(italian, "sector") == [
        ("", "Tutti i settori"),
        ("education", "Istruzione"),
        ("health", "Salute"),
    ]


def test_filters_centre_and_zoom_come_from_the_url(client: Client, django_assert_num_queries):
    on_map(SchoolFactory, country="IT")
    health = Sector.objects.get(slug="health")

    with django_assert_num_queries(3):  # the sector asked for, then the options
        response = client.get(
            "/map/embed/?kind=school,municipality&kind=company&sector=health&country=ch"
            "&lat=46.0&lon=8.95&zoom=11"
        )
    html = response.content.decode()

    assert config(response)["filters"] == {
        "kind": ["school", "municipality", "company"],
        "sector": "health",
        "country": "CH",
    }
    assert config(response)["view"] == {
        "lat": 46.0,
        "lon": 8.95,
        "zoom": 11,
        "bounds": [6.6, 37.8, 18.6, 47.6],
    }
    checked = re.findall(r'name="kind" value="(\w+)" checked', html)
    assert checked == ["school", "company", "municipality"]
    # Asked for by the link, so offered even with no member on the map yet.
    assert ("health", health.name_en) in options(response, "sector")
    assert re.search(r'<option value="health" selected>', html)
    assert re.search(r'<option value="CH" selected>Switzerland</option>', html)
    assert "kn-alert" not in html


def test_without_parameters_the_map_starts_on_the_default_view(client: Client, settings):
    settings.MAP_DEFAULT_BOUNDS = [5.9, 45.8, 10.5, 47.8]

    response = client.get("/map/")

    assert config(response)["view"] == {
        "lat": None,
        "lon": None,
        "zoom": None,
        "bounds": [5.9, 45.8, 10.5, 47.8],
    }
    assert config(response)["filters"] == {"kind": [], "sector": "", "country": ""}
    assert config(response)["feedUrl"] == "/api/v1/map/"
    assert re.findall(r'name="kind" value="(\w+)" checked', response.content.decode()) == [
        "school",
        "company",
        "organization",
        "municipality",
        "ambassador",
    ]


def test_bad_parameters_are_named_on_the_page_and_ignored(client: Client):
    response = client.get(
        "/map/?kind=school,castle&sector=nowhere&country=XX&lat=95&zoom=30&lang=fr"
    )
    html = response.content.decode()

    assert response.status_code == 200
    assert 'role="alert"' in html
    for name in ["kind", "sector", "country", "lat", "zoom", "lang"]:
        assert f"<code>{name}</code>" in html
    assert "There is no sector “nowhere”." in html
    assert "“XX” is not an ISO country code such as IT or CH." in html
    assert config(response)["filters"] == {"kind": [], "sector": "", "country": ""}
    assert config(response)["view"]["zoom"] is None
    assert config(response)["lang"] == "en"


def test_a_centre_needs_both_coordinates(client: Client):
    response = client.get("/map/?lat=45")

    assert "Give both lat and lon for the centre, or neither." in response.content.decode()
    assert config(response)["view"]["lat"] is None


# ---- settings and translations --------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("MAP_EMBED_ALLOWED_ORIGINS", "www.kindness.example", "MAP_EMBED_ALLOWED_ORIGINS"),
        ("MAP_EMBED_ALLOWED_ORIGINS", "https://site.example/map", "MAP_EMBED_ALLOWED_ORIGINS"),
        ("MAP_TILE_URL", "https://tiles.example/tile.png", "MAP_TILE_URL must contain {z}"),
        ("MAP_TILE_URL", "ftp://tiles.example/{z}/{x}/{y}.png", "MAP_TILE_URL must be an http"),
        ("MAP_DEFAULT_BOUNDS", "1,2,3", "MAP_DEFAULT_BOUNDS must be four numbers"),
        ("MAP_DEFAULT_BOUNDS", "18,37,6,47", "MAP_DEFAULT_BOUNDS must be minLon,minLat"),
        ("MAP_DEFAULT_BOUNDS", "a,b,c,d", "MAP_DEFAULT_BOUNDS must be four numbers"),
    ],
)
def test_bad_map_settings_stop_start_up_naming_the_variable(variable, value, message):
    # The settings module run afresh with the bad value, as manage.py would run it.
    settings_file = str(django_settings.BASE_DIR / "kindnet" / "settings.py")
    with (
        mock.patch.dict(os.environ, {variable: value}),
        pytest.raises(ImproperlyConfigured, match=re.escape(message)),
    ):
        runpy.run_path(settings_file)
