"""The map feed's cost follows its answer: clusters from the database's grid, a cap on the
features of one answer, boxes snapped to the grid so that nearby views share the cache."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kindnet.demo import synthetic_network_create
from publicmap.grid import bbox_snap, cell_of, cells_in, zoom_fitting
from publicmap.models import MapGridBuild
from tests.factories import SchoolFactory
from tests.test_map_feed import URL, feed, ids, located

pytestmark = pytest.mark.django_db

CAP = 100


@pytest.fixture
def network(settings):
    """150 members scattered over Italy and Switzerland, with a cap of 100 features."""
    settings.MAP_MAX_FEATURES = CAP
    synthetic_network_create(members=150)
    return 150


def _counted(body: dict) -> int:
    return sum(
        f["properties"]["count"] if f["properties"]["cluster"] else 1 for f in body["features"]
    )


def test_the_full_feed_beyond_the_cap_comes_back_clustered(anonymous_client, network):
    body = feed(anonymous_client)

    assert len(body["features"]) <= CAP
    assert body["total"] == _counted(body) == network
    # The zoom of the grid it fell back to: a client knows it must zoom in for details.
    assert isinstance(body["cluster_zoom"], int)
    assert any(f["properties"]["cluster"] for f in body["features"])


def test_under_the_cap_every_member_on_its_own(anonymous_client, settings, network):
    settings.MAP_MAX_FEATURES = network

    body = feed(anonymous_client)

    assert body["cluster_zoom"] is None
    assert len(ids(body)) == len(body["features"]) == network


@pytest.mark.parametrize("zoom", [10, 12, 18])
def test_no_zoom_asks_for_more_than_the_cap(anonymous_client, network, zoom):
    # No box: at zoom 10 and finer nearly every member has a cell (or a point) of its own.
    body = feed(anonymous_client, f"?zoom={zoom}")

    assert len(body["features"]) <= CAP
    assert body["total"] == _counted(body) == network
    assert body["cluster_zoom"] < zoom


def test_clusters_are_the_cells_of_the_grid(anonymous_client, network):
    everything = feed(anonymous_client, "?kind=school")  # 38 schools: under the cap
    position = {f["properties"]["id"]: f["geometry"]["coordinates"] for f in everything["features"]}

    body = feed(anonymous_client, "?kind=school&zoom=4")

    assert body["cluster_zoom"] == 4 and body["total"] == len(position)
    cells = {}
    for lon, lat in position.values():
        cells.setdefault(cell_of(lon, lat, 4), []).append((lon, lat))
    clusters = sorted(
        (f["properties"]["count"], tuple(f["bbox"]))
        for f in body["features"]
        if f["properties"]["cluster"]
    )
    expected = sorted(
        (
            len(points),
            (
                min(p[0] for p in points),
                min(p[1] for p in points),
                max(p[0] for p in points),
                max(p[1] for p in points),
            ),
        )
        for points in cells.values()
        if len(points) > 1
    )
    assert clusters == expected
    singles = [f for f in body["features"] if not f["properties"]["cluster"]]
    assert len(singles) == sum(1 for points in cells.values() if len(points) == 1)
    for single in singles:
        assert single["geometry"]["coordinates"] == position[single["properties"]["id"]]
        assert single["properties"]["name"].startswith("Synthetic School")


def test_details_are_read_for_single_members_only(anonymous_client, network):
    with CaptureQueriesContext(connection) as queries:
        body = feed(anonymous_client, "?zoom=6&bbox=9,40,15,45")
    singles = ids(body)
    assert singles and any(f["properties"]["cluster"] for f in body["features"])
    # The version, the grid index's state, the cells, the single members, their sectors
    # and titles.
    assert len(queries.captured_queries) == 5
    members_read = queries.captured_queries[3]["sql"]
    assert all(str(pk) in members_read for pk in singles)


def test_nearby_views_share_one_cached_answer(anonymous_client):
    inside = located(SchoolFactory, lat=41.90, lon=12.50)
    # In the same grid cell at zoom 10 (about 0.088 degrees wide), just outside the view.
    beyond = located(SchoolFactory, lat=41.90, lon=12.56)
    view = (12.4, 41.8, 12.55, 42.0)
    snapped = bbox_snap(view, 10)
    assert snapped[0] <= 12.4 and snapped[2] >= 12.56 and snapped[1] <= 41.8 and snapped[3] >= 42

    first = anonymous_client.get(URL + "?zoom=10&bbox=" + ",".join(map(str, view)))
    panned = anonymous_client.get(URL + "?zoom=10&bbox=12.41,41.81,12.545,41.99")

    assert first["X-Map-Cache"] == "miss" and panned["X-Map-Cache"] == "hit"
    assert first["ETag"] == panned["ETag"]
    # The cluster at the edge of the view holds every member of its cell.
    [cluster] = json.loads(first.content)["features"]
    assert cluster["properties"]["count"] == 2
    assert cluster["bbox"] == [12.5, 41.9, 12.56, 41.9]
    assert inside.pk != beyond.pk


def test_grid_arithmetic():
    # A snapped box holds the given one, and is the same for every box in the same cells.
    box = (12.41, 41.81, 12.545, 41.99)
    snapped = bbox_snap(box, 10)
    assert snapped[0] <= box[0] and snapped[1] <= box[1]
    assert snapped[2] >= box[2] and snapped[3] >= box[3]
    again = bbox_snap(snapped, 10)
    assert again[0] <= snapped[0] and again[3] >= snapped[3]
    assert bbox_snap((12.405, 41.8, 12.55, 42.0), 10) == snapped  # a pan within the same cells
    # Across the antimeridian the box stays one.
    across = bbox_snap((179.9, -1, -179.9, 1), 8)
    assert across[0] > across[2]
    assert cells_in(None, 2) == 16 * 16
    assert zoom_fitting(None, 5000, at_most=12) == 4  # 64 x 64 cells
    assert zoom_fitting(box, 5000, at_most=12) == 12


def test_the_cap_is_in_the_schema(client):
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    operation = json.loads(schema.content)["paths"]["/api/v1/map/"]["get"]
    # The cap of the settings the schema was made with (MAP_MAX_FEATURES at start-up).
    cap = re.search(r"at most ([\d,]+) features \(MAP_MAX_FEATURES\)", operation["description"])
    assert cap and int(cap[1].replace(",", "")) >= 100
    assert f'"maxItems": {cap[1].replace(",", "")}' in schema.content.decode()


def _index_read(queries) -> bool:
    return any(
        q["sql"].startswith("SELECT") and "publicmap_mapgridcell" in q["sql"]
        for q in queries.captured_queries
    )


@pytest.mark.parametrize(
    "query",
    [
        "?zoom=3",
        "?zoom=6",
        "?zoom=10",
        "?zoom=7&bbox=8,40,14,45",
        "?zoom=9&kind=school,company&bbox=9,41,13,44",
        "?zoom=5&country=IT",
    ],
)
def test_the_grid_index_answers_as_the_members_do(
    anonymous_client, settings, network, query, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    settings.MAP_GRID_INDEX_FROM = 1
    with django_capture_on_commit_callbacks(execute=True):
        live = feed(anonymous_client, query)  # built from the members, and asks for the index
    assert MapGridBuild.objects.get().members == network
    cache.clear()

    with CaptureQueriesContext(connection) as queries:
        indexed = feed(anonymous_client, query)
    assert _index_read(queries)
    assert indexed == live


def test_a_change_puts_the_grid_index_out_of_use(
    anonymous_client, settings, network, django_capture_on_commit_callbacks
):
    settings.MAP_GRID_INDEX_FROM = 10
    with django_capture_on_commit_callbacks(execute=True):
        feed(anonymous_client, "?zoom=4")
    located(SchoolFactory, lat=41.9, lon=12.5)

    with CaptureQueriesContext(connection) as queries:
        body = feed(anonymous_client, "?zoom=4")
    assert body["total"] == network + 1
    # Answered from the members; the index was rebuilt afterwards, for the new version.
    assert "crm_member" in queries.captured_queries[2]["sql"]
    assert MapGridBuild.objects.get().members == network + 1
