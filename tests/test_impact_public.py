"""GET /api/v1/impact/ and /api/v1/impact/members/<id>/: the website's figures.

A hand-made network whose every figure is known; small groups withheld; no personal
data; cached, validated, constant in queries; the cache may be down.
"""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.cache import cache

from crm.models import Agreement
from impact.models import Instrument
from tests.factories import (
    AgreementFactory,
    AmbassadorFactory,
    CompanyFactory,
    DeliveryFactory,
    MeasurementFactory,
    MunicipalityFactory,
    ProgrammeFactory,
    SchoolFactory,
    bulk_create,
    days,
    today,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/impact/"
Y1, Y2 = today().year - 1, today().year - 2


def _active(members) -> None:
    bulk_create(
        AgreementFactory,
        ({"member": m, "signed_on": days(-40), "starts_on": days(-30)} for m in members),
    )


@pytest.fixture
def network(reference_data):
    """26 active members (12 schools, 10 companies in CH, 3 municipalities, 1 ambassador),
    2 schools without agreement, three programmes delivered five times, two instruments."""
    it, ch = reference_data["IT"], reference_data["CH"]
    schools = bulk_create(SchoolFactory, [{"chapter": it} for _ in range(14)])
    companies = bulk_create(CompanyFactory, [{"chapter": ch, "country": "CH"} for _ in range(10)])
    towns = bulk_create(MunicipalityFactory, [{"chapter": it} for _ in range(3)])
    ambassador = bulk_create(AmbassadorFactory, [{"chapter": it}])
    _active([*schools[:12], *companies, *towns, *ambassador])
    education, health = reference_data["education"], reference_data["health"]
    school_course = ProgrammeFactory(
        name="Kindness at school",
        sectors=[education],
        target_participants=100,
        target_kind="students",
    )
    training = ProgrammeFactory(
        name="Kind care", programme_type="training", chapter=ch, sectors=[health]
    )
    festival = ProgrammeFactory(
        name="Kindness festival", programme_type="festival", sectors=[education, health]
    )
    first = DeliveryFactory(
        programme=school_course,
        member=schools[0],
        started_on=datetime.date(Y2, 3, 1),
        sessions=4,
        students=40,
        teachers=5,
    )
    second = DeliveryFactory(
        programme=school_course,
        member=schools[1],
        started_on=datetime.date(Y1, 3, 1),
        sessions=3,
        students=30,
        teachers=3,
    )
    DeliveryFactory(
        programme=training,
        member=companies[0],
        started_on=datetime.date(Y1, 5, 1),
        health_workers=25,
    )
    DeliveryFactory(
        programme=festival,
        member=towns[0],
        started_on=datetime.date(Y2, 9, 1),
        sessions=1,
        citizens=200,
    )
    MeasurementFactory(delivery=first, respondents=20, mean_before=60, mean_after=66)
    MeasurementFactory(
        delivery=second, respondents=5, mean_before=70, mean_after=70, sd_before=0, sd_after=0
    )
    other = Instrument.objects.create(name="Empathy scale", scale_min=1, scale_max=5)
    MeasurementFactory(
        delivery=second, instrument=other, respondents=6, mean_before=3, mean_after=4
    )
    return {"schools": schools, "companies": companies, "towns": towns, "first": first}


def _kinds(students, teachers, health_workers, employees, citizens):
    labels = ["Students", "Teachers", "Health workers", "Employees", "Citizens"]
    names = ["students", "teachers", "health_workers", "employees", "citizens"]
    counts = [students, teachers, health_workers, employees, citizens]
    return [
        {"kind": n, "label": label, "count": c}
        for n, label, c in zip(names, labels, counts, strict=True)
    ]


def test_every_figure_of_a_hand_made_network(network, anonymous_client):
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
                    "by_participant_kind": _kinds(30, None, None, 0, 0),
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
