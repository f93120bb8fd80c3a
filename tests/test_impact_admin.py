"""Staff pages of impact: lists in constant queries, deliveries inline on the programme
and on the member's page, bad input refused with nothing written."""

from __future__ import annotations

import pytest

from impact.models import Programme
from tests.factories import (
    DeliveryFactory,
    MeasurementFactory,
    ProgrammeFactory,
    RecognitionRuleFactory,
    SchoolFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered(reference_data):
    programme = ProgrammeFactory(name="Kindness at school", sectors=[reference_data["education"]])
    school = SchoolFactory(name="Scuola Gentile")
    delivery = DeliveryFactory(programme=programme, member=school, students=120)
    MeasurementFactory(delivery=delivery)
    return programme, school, delivery


def test_lists_cost_constant_queries(delivered, superuser_client, django_assert_max_num_queries):
    for _ in range(6):
        DeliveryFactory(programme=ProgrammeFactory())
    pages = {
        "/admin/impact/programme/": "Kindness at school",
        "/admin/impact/delivery/": "Scuola Gentile",
        "/admin/impact/measurement/": "B-Kind Test",
        "/admin/impact/instrument/": "B-Kind Test",
    }
    for url, text in pages.items():
        with django_assert_max_num_queries(10):  # session, user, filters' choices, page
            response = superuser_client.get(url)
        assert response.status_code == 200, url
        assert text in response.content.decode(), url


def test_deliveries_inline_on_the_programme_and_the_members_page(delivered, superuser_client):
    programme, school, delivery = delivered

    on_programme = superuser_client.get(f"/admin/impact/programme/{programme.pk}/change/")
    on_member = superuser_client.get(f"/admin/partners/school/{school.pk}/change/")
    on_delivery = superuser_client.get(f"/admin/impact/delivery/{delivery.pk}/change/")

    assert on_programme.status_code == on_member.status_code == on_delivery.status_code == 200
    assert "deliveries-TOTAL_FORMS" in on_programme.content.decode()
    member_page = on_member.content.decode()
    assert "Programmes delivered" in member_page and "deliveries-TOTAL_FORMS" in member_page
    assert 'name="show_programmes"' in member_page
    assert "measurements-TOTAL_FORMS" in on_delivery.content.decode()


def test_a_bad_programme_is_refused_and_nothing_is_written(reference_data, superuser_client):
    response = superuser_client.post(
        "/admin/impact/programme/add/",
        {
            "name": "Backwards",
            "programme_type": "course",
            "chapter": reference_data["IT"].pk,
            "starts_on": "2025-05-10",
            "ends_on": "2025-05-01",
            "accredited_on": "2025-01-01",
            "deliveries-TOTAL_FORMS": "0",
            "deliveries-INITIAL_FORMS": "0",
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "A programme cannot end before it starts." in page
    assert "Name the body that gave the accreditation." in page
    assert not Programme.objects.exists()


def test_report_and_rules_are_reachable_from_their_lists(delivered, superuser_client):
    rule = RecognitionRuleFactory()

    programmes = superuser_client.get("/admin/impact/programme/").content.decode()
    rules = superuser_client.get("/admin/impact/recognitionrule/").content.decode()

    assert 'href="/admin/impact/programme/report/"' in programmes
    assert f'href="/admin/impact/recognitionrule/{rule.pk}/standing/"' in rules
    report = superuser_client.get("/admin/impact/programme/report/?year=abc")
    assert report.status_code == 200  # a bad filter is ignored, with the form's error
    assert "Select a valid choice" in report.content.decode()
