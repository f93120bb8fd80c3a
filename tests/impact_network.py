"""A hand-made network whose every impact figure is known (tests of the public figures,
the report and the staff API use it through the `impact_network` fixture)."""

from __future__ import annotations

import datetime

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

#: The years of the deliveries: last year and the one before.
Y1, Y2 = today().year - 1, today().year - 2


def _active(members) -> None:
    bulk_create(
        AgreementFactory,
        ({"member": m, "signed_on": days(-40), "starts_on": days(-30)} for m in members),
    )


def impact_network_create(reference_data: dict) -> dict:
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
