"""GET /api/v1/impact/ and /api/v1/impact/members/<id>/: the website's figures.

A hand-made network whose every figure is known; small groups withheld; no personal
data; cached, validated, constant in queries; the cache may be down.
"""

from __future__ import annotations

import json

import pytest

from crm.models import Agreement
from tests.factories import (
    DeliveryFactory,
)
from tests.impact_network import Y1, Y2

pytestmark = pytest.mark.django_db
URL = "/api/v1/impact/"


def _kinds(students, teachers, health_workers, employees, citizens):
    labels = ["Students", "Teachers", "Health workers", "Employees", "Citizens"]
    names = ["students", "teachers", "health_workers", "employees", "citizens"]
    counts = [students, teachers, health_workers, employees, citizens]
    return [
        {"kind": n, "label": label, "count": c}
        for n, label, c in zip(names, labels, counts, strict=True)
    ]


def test_every_figure_of_a_hand_made_network(impact_network, anonymous_client):
    response = anonymous_client.get(URL, {"lang": "en"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "minimum_group_size": 10,
        "members": {
            "total": 26,
            "by_kind": [
                # 1 ambassador and 3 municipalities: small groups, withheld.
                {"kind": "ambassador", "label": "Ambassador", "count": None},
                {"kind": "company", "label": "Company", "count": 10},
                {"kind": "municipality", "label": "Municipality", "count": None},
                {"kind": "school", "label": "School", "count": 12},
            ],
            "by_country": [
                {"country": "CH", "name": "Switzerland", "count": 10},
                {"country": "IT", "name": "Italy", "count": 16},
            ],
        },
        "countries": 2,
        "countries_reached": 2,
        "programmes": {
            "total": 3,
            "by_type": [
                {"type": "course", "label": "Course", "count": 1},
                {"type": "festival", "label": "Festival", "count": 1},
                {"type": "training", "label": "Training", "count": 1},
            ],
        },
        "reached": {
            # 70 students, 8 teachers, 25 health workers, 200 citizens.
            "total": 303,
            "sessions": 10,
            # 8 teachers are withheld, and so the next smallest part (25), or 303 - the
            # others would give them away.
            "by_participant_kind": _kinds(70, None, None, 0, 200),
            "by_sector": [
                {"sector": "education", "name": "Education", "count": 278},
                {"sector": "health", "name": "Health", "count": 225},
            ],
            "by_year": [
                {
                    "year": Y1,
                    "total": 58,
                    "sessions": 5,
                    # 3 teachers withheld, so the 25 health workers beside them; then the
                    # 30 students, since the 40 of the other year (withheld) would follow
                    # from the 70 in all.
                    "by_participant_kind": _kinds(None, None, None, 0, 0),
                },
                {
                    "year": Y2,
                    "total": 245,
                    "sessions": 5,
                    "by_participant_kind": _kinds(None, None, 0, 0, 200),
                },
            ],
        },
        "change": [
            # Pooled over 20 + 5 respondents: (20*60 + 5*70) / 25 and (20*66 + 5*70) / 25.
            {
                "instrument": "B-Kind Test",
                "respondents": 25,
                "mean_before": 62.0,
                "mean_after": 66.8,
                "change": 4.8,
            },
            # Six respondents: too few to show anything.
            {
                "instrument": "Empathy scale",
                "respondents": None,
                "mean_before": None,
                "mean_after": None,
                "change": None,
            },
        ],
    }


def test_a_smaller_minimum_shows_smaller_groups(impact_network, anonymous_client, settings):
    settings.IMPACT_MIN_GROUP_SIZE = 2

    body = anonymous_client.get(URL, {"lang": "en"}).json()

    assert body["minimum_group_size"] == 2
    # The one ambassador alone is withheld, and so the next smallest kind (3 municipalities).
    assert [k["count"] for k in body["members"]["by_kind"]] == [None, 10, None, 12]
    assert body["reached"]["by_participant_kind"] == _kinds(70, 8, 25, 0, 200)
    assert body["change"][1]["respondents"] == 6


def test_no_figure_of_a_small_group_and_no_personal_data(impact_network, anonymous_client):
    """Every count in the body is null, zero or at least the minimum; no member, person,
    programme or e-mail is named anywhere."""
    text = anonymous_client.get(URL).content.decode()
    body = json.loads(text)

    def counts(node, key=""):
        if isinstance(node, dict):
            for name, value in node.items():
                yield from counts(value, name)
        elif isinstance(node, list):
            for item in node:
                yield from counts(item, key)
        elif key in {"count", "total", "respondents"} and node is not None:
            yield key, node

    figures = list(counts(body["members"])) + list(counts(body["reached"]))
    figures += list(counts(body["change"]))
    assert figures and all(value == 0 or value >= 10 for _key, value in figures)
    for member in [
        *impact_network["schools"],
        *impact_network["companies"],
        *impact_network["towns"],
    ]:
        assert member.name not in text
    assert "Kindness at school" not in text
    assert "@" not in text and "Rossi" not in text


def test_labels_follow_the_language(impact_network, anonymous_client):
    body = anonymous_client.get(URL, {"lang": "it"}).json()

    assert body["reached"]["by_participant_kind"][0]["label"] == "Studenti"
    assert body["reached"]["by_sector"][0]["name"] == "Istruzione"
    assert anonymous_client.get(URL, {"lang": "xx"}).status_code == 400


def test_constant_queries_cached_answer_and_etag(
    impact_network, anonymous_client, django_assert_num_queries
):
    with django_assert_num_queries(10):  # the version, then the figures' nine queries
        first = anonymous_client.get(URL)
    assert first["X-Impact-Cache"] == "miss"
    with django_assert_num_queries(1):  # the version only
        second = anonymous_client.get(URL)
    assert second["X-Impact-Cache"] == "hit"
    assert second.content == first.content
    assert "public" in second["Cache-Control"] and "max-age=300" in second["Cache-Control"]
    with django_assert_num_queries(1):
        not_modified = anonymous_client.get(URL, HTTP_IF_NONE_MATCH=first["ETag"])
    assert not_modified.status_code == 304


def test_more_deliveries_cost_no_more_queries(
    impact_network, anonymous_client, django_assert_num_queries
):
    for school in impact_network["schools"][2:6]:
        DeliveryFactory(member=school, students=15)

    with django_assert_num_queries(10):
        anonymous_client.get(URL)


def test_a_new_delivery_makes_the_answer_stale(impact_network, anonymous_client):
    first = anonymous_client.get(URL)
    DeliveryFactory(member=impact_network["schools"][3], students=100)

    again = anonymous_client.get(URL, HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 200
    assert again.json()["reached"]["total"] == 403


def test_a_lapsed_agreement_updates_the_members(impact_network, anonymous_client):
    anonymous_client.get(URL)
    Agreement.objects.filter(member=impact_network["companies"][0]).delete()

    body = anonymous_client.get(URL).json()

    assert body["members"]["total"] == 25
    assert body["members"]["by_country"][0] == {
        "country": "CH",
        "name": "Switzerland",
        "count": None,
    }


CORS_ORIGIN = "https://www.kindness.example"


def test_cors_for_the_website(impact_network, anonymous_client, settings):
    settings.CORS_ALLOWED_ORIGINS = [CORS_ORIGIN]

    response = anonymous_client.get(URL, HTTP_ORIGIN=CORS_ORIGIN)

    assert response["Access-Control-Allow-Origin"] == CORS_ORIGIN
    assert "ETag" in response["Access-Control-Expose-Headers"]


def test_the_figures_answer_with_the_cache_down(impact_network, anonymous_client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }

    response = anonymous_client.get(URL)

    assert response.status_code == 200
    assert response["X-Impact-Cache"] == "unavailable"
    assert "ETag" not in response
    assert response.json()["reached"]["total"] == 303


def test_throttled(impact_network, anonymous_client, settings):
    settings.IMPACT_THROTTLE_RATE = "2/minute"

    statuses = [anonymous_client.get(URL).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


# --- a member's programmes, for its card on the map ------------------------------------


def _on_map(member) -> None:
    member.latitude, member.longitude, member.geocode_status = 41.9, 12.5, "ok"
    member.save()


def test_a_member_shows_its_programmes_only_when_it_allows_it(impact_network, anonymous_client):
    school = impact_network["schools"][0]
    _on_map(school)
    url = f"{URL}members/{school.pk}/"

    assert anonymous_client.get(url).json() == {"id": school.pk, "programmes": []}

    school.show_programmes = True
    school.save()
    assert anonymous_client.get(url, {"lang": "it"}).json() == {
        "id": school.pk,
        "programmes": [
            {"name": "Kindness at school", "type": "course", "type_label": "Corso", "year": Y2}
        ],
    }


def test_a_member_off_the_map_has_no_programmes_to_show(impact_network, anonymous_client):
    school = impact_network["schools"][0]  # no coordinates
    school.show_programmes = True
    school.save()
    inactive = impact_network["schools"][13]
    _on_map(inactive)

    assert anonymous_client.get(f"{URL}members/{school.pk}/").status_code == 404
    assert anonymous_client.get(f"{URL}members/{inactive.pk}/").status_code == 404
    assert anonymous_client.get(f"{URL}members/999999/").status_code == 404


def test_a_table_withholds_along_rows_and_columns():
    from impact.disclosure import table_shown

    table = {
        2025: {"students": 30, "teachers": 3, "health_workers": 25},
        2024: {"students": 40, "teachers": 12, "health_workers": 0},
    }

    assert table_shown(table, minimum=10) == {
        # 3 withheld; its row's next smallest (25); the teachers' column then has one
        # withheld (3), so 12 goes too, and with it 40 in its row, and 30 in the column.
        2025: {"students": None, "teachers": None, "health_workers": None},
        2024: {"students": None, "teachers": None, "health_workers": 0},
    }
    assert table_shown({2025: {"students": 30, "teachers": 12}}, minimum=10) == {
        2025: {"students": 30, "teachers": 12}
    }


def test_a_withheld_year_cannot_be_worked_out_from_the_total(anonymous_client):
    # 3 people in one year, 100 and 50 in others: the total 153 is shown, so withholding
    # the 3 alone would give it away (153 - 100 - 50); the next smallest year goes too.
    from impact.selectors import reach_in_year

    for year, citizens in ((2022, 100), (2023, 50), (2024, 3)):
        DeliveryFactory(started_on=f"{year}-03-01", citizens=citizens)

    body = anonymous_client.get(URL, {"lang": "en"}).json()["reached"]

    assert body["total"] == 153
    assert {row["year"]: row["total"] for row in body["by_year"]} == {
        2024: None,
        2023: None,
        2022: 100,
    }
    # The front page's line of the year withholds the same.
    assert reach_in_year(2023).people is None
    assert reach_in_year(2022).people == 100
    assert reach_in_year(2021).people == 0


def test_a_lone_small_sector_cannot_be_worked_out_from_the_total(anonymous_client):
    # Each programme serves one sector: 100 + 50 + 3 = 153, the total shown; the 3
    # withheld alone would follow, so the next smallest sector is withheld too.
    from tests.factories import ProgrammeFactory, SectorFactory

    for slug, citizens in (("education", 100), ("health", 50), ("culture", 3)):
        sector = SectorFactory(slug=slug, name_en=slug, name_it=slug)
        DeliveryFactory(programme=ProgrammeFactory(sectors=[sector]), citizens=citizens)

    body = anonymous_client.get(URL, {"lang": "en"}).json()["reached"]

    assert body["total"] == 153
    assert {row["sector"]: row["count"] for row in body["by_sector"]} == {
        "culture": None,
        "education": 100,
        "health": None,
    }
