"""The staff API of programmes, deliveries and measurements: every filter, constant
queries on the lists, the model's rules as 400s, aggregates only."""

from __future__ import annotations

import pytest

from impact.models import Programme
from tests.conftest import login_verified
from tests.factories import (
    AmbassadorFactory,
    DeliveryFactory,
    ProgrammeFactory,
    SchoolFactory,
    b_kind_test,
)
from tests.impact_network import Y1, Y2

pytestmark = pytest.mark.django_db


def _names(client, url, **query) -> list:
    response = client.get(url, query)
    assert response.status_code == 200, response.content
    return sorted(row.get("name", row["id"]) for row in response.json()["results"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["Kind care", "Kindness at school", "Kindness festival"]),
        ({"programme_type": "training"}, ["Kind care"]),
        ({"sector": "health"}, ["Kind care", "Kindness festival"]),
        ({"member_kind": "municipality"}, ["Kindness festival"]),
        ({"member_kind": "ambassador"}, []),
        ({"year": 1995}, []),
    ],
)
def test_programme_filters(superuser_client, impact_network, query, expected):
    assert _names(superuser_client, "/api/v1/programmes/", **query) == expected


def test_programme_filters_by_chapter_and_running_year(superuser_client, impact_network):
    ch = Programme.objects.get(name="Kind care").chapter
    assert _names(superuser_client, "/api/v1/programmes/", chapter=ch.pk) == ["Kind care"]
    festival = Programme.objects.get(name="Kindness festival")
    Programme.objects.filter(pk=festival.pk).update(ends_on=festival.starts_on)
    year = festival.starts_on.year + 1
    assert _names(superuser_client, "/api/v1/programmes/", year=year) == [
        "Kind care",
        "Kindness at school",
    ]


def _deliveries(client, **query) -> list[tuple[str, int]]:
    response = client.get("/api/v1/deliveries/", query)
    assert response.status_code == 200, response.content
    return sorted(
        (row["started_on"][:4], row["participants"]) for row in response.json()["results"]
    )


def test_delivery_filters(superuser_client, impact_network):
    c = superuser_client
    assert _deliveries(c) == [(str(Y2), 45), (str(Y2), 200), (str(Y1), 25), (str(Y1), 33)]
    assert _deliveries(c, year=Y1) == [(str(Y1), 25), (str(Y1), 33)]
    assert _deliveries(c, programme_type="course") == [(str(Y2), 45), (str(Y1), 33)]
    assert _deliveries(c, sector="education") == [(str(Y2), 45), (str(Y2), 200), (str(Y1), 33)]
    assert _deliveries(c, member_kind="company") == [(str(Y1), 25)]
    chapter = impact_network["companies"][0].chapter_id
    assert _deliveries(c, chapter=chapter) == [(str(Y1), 25)]
    assert _deliveries(c, member=impact_network["towns"][0].pk) == [(str(Y2), 200)]


def test_measurement_filters_and_fields(superuser_client, impact_network):
    rows = superuser_client.get("/api/v1/measurements/", {"year": 2000}).json()["results"]
    assert rows == []
    rows = superuser_client.get(
        "/api/v1/measurements/", {"programme_type": "course", "ordering": "respondents"}
    ).json()["results"]
    assert [row["respondents"] for row in rows] == [5, 6, 20]
    assert set(rows[0]) == {
        "id",
        "delivery",
        "instrument",
        "measured_on",
        "respondents",
        "mean_before",
        "sd_before",
        "mean_after",
        "sd_after",
    }


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/programmes/?programme_type=party", "programme_type"),
        ("/api/v1/programmes/?sector=nowhere", "sector"),
        ("/api/v1/deliveries/?year=abc", "year"),
        ("/api/v1/deliveries/?member_kind=robot", "member_kind"),
        ("/api/v1/measurements/?year=1200", "year"),
    ],
)
def test_bad_filter_values_are_400(superuser_client, url, parameter):
    response = superuser_client.get(url)
    assert response.status_code == 400
    assert parameter in response.json()


def test_lists_cost_constant_queries(
    superuser_client,
    impact_network,
    django_assert_num_queries,
):
    for _ in range(5):
        DeliveryFactory(students=12)
    # session, user, OTP device, the page (its count a sub-select of it), sectors
    with django_assert_num_queries(5):
        superuser_client.get("/api/v1/programmes/")
    with django_assert_num_queries(4):
        superuser_client.get("/api/v1/deliveries/")


def test_the_models_rules_are_400s_and_nothing_is_written(superuser_client, impact_network):
    programme = Programme.objects.get(name="Kindness at school")
    school = impact_network["schools"][5]
    bad = superuser_client.post(
        "/api/v1/deliveries/",
        {
            "programme": programme.pk,
            "member": school.pk,
            "started_on": "2025-05-10",
            "ended_on": "2025-05-01",
            "students": 10,
        },
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert "cannot end before it starts" in str(bad.json())
    assert not school.deliveries.exists()

    measurement = superuser_client.post(
        "/api/v1/measurements/",
        {
            "delivery": impact_network["first"].pk,
            "instrument": b_kind_test().pk,
            "measured_on": "2025-05-10",
            "respondents": 12,
            "mean_before": 60,
            "mean_after": 140,
            "sd_before": 5,
            "sd_after": 5,
        },
        content_type="application/json",
    )
    assert measurement.status_code == 400
    assert "mean_after" in measurement.json()

    created = superuser_client.post(
        "/api/v1/programmes/",
        {
            "name": "Kind hospitals",
            "programme_type": "training",
            "chapter": programme.chapter_id,
            "sectors": ["health"],
            "starts_on": "2025-01-01",
            "target_participants": 6000,
            "target_kind": "health_workers",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["sectors"] == ["health"]


def test_a_chapter_manager_sees_its_chapter_only(impact_network, django_user_model, client):
    from django.contrib.auth.models import Group

    from crm.models import ChapterScope

    manager = django_user_model.objects.create_user("ch-manager", password="pw", is_staff=True)
    manager.groups.add(Group.objects.get(name="Chapter manager"))
    ChapterScope.objects.create(user=manager).chapters.add(impact_network["companies"][0].chapter)
    login_verified(client, manager)

    assert _names(client, "/api/v1/programmes/") == ["Kind care"]
    assert _deliveries(client) == [(str(Y1), 25)]


def test_an_ambassadors_delivery_names_no_one(superuser_client, reference_data):
    ambassador = AmbassadorFactory()
    DeliveryFactory(member=ambassador, programme=ProgrammeFactory(), citizens=30)
    SchoolFactory()

    [row] = superuser_client.get("/api/v1/deliveries/").json()["results"]

    assert row["member"] == ambassador.pk and "name" not in row and "email" not in row
