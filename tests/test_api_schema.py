"""The OpenAPI document: valid, no warning, every endpoint (the GeoJSON feed too); docs offline."""

from __future__ import annotations

import re

import pytest
import yaml
from django.core.management import call_command

from tests.factories import API_ENDPOINTS

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(tmp_path) -> dict:
    path = tmp_path / "schema.yml"
    # --fail-on-warn turns any warning of the generator into an error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def test_every_endpoint_is_described(schema):
    paths = schema["paths"]
    for endpoint in API_ENDPOINTS:
        assert f"/api/v1/{endpoint}/" in paths
        assert f"/api/v1/{endpoint}/{{id}}/" in paths
    assert "post" not in paths["/api/v1/members/"]
    assert "post" in paths["/api/v1/schools/"]
    assert "post" in paths["/api/v1/agreements/{id}/renew/"]
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


def test_the_geojson_feed_is_described(schema):
    feed = schema["paths"]["/api/v1/map/"]["get"]
    ok = feed["responses"]["200"]["content"]["application/geo+json"]["schema"]
    assert ok["properties"]["type"]["enum"] == ["FeatureCollection"]
    assert set(ok["required"]) == {"type", "total", "countries", "features"}
    feature = ok["properties"]["features"]["items"]
    member, cluster = feature["properties"]["properties"]["oneOf"]
    assert "website" in member["properties"]
    assert set(cluster["required"]) == {"cluster", "count"}
    assert set(feature["properties"]) >= {"id", "bbox"}  # a member's id, a cluster's extent
    assert {"304", "400", "429"} <= set(feed["responses"])
    problem = feed["responses"]["400"]["content"]["application/json"]["schema"]
    assert set(problem["required"]) == {"type", "title", "status"}
    names = {parameter["name"] for parameter in feed["parameters"]}
    assert names == {"kind", "country", "chapter", "sector", "bbox", "zoom", "lang"}
    assert feed.get("security", [{}]) == [{}]  # anonymous
    assert {"tokenAuth": []} in schema["paths"]["/api/v1/schools/"]["get"]["security"]


def test_schema_and_docs_are_public(anonymous_client):
    response = anonymous_client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/map/" in response.content


def test_swagger_ui_works_offline(anonymous_client):
    page = anonymous_client.get("/api/docs/").content.decode()

    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any("drf_spectacular_sidecar" in asset for asset in assets)
    assert not [asset for asset in assets if asset.startswith(("http:", "https:", "//"))]
    bundle = next(a for a in assets if a.endswith("swagger-ui-bundle.js"))
    response = anonymous_client.get(bundle)
    response.close()  # a file response: release the file
    assert response.status_code == 200
