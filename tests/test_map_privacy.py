"""The public map never tells more about a person than their published (rounded) point,
and withdrawing consent takes them off the map at once, with the withdrawal's time kept."""

from __future__ import annotations

import json
import math

import pytest

from crm.models import ConsentEvent
from tests.factories import AgreementFactory, AmbassadorFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/map/"
# Placed by hand about 650 m from the point the feed publishes (45.46, 9.19).
TRUE_LAT, TRUE_LON = 45.464903, 9.194907
PUBLISHED = (9.19, 45.46)


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance on a 6371 km sphere."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371000 * math.asin(math.sqrt(a))


@pytest.fixture
def ambassador():
    person = AmbassadorFactory(
        city="Milano", latitude=TRUE_LAT, longitude=TRUE_LON, geocode_status="manual"
    )
    AgreementFactory(member=person)
    return person


def _features(client, bbox: tuple[float, ...]) -> list[dict]:
    query = "?kind=ambassador&bbox=" + ",".join(f"{v:.9f}" for v in bbox)
    response = client.get(URL + query)
    assert response.status_code == 200, response.content
    return json.loads(response.content)["features"]


def test_bisecting_the_feed_finds_the_published_point_only(anonymous_client, ambassador):
    assert _metres(TRUE_LAT, TRUE_LON, PUBLISHED[1], PUBLISHED[0]) > 500
    # An attacker who knows the neighbourhood halves a box around it, keeping the half
    # that still answers with the ambassador: 26 requests, as in the issue.
    box = [TRUE_LON - 0.05, TRUE_LAT - 0.05, TRUE_LON + 0.05, TRUE_LAT + 0.05]
    for _ in range(26):
        min_lon, min_lat, max_lon, max_lat = box
        if max_lon - min_lon >= max_lat - min_lat:
            middle = (min_lon + max_lon) / 2
            halves = ([min_lon, min_lat, middle, max_lat], [middle, min_lat, max_lon, max_lat])
        else:
            middle = (min_lat + max_lat) / 2
            halves = ([min_lon, min_lat, max_lon, middle], [min_lon, middle, max_lon, max_lat])
        box = halves[0] if _features(anonymous_client, tuple(halves[0])) else halves[1]
    guess_lon, guess_lat = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    # The search converges on the published point, never on the real one.
    assert _metres(guess_lat, guess_lon, PUBLISHED[1], PUBLISHED[0]) < 5
    assert _metres(guess_lat, guess_lon, TRUE_LAT, TRUE_LON) >= 500


def test_a_box_around_the_real_point_alone_finds_nobody(anonymous_client, ambassador):
    tiny = (TRUE_LON - 1e-6, TRUE_LAT - 1e-6, TRUE_LON + 1e-6, TRUE_LAT + 1e-6)
    assert _features(anonymous_client, tiny) == []
    around_published = (9.189999, 45.459999, 9.190001, 45.460001)
    [feature] = _features(anonymous_client, around_published)
    assert feature["geometry"]["coordinates"] == list(PUBLISHED)


def test_the_cache_key_and_the_query_use_the_same_numbers(anonymous_client, ambassador):
    # Two boxes that differ only in the 7th decimal share one cache entry; the query
    # reads the rounded numbers too, so both find the published point on the edge.
    edge = (9.1900004, 45.4599996, 9.2, 45.47)
    assert len(_features(anonymous_client, edge)) == 1
    nudged = (9.1899996, 45.4600004, 9.2, 45.47)
    assert len(_features(anonymous_client, nudged)) == 1
    inside_only_unrounded = (9.1900006, 45.46, 9.2, 45.47)
    assert _features(anonymous_client, inside_only_unrounded) == []


def test_withdrawing_consent_takes_the_ambassador_off_the_map_at_once(anonymous_client, ambassador):
    everywhere = (6.0, 36.0, 19.0, 48.0)
    assert [f["properties"]["id"] for f in _features(anonymous_client, everywhere)] == [
        ambassador.pk
    ]
    given_at = ambassador.map_consent_at
    ambassador.map_consent = False
    ambassador.save()
    # The same query, answered from the cache a moment ago, now leaves the person out.
    assert _features(anonymous_client, everywhere) == []
    events = list(ConsentEvent.objects.filter(member=ambassador).order_by("recorded_at", "pk"))
    assert [(e.purpose, e.action) for e in events] == [("map", "given"), ("map", "withdrawn")]
    assert events[1].recorded_at >= given_at
    assert events[1].email == ambassador.email and events[1].wording_version


def test_imports_record_consent_changes_too(settings):
    from ambassadors.resources import AmbassadorResource
    from tests.factories import import_rows

    header = ["email", "first_name", "last_name", "map_consent"]
    for consent in ("yes", "no"):
        result = import_rows(
            AmbassadorResource, header, ["anna@example.org", "Anna", "Verdi", consent]
        )
        assert not result.has_errors() and not result.invalid_rows
    events = ConsentEvent.objects.filter(email="anna@example.org").order_by("pk")
    assert [e.action for e in events] == ["given", "withdrawn"]
