"""The map feed as other tools read it: GIS libraries (GDAL), other map libraries (a
feature-level id, a named layer), and scripts of another origin (errors, CORS, 304).

GDAL's `ogrinfo`/`ogr2ogr` come from Debian's `gdal-bin`; without them the GDAL tests are
skipped with the reason, unless KINDNET_REQUIRE_GDAL=1 (CI), where they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess

import pytest
from django.test import override_settings

from tests.factories import RecognitionFactory, SchoolFactory, SectorFactory, today
from tests.test_map_feed import URL, feed, located

pytestmark = pytest.mark.django_db

ORIGIN = "https://www.kindness.example"


def gdal_missing_reason() -> str | None:
    missing = [tool for tool in ("ogrinfo", "ogr2ogr") if shutil.which(tool) is None]
    if not missing:
        return None
    reason = f"{' and '.join(missing)} missing (apt-get install -y gdal-bin)"
    if os.environ.get("KINDNET_REQUIRE_GDAL") == "1":
        pytest.fail(f"KINDNET_REQUIRE_GDAL=1 but {reason}")
    return reason


@pytest.fixture
def gdal() -> None:
    reason = gdal_missing_reason()
    if reason:
        pytest.skip(reason)


def _network() -> tuple:
    """A member with lists, one with empty lists, and two close enough to cluster."""
    education = SectorFactory(slug="education", name_en="Education", name_it="Istruzione")
    listed = located(SchoolFactory, lat=45.46, lon=9.19, name="Listed", sectors=[education])
    RecognitionFactory(member=listed, title="Kind School", awarded_on=today())
    plain = located(SchoolFactory, lat=46.0, lon=8.95, name="Plain")
    located(SchoolFactory, lat=41.90, lon=12.50)
    located(SchoolFactory, lat=41.901, lon=12.501)
    return listed, plain


def test_members_have_a_feature_id_clusters_their_own_bbox_the_layer_a_name(anonymous_client):
    listed, plain = _network()

    body = feed(anonymous_client, "?zoom=9")

    assert body["name"] == "kindnet_members"
    members = {f["id"]: f for f in body["features"] if not f["properties"]["cluster"]}
    assert set(members) == {listed.pk, plain.pk}
    for pk, feature in members.items():
        assert feature["properties"]["id"] == pk  # kept there for existing clients
        assert "bbox" not in feature
    # Lists are arrays of strings, empty ones included.
    assert members[listed.pk]["properties"]["sectors"] == ["Education"]
    assert members[listed.pk]["properties"]["recognitions"] == ["Kind School"]
    assert members[plain.pk]["properties"]["sectors"] == []
    assert members[plain.pk]["properties"]["recognitions"] == []
    [cluster] = [f for f in body["features"] if f["properties"]["cluster"]]
    assert cluster["properties"] == {"cluster": True, "count": 2}
    assert cluster["bbox"] == [12.5, 41.9, 12.501, 41.901]
    assert "id" not in cluster


def _gdal(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("query", ["", "?zoom=9"])
def test_gdal_reads_the_feed_and_converts_it_to_geopackage_without_a_warning(
    anonymous_client, gdal, tmp_path, query
):
    listed, plain = _network()
    source = tmp_path / "map.geojson"
    source.write_bytes(anonymous_client.get(URL + query).content)

    info = _gdal("ogrinfo", "-ro", "-al", "-so", str(source))
    assert info.returncode == 0 and info.stderr == "", info.stderr
    assert "Layer name: kindnet_members" in info.stdout
    assert 'ID["EPSG",4326]' in info.stdout

    # GeoPackage has no list type: the lists are kept as JSON text (GDAL's ARRAY_AS_STRING).
    target = tmp_path / "map.gpkg"
    converted = _gdal(
        "ogr2ogr", "-f", "GPKG", "-oo", "ARRAY_AS_STRING=YES", str(target), str(source)
    )
    assert converted.returncode == 0, converted.stderr
    assert converted.stderr == ""

    with sqlite3.connect(target) as geopackage:
        [(layer, srs)] = geopackage.execute("SELECT table_name, srs_id FROM gpkg_contents")
        assert (layer, srs) == ("kindnet_members", 4326)
        rows = geopackage.execute(
            "SELECT id, sectors, recognitions FROM kindnet_members ORDER BY fid"
        ).fetchall()
    members = {row[0]: row for row in rows if row[0] is not None}
    assert json.loads(members[listed.pk][1]) == ["Education"]
    assert json.loads(members[listed.pk][2]) == ["Kind School"]
    assert json.loads(members[plain.pk][1]) == []
    clusters = len(rows) - len(members)
    assert (len(members), clusters) == ((2, 1) if query else (4, 0))


def test_a_bad_parameter_is_problem_details_in_plain_json(anonymous_client):
    response = anonymous_client.get(URL + "?zoom=99&country=XX")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": "Some parameters are not valid: country, zoom.",
        "errors": {
            "country": ["“XX” is not an ISO country code such as IT or CH."],
            "zoom": ["Ensure this value is less than or equal to 20."],
        },
    }


@override_settings(MAP_THROTTLE_RATE="1/minute", CORS_ALLOWED_ORIGINS=[ORIGIN])
def test_too_many_requests_say_when_to_come_back_to_other_origins_too(anonymous_client):
    assert anonymous_client.get(URL, HTTP_ORIGIN=ORIGIN).status_code == 200

    response = anonymous_client.get(URL, HTTP_ORIGIN=ORIGIN)

    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert (body["status"], body["title"]) == (429, "Too Many Requests")
    assert "throttled" in body["detail"]
    assert int(response["Retry-After"]) > 0
    exposed = {h.strip().lower() for h in response["Access-Control-Expose-Headers"].split(",")}
    assert {"retry-after", "etag", "last-modified"} <= exposed


@override_settings(CORS_ALLOWED_ORIGINS=[ORIGIN])
def test_a_script_of_another_origin_may_revalidate_its_copy(anonymous_client):
    located(SchoolFactory)
    first = anonymous_client.get(URL, HTTP_ORIGIN=ORIGIN)

    preflight = anonymous_client.options(
        URL,
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="if-none-match,if-modified-since",
    )
    again = anonymous_client.get(URL, HTTP_ORIGIN=ORIGIN, HTTP_IF_NONE_MATCH=first["ETag"])

    assert preflight.status_code == 200
    allowed = {h.strip() for h in preflight["Access-Control-Allow-Headers"].split(",")}
    assert {"if-none-match", "if-modified-since"} <= allowed
    assert again.status_code == 304
    assert again["Access-Control-Allow-Origin"] == ORIGIN
