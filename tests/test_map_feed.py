"""The public member map feed, GET /api/v1/map/: contents, privacy, filters, clusters, caching."""

from __future__ import annotations

import datetime
import gzip
import json
import random

import pytest
from django.test import override_settings

from crm.models import Member, Sector
from publicmap.cache import map_feed_version
from tests.factories import (
    AgreementFactory,
    AmbassadorFactory,
    ChapterFactory,
    CompanyFactory,
    MunicipalityFactory,
    OrganizationFactory,
    RecognitionFactory,
    SchoolFactory,
    SectorFactory,
    today,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/map/"

#: Every key the feed may ever return; the privacy tests hold every answer to these.
TOP_LEVEL_KEYS = {"type", "name", "total", "countries", "cluster_zoom", "features"}
#: A member's feature carries its `id`, a cluster's its extent (`bbox`).
MEMBER_FEATURE_KEYS = {"type", "id", "geometry", "properties"}
CLUSTER_FEATURE_KEYS = {"type", "bbox", "geometry", "properties"}
GEOMETRY_KEYS = {"type", "coordinates"}
MEMBER_KEYS = {
    "cluster",
    "id",
    "kind",
    "kind_label",
    "name",
    "city",
    "country",
    "country_name",
    "sectors",
    "recognitions",
    "website",
    "description",
}
CLUSTER_KEYS = {"cluster", "count"}


def active(member, **kwargs):
    """`member` with an agreement active today."""
    AgreementFactory(member=member, **kwargs)
    return member


def located(factory, lat=41.9, lon=12.5, **kwargs):
    return active(factory(latitude=lat, longitude=lon, geocode_status="ok", **kwargs))


def feed(client, query="", **headers) -> dict:
    response = client.get(URL + query, **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/geo+json"
    return json.loads(response.content)


def ids(body: dict) -> set[int]:
    return {f["properties"]["id"] for f in body["features"] if not f["properties"]["cluster"]}


def test_a_school_as_a_whole_feature(anonymous_client):
    education = SectorFactory(slug="education", name_en="Education", name_it="Istruzione")
    culture = SectorFactory(slug="culture", name_en="Culture", name_it="Cultura")
    school = located(
        SchoolFactory,
        lat=41.902782,
        lon=12.496366,
        name="Scuola Gianni Rodari",
        city="Roma",
        website="https://rodari.example.org",
        description="Kindness in every class.",
        sectors=[education, culture],
    )
    RecognitionFactory(member=school, title="Kind School", awarded_on=today())
    RecognitionFactory(
        member=school, title="Kind Island", awarded_on=today() - datetime.timedelta(days=400)
    )

    assert feed(anonymous_client) == {
        "type": "FeatureCollection",
        "name": "kindnet_members",
        "total": 1,
        "countries": 1,
        "cluster_zoom": None,
        "features": [
            {
                "type": "Feature",
                "id": school.pk,
                "geometry": {"type": "Point", "coordinates": [12.496366, 41.902782]},
                "properties": {
                    "cluster": False,
                    "id": school.pk,
                    "kind": "school",
                    "kind_label": "School",
                    "name": "Scuola Gianni Rodari",
                    "city": "Roma",
                    "country": "IT",
                    "country_name": "Italy",
                    "sectors": ["Culture", "Education"],
                    "recognitions": ["Kind School", "Kind Island"],
                    "website": "https://rodari.example.org",
                    "description": "Kindness in every class.",
                },
            }
        ],
    }


def test_only_active_located_shown_members(anonymous_client):
    shown = located(SchoolFactory)
    located(CompanyFactory, show_on_map=False)
    active(OrganizationFactory())  # no coordinates
    SchoolFactory(latitude=41.0, longitude=12.0)  # no agreement at all
    expired = SchoolFactory(latitude=41.0, longitude=12.0)
    AgreementFactory(
        member=expired,
        starts_on=today() - datetime.timedelta(days=400),
        ends_on=today() - datetime.timedelta(days=1),
    )
    AgreementFactory(member=SchoolFactory(latitude=41.0, longitude=12.0), signed_on=None)  # draft
    upcoming = SchoolFactory(latitude=41.0, longitude=12.0)
    AgreementFactory(
        member=upcoming,
        starts_on=today() + datetime.timedelta(days=3),
        ends_on=today() + datetime.timedelta(days=300),
    )
    terminated = SchoolFactory(latitude=41.0, longitude=12.0)
    AgreementFactory(
        member=terminated, terminated_on=today(), termination_reason="Closed the school."
    )

    body = feed(anonymous_client)

    assert ids(body) == {shown.pk}
    assert body["total"] == 1


def test_every_kind_appears_and_only_organisations_have_a_website(anonymous_client):
    members = [
        located(factory, website="https://example.org")
        for factory in (SchoolFactory, CompanyFactory, OrganizationFactory, MunicipalityFactory)
    ]
    ambassador = located(AmbassadorFactory, website="https://private.example.org")

    features = {f["properties"]["id"]: f["properties"] for f in feed(anonymous_client)["features"]}

    assert {p["kind"] for p in features.values()} == {
        "school",
        "company",
        "organization",
        "municipality",
        "ambassador",
    }
    for member in members:
        assert features[member.pk]["website"] == "https://example.org"
    assert "website" not in features[ambassador.pk]


def test_ambassadors_only_with_consent_and_at_city_precision(anonymous_client):
    consenting = located(
        AmbassadorFactory,
        lat=45.464278,
        lon=9.189512,
        street="Via Segreta 12",
        geocode_precision="address",
        phone="+39 333 1234567",
        email="giulia@example.org",
        notes="Prefers phone calls",
    )
    refusing = located(AmbassadorFactory, map_consent=False, lat=45.0, lon=9.0)

    body = feed(anonymous_client)

    assert ids(body) == {consenting.pk}
    [feature] = body["features"]
    # Two decimals: about a kilometre, never the house.
    assert feature["geometry"]["coordinates"] == [9.19, 45.46]
    text = json.dumps(body)
    for private in ("Via Segreta", "333 1234567", "giulia@example.org", "phone calls"):
        assert private not in text
    assert refusing.pk not in ids(body)


@pytest.mark.parametrize("zoom", [None, 0, 5, 12, 20])
def test_no_private_key_ever(anonymous_client, zoom):
    """Every key the feed can return is listed above; nothing else ever appears."""
    sector = SectorFactory()
    rng = random.Random(4)
    for n in range(12):
        factory = [SchoolFactory, CompanyFactory, MunicipalityFactory, AmbassadorFactory][n % 4]
        member = located(
            factory,
            lat=41.9 + rng.random() / 100 * n,
            lon=12.5 + rng.random() / 100 * n,
            email=f"private{n}@example.org",
            phone=f"+39 06 555 000{n}",
            notes=f"secret note {n}",
            street=f"Via Privata {n}",
            sectors=[sector],
        )
        RecognitionFactory(member=member)
    query = "" if zoom is None else f"?zoom={zoom}"

    body = feed(anonymous_client, query)

    assert set(body) == TOP_LEVEL_KEYS
    assert body["total"] == 12
    for feature in body["features"]:
        properties = feature["properties"]
        assert set(feature) == (
            CLUSTER_FEATURE_KEYS if properties["cluster"] else MEMBER_FEATURE_KEYS
        )
        assert set(feature["geometry"]) == GEOMETRY_KEYS
        allowed = CLUSTER_KEYS if properties["cluster"] else MEMBER_KEYS
        assert set(properties) <= allowed
        assert set(properties) >= allowed - {"website"}
    text = json.dumps(body)
    for private in ("private", "555 000", "secret note", "Via Privata", "RMIC", "IKM-"):
        assert private not in text


def test_filter_by_kind_single_repeated_and_comma_separated(anonymous_client):
    school = located(SchoolFactory)
    company = located(CompanyFactory)
    municipality = located(MunicipalityFactory)

    assert ids(feed(anonymous_client, "?kind=school")) == {school.pk}
    assert ids(feed(anonymous_client, "?kind=school&kind=company")) == {school.pk, company.pk}
    assert ids(feed(anonymous_client, "?kind=company,municipality")) == {
        company.pk,
        municipality.pk,
    }
    assert ids(feed(anonymous_client, "?kind=ambassador")) == set()


def test_filter_by_country_chapter_and_sector(anonymous_client):
    italy = ChapterFactory(name="Italy", country="IT")
    switzerland = ChapterFactory(name="Switzerland", country="CH")
    education = SectorFactory(slug="education")
    health = SectorFactory(slug="health", name_en="Health", name_it="Salute")
    roma = located(SchoolFactory, sectors=[education])
    lugano = located(
        SchoolFactory, country="CH", city="Lugano", lat=46.0, lon=8.95, sectors=[education, health]
    )
    zurich = located(CompanyFactory, country="CH", city="Zürich", lat=47.37, lon=8.54)

    assert ids(feed(anonymous_client, "?country=CH")) == {lugano.pk, zurich.pk}
    assert ids(feed(anonymous_client, "?country=it")) == {roma.pk}
    assert ids(feed(anonymous_client, f"?chapter={switzerland.pk}")) == {lugano.pk, zurich.pk}
    assert ids(feed(anonymous_client, f"?chapter={italy.pk}")) == {roma.pk}
    assert ids(feed(anonymous_client, "?sector=education")) == {roma.pk, lugano.pk}
    assert ids(feed(anonymous_client, "?sector=health&country=CH")) == {lugano.pk}
    assert ids(feed(anonymous_client, "?sector=unknown")) == set()
    body = feed(anonymous_client, "?country=CH&kind=school")
    assert (body["total"], body["countries"]) == (1, 1)
    body = feed(anonymous_client)
    assert (body["total"], body["countries"]) == (3, 2)


def test_filter_by_bbox(anonymous_client):
    roma = located(SchoolFactory, lat=41.9, lon=12.5)
    milano = located(SchoolFactory, lat=45.46, lon=9.19)
    fiji = located(SchoolFactory, lat=-17.7, lon=178.0, country="FJ")
    samoa = located(SchoolFactory, lat=-13.8, lon=-172.1, country="WS")

    assert ids(feed(anonymous_client, "?bbox=12,41,13,42")) == {roma.pk}
    assert ids(feed(anonymous_client, "?bbox=6,36,19,47.1")) == {roma.pk, milano.pk}
    # Edges are inside.
    assert ids(feed(anonymous_client, "?bbox=9.19,45.46,12.5,45.46")) == {milano.pk}
    # West above east: the box crosses the antimeridian.
    assert ids(feed(anonymous_client, "?bbox=170,-20,-170,-10")) == {fiji.pk, samoa.pk}
    assert ids(feed(anonymous_client, "?bbox=-180,-90,180,90&kind=school")) == {
        roma.pk,
        milano.pk,
        fiji.pk,
        samoa.pk,
    }


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("kind=castle", "kind"),
        ("kind=school,castle", "kind"),
        ("country=XX", "country"),
        ("country=ITA", "country"),
        ("chapter=abc", "chapter"),
        ("chapter=0", "chapter"),
        ("chapter=99999999999999999999999", "chapter"),
        ("sector=not a slug", "sector"),
        ("bbox=1,2,3", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("bbox=1,2,3,4,5", "bbox"),
        ("bbox=0,0,nan,1", "bbox"),
        ("bbox=0,0,inf,1", "bbox"),
        ("bbox=-181,0,0,1", "bbox"),
        ("bbox=0,10,1,5", "bbox"),
        ("bbox=0,-91,1,5", "bbox"),
        ("zoom=21", "zoom"),
        ("zoom=-1", "zoom"),
        ("zoom=1.5", "zoom"),
        ("lang=fr", "lang"),
        ("country=I%00", "country"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(anonymous_client, query, parameter):
    located(SchoolFactory)

    response = anonymous_client.get(f"{URL}?{query}")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    errors = json.loads(response.content)["errors"]
    assert list(errors) == [parameter]
    assert errors[parameter]


def _scatter(count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    factories = [SchoolFactory, CompanyFactory, OrganizationFactory, MunicipalityFactory]
    for n in range(count):
        # Three dense towns and a scatter across Italy.
        if n % 4 == 3:
            lat, lon = 36 + rng.random() * 11, 6 + rng.random() * 12
        else:
            town = [(41.9, 12.5), (45.46, 9.19), (46.0, 8.95)][n % 3]
            lat, lon = town[0] + rng.random() / 50, town[1] + rng.random() / 50
        located(factories[n % 4], lat=lat, lon=lon)


def test_without_zoom_every_point_and_no_cluster(anonymous_client):
    _scatter(40)

    body = feed(anonymous_client)

    assert body["total"] == 40
    assert len(body["features"]) == 40
    assert not any(f["properties"]["cluster"] for f in body["features"])


@pytest.mark.parametrize("zoom", range(0, 21))
def test_cluster_counts_add_up_to_the_total(anonymous_client, zoom):
    _scatter(40)
    everything = feed(anonymous_client)
    positions = {
        f["properties"]["id"]: f["geometry"]["coordinates"] for f in everything["features"]
    }

    body = feed(anonymous_client, f"?zoom={zoom}")

    assert body["total"] == 40
    clusters = [f for f in body["features"] if f["properties"]["cluster"]]
    singles = [f for f in body["features"] if not f["properties"]["cluster"]]
    assert sum(f["properties"]["count"] for f in clusters) + len(singles) == 40
    for cluster in clusters:
        min_lon, min_lat, max_lon, max_lat = cluster["bbox"]
        assert cluster["properties"]["count"] >= 2
        lon, lat = cluster["geometry"]["coordinates"]
        assert min_lon <= lon <= max_lon
        assert min_lat <= lat <= max_lat
        inside = [
            p
            for p in positions.values()
            if min_lon <= p[0] <= max_lon and min_lat <= p[1] <= max_lat
        ]
        assert len(inside) >= cluster["properties"]["count"]
    for single in singles:
        assert single["geometry"]["coordinates"] == positions[single["properties"]["id"]]
    if zoom <= 3:
        # Italy fits in a few cells at world zoom: far fewer features than members.
        assert len(body["features"]) <= 6
        assert clusters
    if zoom >= 17:
        # From MAP_CLUSTER_MAX_ZOOM on, every member on its own.
        assert not clusters


def test_cluster_bbox_is_that_of_its_members(anonymous_client):
    located(SchoolFactory, lat=41.90, lon=12.50)
    located(SchoolFactory, lat=41.91, lon=12.52)
    located(SchoolFactory, lat=41.905, lon=12.51)
    far = located(SchoolFactory, lat=45.46, lon=9.19)

    body = feed(anonymous_client, "?zoom=6")

    [cluster] = [f for f in body["features"] if f["properties"]["cluster"]]
    assert cluster["properties"] == {"cluster": True, "count": 3}
    assert cluster["bbox"] == [12.5, 41.9, 12.52, 41.91]
    assert cluster["geometry"]["coordinates"] == [12.51, 41.905]
    assert ids(body) == {far.pk}
    # Zoomed in on the three, they come apart.
    assert len(ids(feed(anonymous_client, "?zoom=15&bbox=12.4,41.8,12.6,42"))) == 3


def test_labels_follow_lang_and_accept_language(anonymous_client):
    SectorFactory(slug="education", name_en="Education", name_it="Istruzione")
    located(
        SchoolFactory,
        country="CH",
        city="Lugano",
        sectors=[Sector.objects.get(slug="education")],
    )

    def labels(body):
        properties = body["features"][0]["properties"]
        return properties["country_name"], properties["sectors"]

    assert feed(anonymous_client, "?lang=it")["features"][0]["properties"]["kind_label"] == (
        "Scuola"
    )
    error = anonymous_client.get(URL + "?bbox=1,2", HTTP_ACCEPT_LANGUAGE="it").json()
    assert error["errors"] == {"bbox": ["Indica quattro numeri: minLon,minLat,maxLon,maxLat."]}

    assert labels(feed(anonymous_client)) == ("Switzerland", ["Education"])
    assert labels(feed(anonymous_client, "?lang=it")) == ("Svizzera", ["Istruzione"])
    assert anonymous_client.get(URL + "?lang=it")["Content-Language"] == "it"
    assert labels(feed(anonymous_client, HTTP_ACCEPT_LANGUAGE="it-CH,it;q=0.9")) == (
        "Svizzera",
        ["Istruzione"],
    )
    assert labels(feed(anonymous_client, "?lang=en", HTTP_ACCEPT_LANGUAGE="it")) == (
        "Switzerland",
        ["Education"],
    )


def test_an_italian_sector_name_left_empty_falls_back_to_english(anonymous_client):
    sector = SectorFactory(slug="new", name_en="Newcomers", name_it="")
    located(SchoolFactory, sectors=[sector])

    assert feed(anonymous_client, "?lang=it")["features"][0]["properties"]["sectors"] == [
        "Newcomers"
    ]


def test_headers_cache_control_etag_last_modified_vary(anonymous_client):
    located(SchoolFactory)

    response = anonymous_client.get(URL)

    assert response["Content-Type"] == "application/geo+json"
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["ETag"].startswith('W/"')
    assert response["Last-Modified"].endswith("GMT")
    vary = {v.strip().lower() for v in response["Vary"].split(",")}
    assert {"accept-encoding", "accept-language"} <= vary


def test_gzip_when_the_client_accepts_it(anonymous_client):
    for n in range(30):
        located(SchoolFactory, lat=41 + n / 10, description="Kindness " * 10)
    plain = anonymous_client.get(URL)

    zipped = anonymous_client.get(URL, HTTP_ACCEPT_ENCODING="gzip, deflate, br")

    assert "Content-Encoding" not in plain
    assert zipped["Content-Encoding"] == "gzip"
    assert len(zipped.content) < len(plain.content) / 4
    assert gzip.decompress(zipped.content) == plain.content


def test_conditional_get_answers_304_from_the_version_alone(
    anonymous_client, django_assert_num_queries
):
    located(SchoolFactory)
    first = anonymous_client.get(URL + "?zoom=4")

    # One SELECT of the version each (in the database with the default local-memory cache).
    with django_assert_num_queries(2):
        by_etag = anonymous_client.get(URL + "?zoom=4", HTTP_IF_NONE_MATCH=first["ETag"])
        by_date = anonymous_client.get(
            URL + "?zoom=4", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]
        )

    for response in (by_etag, by_date):
        assert response.status_code == 304
        assert response.content == b""
        assert response["ETag"] == first["ETag"]
        assert response["Cache-Control"] == "public, max-age=300"
    # Another question is another answer.
    other = anonymous_client.get(URL + "?zoom=5", HTTP_IF_NONE_MATCH=first["ETag"])
    assert other.status_code == 200
    assert other["ETag"] != first["ETag"]


def test_three_sql_queries_cold_one_warm_whatever_the_size(
    anonymous_client, django_assert_num_queries
):
    # The version (in the database with the default local-memory cache), then the feed's two.
    sector = SectorFactory()
    located(SchoolFactory, sectors=[sector])
    with django_assert_num_queries(3):
        assert feed(anonymous_client)["total"] == 1
    for n in range(40):
        member = located(SchoolFactory, lat=40 + n / 10, sectors=[sector])
        RecognitionFactory(member=member)

    with django_assert_num_queries(3):
        assert feed(anonymous_client)["total"] == 41
    with django_assert_num_queries(1):
        assert feed(anonymous_client)["total"] == 41
    # World zoom: only clusters, so the sectors and titles are not even asked for (the
    # version, whether the grid index is up to date, the cells).
    with django_assert_num_queries(3):
        body = feed(anonymous_client, "?zoom=0")
    assert all(f["properties"]["cluster"] for f in body["features"])


def test_cache_invalidated_when_a_member_changes(anonymous_client):
    school = located(SchoolFactory, name="Old name")
    etag = anonymous_client.get(URL)["ETag"]

    school.name = "New name"
    school.save()

    response = anonymous_client.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert json.loads(response.content)["features"][0]["properties"]["name"] == "New name"


def test_cache_invalidated_when_an_agreement_changes(anonymous_client):
    school = located(SchoolFactory)
    other = SchoolFactory(latitude=45.0, longitude=9.0)
    assert ids(feed(anonymous_client)) == {school.pk}

    agreement = AgreementFactory(member=other)
    assert ids(feed(anonymous_client)) == {school.pk, other.pk}

    agreement.terminated_on = today()
    agreement.termination_reason = "Left the network."
    agreement.save()
    assert ids(feed(anonymous_client)) == {school.pk}

    school.agreements.all().delete()
    assert ids(feed(anonymous_client)) == set()


def test_cache_invalidated_when_a_recognition_or_sector_changes(anonymous_client):
    sector = SectorFactory(slug="education", name_en="Education")
    school = located(SchoolFactory)

    def properties():
        return feed(anonymous_client)["features"][0]["properties"]

    assert properties()["sectors"] == []
    school.sectors.add(sector)
    assert properties()["sectors"] == ["Education"]
    sector.name_en = "Schooling"
    sector.save()
    assert properties()["sectors"] == ["Schooling"]
    recognition = RecognitionFactory(member=school, title="Kind School")
    assert properties()["recognitions"] == ["Kind School"]
    recognition.delete()
    assert properties()["recognitions"] == []
    school.sectors.clear()
    assert properties()["sectors"] == []


def test_cache_invalidated_when_an_ambassador_withdraws_consent(anonymous_client):
    ambassador = located(AmbassadorFactory)
    assert ids(feed(anonymous_client)) == {ambassador.pk}

    ambassador.map_consent = False
    ambassador.save()

    assert ids(feed(anonymous_client)) == set()


def test_cache_invalidated_when_a_member_is_deleted(anonymous_client):
    school = located(SchoolFactory)
    assert ids(feed(anonymous_client)) == {school.pk}

    Member.objects.get(pk=school.pk).delete()

    assert ids(feed(anonymous_client)) == set()


def test_a_change_bumps_the_version_again_when_it_commits(
    anonymous_client, django_capture_on_commit_callbacks, shared_cache
):
    """A request that read the rows before the commit must not leave a stale map behind."""
    school = located(SchoolFactory)
    assert ids(feed(anonymous_client)) == {school.pk}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        school.show_on_map = False
        school.save()
        # Another request, made before the commit, caches what it sees under the new version.
        cached_before_commit = map_feed_version()
    for callback in callbacks:
        callback()
    assert map_feed_version() > cached_before_commit
    assert ids(feed(anonymous_client)) == set()


CORS_ORIGIN = "https://www.kindness.example"


@override_settings(CORS_ALLOWED_ORIGINS=[CORS_ORIGIN])
def test_cors_for_the_website(anonymous_client):
    located(SchoolFactory)

    allowed = anonymous_client.get(URL, HTTP_ORIGIN=CORS_ORIGIN)
    refused = anonymous_client.get(URL, HTTP_ORIGIN="https://evil.example")
    preflight = anonymous_client.options(
        URL, HTTP_ORIGIN=CORS_ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    )

    assert allowed["Access-Control-Allow-Origin"] == CORS_ORIGIN
    assert "ETag" in allowed["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Origin" not in refused
    assert refused.status_code == 200  # the browser, not the server, enforces CORS
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == CORS_ORIGIN
    assert "GET" in preflight["Access-Control-Allow-Methods"]


@override_settings(CORS_ALLOWED_ORIGINS=[CORS_ORIGIN])
def test_no_cors_on_the_staff_api(superuser_client):
    response = superuser_client.get("/api/v1/", HTTP_ORIGIN=CORS_ORIGIN)

    assert "Access-Control-Allow-Origin" not in response


@override_settings(MAP_THROTTLE_RATE="3/minute")
def test_throttled_generously_per_address(anonymous_client):
    statuses = [anonymous_client.get(URL).status_code for _ in range(4)]
    other_address = anonymous_client.get(URL, REMOTE_ADDR="10.0.0.9")

    assert statuses == [200, 200, 200, 429]
    assert other_address.status_code == 200


def test_open_to_everyone_read_only(anonymous_client, viewer_client, superuser_client):
    located(SchoolFactory)

    for client in (anonymous_client, viewer_client, superuser_client):
        assert client.get(URL).status_code == 200
    assert anonymous_client.post(URL, {}).status_code == 405
    assert superuser_client.delete(URL).status_code == 405


def test_geocoding_results_reach_the_feed(
    anonymous_client, gazetteer, django_capture_on_commit_callbacks
):
    """Geocoding writes with UPDATE (no signal); the feed must not keep the old answer."""
    from geocoding.services import members_geocode

    school = active(SchoolFactory(city="Milano", province="MI", street="", postal_code=""))
    assert feed(anonymous_client)["total"] == 0  # not located yet: nothing, and now cached

    with django_capture_on_commit_callbacks(execute=True):
        members_geocode(member_ids=[school.pk])

    assert ids(feed(anonymous_client)) == {school.pk}


def test_imported_agreements_reach_the_feed(anonymous_client, django_capture_on_commit_callbacks):
    """Imports write in bulk (no signal); the feed must not keep the old answer."""
    from exchange.formats import SpreadsheetCSV
    from exchange.resources import AgreementResource

    school = SchoolFactory(school_code="RMIC00001", latitude=41.9, longitude=12.5)
    assert feed(anonymous_client)["total"] == 0  # no agreement yet: nothing, and now cached
    header = "member_kind,member,type,signed_on,starts_on,ends_on"
    row = f"school,RMIC00001,membership,{days(-10)},{days(-5)},{days(300)}"
    dataset = SpreadsheetCSV().create_dataset(f"{header}\n{row}\n".encode())

    with django_capture_on_commit_callbacks(execute=True):
        result = AgreementResource().import_data(dataset)

    assert result.problems() == []
    assert ids(feed(anonymous_client)) == {school.pk}


def days(n: int) -> datetime.date:
    return today() + datetime.timedelta(days=n)


# --- Where the version lives: the database by default, a shared cache when there is one ---
@pytest.fixture
def shared_cache(settings, tmp_path):
    """A cache every process shares (files here, Redis in production): the version lives there."""
    from django.core.cache import cache

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    yield
    cache.clear()


def test_with_a_shared_cache_warm_and_304_answers_need_no_sql(
    anonymous_client, django_assert_num_queries, shared_cache
):
    from publicmap.cache import map_feed_version_in_cache
    from publicmap.models import MapFeedVersion

    assert map_feed_version_in_cache()
    located(SchoolFactory)
    with django_assert_num_queries(2):
        first = anonymous_client.get(URL)

    with django_assert_num_queries(0):
        warm = anonymous_client.get(URL)
        not_modified = anonymous_client.get(URL, HTTP_IF_NONE_MATCH=first["ETag"])

    assert warm.status_code == 200
    assert warm.content == first.content
    assert not_modified.status_code == 304
    # The database row is not used: changes bump the version in the cache.
    row = MapFeedVersion.objects.get().version
    school = located(SchoolFactory, lat=45.0)
    assert MapFeedVersion.objects.get().version == row
    assert school.pk in ids(feed(anonymous_client))


def test_by_default_the_version_lives_in_the_database(
    anonymous_client, django_capture_on_commit_callbacks
):
    """One UPDATE in the change's own transaction; other processes see it when it commits."""
    from publicmap.cache import map_feed_version_in_cache
    from publicmap.models import MapFeedVersion

    assert not map_feed_version_in_cache()  # locmemcache://, one cache per process
    school = located(SchoolFactory)
    etag = anonymous_client.get(URL)["ETag"]
    before = map_feed_version()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        school.show_on_map = False
        school.save()
        assert MapFeedVersion.objects.get().version == map_feed_version() > before

    assert callbacks == []  # nothing left for the commit: the row commits with the change
    response = anonymous_client.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert ids(json.loads(response.content)) == set()


def test_the_version_never_goes_backwards():
    from publicmap.cache import map_feed_invalidate
    from publicmap.models import MapFeedVersion

    future = map_feed_version() + 3600  # another machine's clock is an hour ahead
    MapFeedVersion.objects.update(version=future)

    map_feed_invalidate()

    assert map_feed_version() == pytest.approx(future + 0.001)


def test_a_lost_version_row_comes_back(anonymous_client):
    from publicmap.cache import map_feed_invalidate
    from publicmap.models import MapFeedVersion

    located(SchoolFactory)
    MapFeedVersion.objects.all().delete()  # as a flush of the database does

    assert feed(anonymous_client)["total"] == 1
    assert MapFeedVersion.objects.count() == 1
    MapFeedVersion.objects.all().delete()
    map_feed_invalidate()
    assert MapFeedVersion.objects.get().version == pytest.approx(map_feed_version())
