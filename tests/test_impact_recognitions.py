"""Recognitions with rules: who qualifies on a day follows the rule (kind, active
agreement, recent deliveries) as time passes; staff award and withdraw with a date and
a reason, and a withdrawn title leaves the public map."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from crm.models import Member, Recognition
from impact.models import RecognitionRule
from impact.selectors import months_before, qualifying_members, recognition_standing
from impact.services import recognition_award, recognition_withdraw
from publicmap.selectors import map_feed_build
from tests.factories import (
    AgreementFactory,
    CompanyFactory,
    DeliveryFactory,
    RecognitionFactory,
    RecognitionRuleFactory,
    SchoolFactory,
    days,
    today,
)

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def schools(reference_data):
    """A school with an agreement until 2026-06-30 and a course on 2025-03-10; one with
    no delivery; a company with a course (wrong kind for Kind School)."""
    active = SchoolFactory(name="Scuola Attiva")
    AgreementFactory(
        member=active, signed_on=D(2024, 1, 1), starts_on=D(2024, 1, 1), ends_on=D(2026, 6, 30)
    )
    DeliveryFactory(member=active, started_on=D(2025, 3, 10))
    idle = SchoolFactory(name="Scuola Ferma")
    AgreementFactory(
        member=idle, signed_on=D(2024, 1, 1), starts_on=D(2024, 1, 1), ends_on=D(2026, 6, 30)
    )
    company = CompanyFactory(name="Azienda Gentile")
    AgreementFactory(
        member=company, signed_on=D(2024, 1, 1), starts_on=D(2024, 1, 1), ends_on=D(2026, 6, 30)
    )
    DeliveryFactory(member=company, started_on=D(2025, 3, 10))
    return active, idle, company


def _names(rule, day) -> list[str]:
    return sorted(qualifying_members(rule, day).values_list("name", flat=True))


def test_qualification_follows_the_rule_over_time(schools):
    rule = RecognitionRuleFactory()  # a school, active agreement, 1 delivery in 12 months

    assert _names(rule, D(2025, 3, 9)) == []  # the course has not started yet
    assert _names(rule, D(2025, 3, 10)) == ["Scuola Attiva"]
    assert _names(rule, D(2026, 3, 9)) == ["Scuola Attiva"]
    assert _names(rule, D(2026, 3, 10)) == []  # twelve months later it no longer counts


def test_each_criterion_of_a_rule(schools):
    active = schools[0]
    rule = RecognitionRuleFactory(member_kind="", within_months=24)
    assert _names(rule, D(2026, 3, 10)) == ["Azienda Gentile", "Scuola Attiva"]
    assert _names(rule, D(2026, 7, 1)) == []  # the agreements ended on 30 June

    rule.requires_active_agreement = False
    assert _names(rule, D(2026, 7, 1)) == ["Azienda Gentile", "Scuola Attiva"]

    rule.deliveries_required = 2
    assert _names(rule, D(2026, 7, 1)) == []
    DeliveryFactory(member=active, started_on=D(2026, 5, 2))
    assert _names(rule, D(2026, 7, 1)) == ["Scuola Attiva"]

    rule.programme_types = ["festival"]
    assert _names(rule, D(2026, 7, 1)) == []
    rule.deliveries_required = 0  # no delivery needed at all
    assert "Scuola Ferma" in _names(rule, D(2026, 7, 1))


def test_months_before_keeps_the_end_of_the_month():
    assert months_before(D(2026, 3, 31), 1) == D(2026, 2, 28)
    assert months_before(D(2026, 3, 10), 12) == D(2025, 3, 10)
    assert months_before(D(2024, 2, 29), 12) == D(2023, 2, 28)


def test_standing_lists_who_to_award_and_who_to_review(schools):
    active, idle, _company = schools
    rule = RecognitionRuleFactory()
    RecognitionFactory(member=idle, title="Kind School", awarded_on=D(2024, 6, 1))
    RecognitionFactory(member=active, title="Kind Island", awarded_on=D(2024, 6, 1))

    standing = recognition_standing(rule, members=Member.objects.all(), day=D(2025, 6, 1))

    assert [m.name for m in standing.to_award] == ["Scuola Attiva"]
    assert [(m.name, r.awarded_on) for m, r in standing.to_review] == [
        ("Scuola Ferma", D(2024, 6, 1))
    ]
    assert standing.holding == []


def test_standing_on_a_past_day_counts_a_title_withdrawn_later_as_held(schools):
    """On 2025-06-01 Scuola Attiva held Kind School (withdrawn in 2025-09): it is a holder
    then, not a candidate for a second award."""
    active, _idle, _company = schools
    rule = RecognitionRuleFactory()
    RecognitionFactory(
        member=active,
        title="Kind School",
        awarded_on=D(2024, 6, 1),
        withdrawn_on=D(2025, 9, 1),
        withdrawal_reason="No programme since",
    )

    standing = recognition_standing(rule, members=Member.objects.all(), day=D(2025, 6, 1))

    assert standing.to_award == []
    assert [m.name for m in standing.holding] == ["Scuola Attiva"]
    later = recognition_standing(rule, members=Member.objects.all(), day=D(2025, 10, 1))
    assert later.holding == [] and later.to_review == []


def test_award_needs_the_criteria_and_a_reason(schools):
    active, idle, _company = schools
    rule = RecognitionRuleFactory()

    with pytest.raises(ValidationError, match="does not meet the criteria"):
        recognition_award(rule=rule, member=idle, awarded_on=D(2025, 6, 1), reason="Asked")
    with pytest.raises(ValidationError):
        recognition_award(rule=rule, member=active, awarded_on=D(2025, 6, 1), reason="  ")
    assert not Recognition.objects.exists()

    title = recognition_award(
        rule=rule, member=active, awarded_on=D(2025, 6, 1), reason="Course of March 2025"
    )

    assert (title.title, title.awarded_on, title.note) == (
        "Kind School",
        D(2025, 6, 1),
        "Course of March 2025",
    )
    with pytest.raises(ValidationError, match="already holds"):
        recognition_award(rule=rule, member=active, awarded_on=D(2025, 7, 1), reason="Again")


def test_withdraw_keeps_the_record_with_date_and_reason(schools):
    active = schools[0]
    held = RecognitionFactory(member=active, title="Kind School", awarded_on=D(2025, 6, 1))

    with pytest.raises(ValidationError):
        recognition_withdraw(recognition=held, withdrawn_on=D(2025, 5, 1), reason="Too early")
    with pytest.raises(ValidationError):
        recognition_withdraw(recognition=held, withdrawn_on=D(2026, 4, 1), reason="")
    recognition_withdraw(
        recognition=held, withdrawn_on=D(2026, 4, 1), reason="No programme in 12 months"
    )

    held.refresh_from_db()
    assert (held.withdrawn_on, held.withdrawal_reason) == (
        D(2026, 4, 1),
        "No programme in 12 months",
    )
    with pytest.raises(ValidationError, match="already withdrawn"):
        recognition_withdraw(recognition=held, withdrawn_on=D(2026, 4, 2), reason="Twice")


def test_a_withdrawn_title_leaves_the_public_map(reference_data):
    school = SchoolFactory(latitude=41.9, longitude=12.5, geocode_status="ok")
    AgreementFactory(member=school)
    held = RecognitionFactory(member=school, title="Kind School", awarded_on=days(-100))
    RecognitionFactory(member=school, title="Kind Island", awarded_on=days(-50))

    def titles():
        [feature] = map_feed_build()["features"]
        return feature["properties"]["recognitions"]

    assert titles() == ["Kind Island", "Kind School"]
    recognition_withdraw(recognition=held, withdrawn_on=today(), reason="Rule no longer met")
    assert titles() == ["Kind Island"]


def test_staff_award_and_withdraw_from_the_standing_page(schools, superuser_client):
    active, idle, _company = schools
    rule = RecognitionRuleFactory(within_months=120)
    RecognitionFactory(member=idle, title="Kind School", awarded_on=D(2024, 6, 1))
    url = f"/admin/impact/recognitionrule/{rule.pk}/standing/"

    page = superuser_client.get(url, {"day": "2025-06-01"}).content.decode()
    assert "1 member qualifies and does not hold the title" in page
    assert "1 member holds the title and no longer qualifies" in page

    missing_reason = superuser_client.post(
        url, {"action": "award", "member": active.pk, "day": "2025-06-01", "reason": ""}
    )
    assert missing_reason.status_code == 200 and "errorlist" in missing_reason.content.decode()
    assert not Recognition.objects.filter(member=active).exists()

    awarded = superuser_client.post(
        url, {"action": "award", "member": active.pk, "day": "2025-06-01", "reason": "Course"}
    )
    assert awarded.status_code == 302
    assert Recognition.objects.get(member=active, title="Kind School").note == "Course"

    superuser_client.post(
        url, {"action": "withdraw", "member": idle.pk, "day": "2025-06-02", "reason": "Idle"}
    )
    assert Recognition.objects.get(member=idle).withdrawn_on == D(2025, 6, 2)
    assert RecognitionRule.objects.count() == 1
