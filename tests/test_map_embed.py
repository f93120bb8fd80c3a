"""The embed's own options (`/map/embed/?accent=…&legend=off&list=off`) and what its script
is told: the sites it may speak to, the sentences of its hints and of a sandbox."""

from __future__ import annotations

import pytest

from tests.test_map_page import config

pytestmark = pytest.mark.django_db

EMBED = "/map/embed/"


def test_defaults_show_legend_and_list_and_keep_the_colours(client, settings):
    settings.MAP_EMBED_ALLOWED_ORIGINS = ["https://www.kindness.example"]

    response = client.get(EMBED)

    html = response.content.decode()
    assert 'class="kn-legend"' in html and 'id="kn-list"' in html
    assert 'id="kn-sheet"' in html and "hidden" in html.split('id="kn-sheet"')[1][:80]
    assert config(response)["options"] == {"accent": "", "legend": True, "list": True}
    assert config(response)["parentOrigins"] == ["https://www.kindness.example"]
    assert "allow-same-origin" in config(response)["text"]["sandboxed"]


@pytest.mark.parametrize(
    ("accent", "expected"), [("0B7285", "#0b7285"), ("%23abc", "#aabbcc"), ("", "")]
)
def test_an_accent_colour_is_normalised(client, accent, expected):
    response = client.get(f"{EMBED}?accent={accent}")

    assert config(response)["options"]["accent"] == expected
    assert b"kn-alert" not in response.content


def test_legend_and_list_can_be_left_out(client):
    response = client.get(f"{EMBED}?legend=off&list=off")

    html = response.content.decode()
    assert 'class="kn-legend"' not in html and 'id="kn-list"' not in html
    assert config(response)["options"] == {"accent": "", "legend": False, "list": False}


def test_bad_options_are_named_and_the_defaults_used(client):
    response = client.get(f"{EMBED}?accent=red;x&legend=maybe")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<code>accent</code>: Give a colour as 6 hexadecimal digits, e.g. 0b7285." in html
    assert "<code>legend</code>" in html
    assert config(response)["options"] == {"accent": "", "legend": True, "list": True}


def test_the_page_has_no_embed_options_and_speaks_to_no_one(client):
    response = client.get("/map/?accent=0b7285")

    assert "options" not in config(response) and "parentOrigins" not in config(response)
    assert 'id="kn-sheet"' not in response.content.decode()
