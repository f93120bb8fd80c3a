"""Agreements: statuses derived from dates, queries by date, references and renewal."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from crm.models import Agreement, AgreementQuerySet, AgreementStatus
from crm.services import agreement_renew, period_end
from tests.factories import AgreementFactory, SchoolFactory, today

pytestmark = pytest.mark.django_db

D = datetime.date(2026, 3, 15)


def days(n: int) -> datetime.date:
    return D + datetime.timedelta(days=n)


@pytest.fixture(autouse=True)
def expiring_horizon(settings):
    settings.AGREEMENT_EXPIRING_DAYS = 60
    settings.AGREEMENT_REFERENCE_PREFIX = "IKM"


# (label, signed_on, starts_on, ends_on, terminated_on, status on day D)
STATUS_CASES = [
    ("draft", None, days(-10), days(300), None, AgreementStatus.DRAFT),
    ("draft, not started", None, days(10), None, None, AgreementStatus.DRAFT),
    ("signed, starts tomorrow", days(-5), days(1), days(365), None, AgreementStatus.SIGNED),
    ("starts today", days(-5), D, days(365), None, AgreementStatus.ACTIVE),
    ("started yesterday", days(-5), days(-1), days(365), None, AgreementStatus.ACTIVE),
    ("open-ended", days(-5), days(-1), None, None, AgreementStatus.ACTIVE),
    ("ends the day after the horizon", days(-90), days(-30), days(61), None, "active"),
    ("ends on the horizon", days(-90), days(-30), days(60), None, AgreementStatus.EXPIRING),
    ("ends tomorrow", days(-90), days(-30), days(1), None, AgreementStatus.EXPIRING),
    ("ends today", days(-90), days(-30), D, None, AgreementStatus.EXPIRING),
    ("ended yesterday", days(-90), days(-30), days(-1), None, AgreementStatus.EXPIRED),
    ("one-day agreement today", days(-1), D, D, None, AgreementStatus.EXPIRING),
    ("terminated tomorrow", days(-90), days(-30), days(300), days(1), AgreementStatus.ACTIVE),
    ("terminated today", days(-90), days(-30), days(300), D, AgreementStatus.TERMINATED),
    ("terminated yesterday", days(-90), days(-30), days(300), days(-1), "terminated"),
    ("terminated draft", None, days(-30), days(300), days(-1), AgreementStatus.TERMINATED),
    ("terminated before start", days(-90), days(-30), None, days(-30), "terminated"),
    ("terminated after expiry", days(-900), days(-800), days(-100), days(-50), "terminated"),
]


def make(signed_on, starts_on, ends_on, terminated_on, **extra) -> Agreement:
    return AgreementFactory(
        signed_on=signed_on,
        starts_on=starts_on,
        ends_on=ends_on,
        terminated_on=terminated_on,
        termination_reason="Closed" if terminated_on else "",
        **extra,
    )


@pytest.mark.parametrize(
    ("signed_on", "starts_on", "ends_on", "terminated_on", "expected"),
    [case[1:] for case in STATUS_CASES],
    ids=[case[0] for case in STATUS_CASES],
)
def test_status_in_python_and_sql_agree(signed_on, starts_on, ends_on, terminated_on, expected):
    agreement = make(signed_on, starts_on, ends_on, terminated_on)
    assert agreement.status_on(D) == expected
    annotated = Agreement.objects.with_status(D).get(pk=agreement.pk)
    assert annotated.current_status == expected
    # The property prefers the annotation of the query it came from.
    assert annotated.status == expected
    active = expected in (AgreementStatus.ACTIVE, AgreementStatus.EXPIRING)
    assert agreement.is_active_on(D) is active
    assert Agreement.objects.active_on(D).filter(pk=agreement.pk).exists() is active
    assert Agreement.objects.with_status_in([expected], D).filter(pk=agreement.pk).exists()


def test_every_case_together_in_one_query():
    made = {make(*case[1:5]).pk: case[5] for case in STATUS_CASES}
    assert dict(Agreement.objects.with_status(D).values_list("pk", "current_status")) == made


def test_status_without_annotation_is_today_status():
    agreement = AgreementFactory(ends_on=today() + datetime.timedelta(days=5))
    fresh = Agreement.objects.get(pk=agreement.pk)
    assert "current_status" not in fresh.__dict__
    assert fresh.status == AgreementStatus.EXPIRING
    assert fresh.get_status_display() == "Expiring"


def test_expiring_horizon_follows_the_setting(settings):
    agreement = make(days(-90), days(-30), days(45), None)
    assert agreement.status_on(D) == AgreementStatus.EXPIRING
    settings.AGREEMENT_EXPIRING_DAYS = 30
    assert agreement.status_on(D) == AgreementStatus.ACTIVE
    assert Agreement.objects.with_status(D).get().current_status == AgreementStatus.ACTIVE


@pytest.mark.parametrize(
    ("ends_in", "within", "expected"),
    [(0, 30, True), (30, 30, True), (31, 30, False), (-1, 30, False), (89, 90, True)],
)
def test_expiring_within(ends_in, within, expected):
    agreement = make(days(-90), days(-30), days(ends_in), None)
    assert Agreement.objects.expiring_within(within, D).filter(pk=agreement.pk).exists() is expected


def test_expiring_within_ignores_open_ended_terminated_and_future():
    make(days(-90), days(-30), None, None)
    make(days(-90), days(-30), days(10), days(-1))
    make(days(-1), days(5), days(10), None)
    assert not Agreement.objects.expiring_within(90, D).exists()


def test_active_on_defaults_to_today():
    current = AgreementFactory()
    AgreementFactory(
        starts_on=today() - datetime.timedelta(days=400),
        ends_on=today() - datetime.timedelta(days=1),
    )
    assert list(Agreement.objects.active_on()) == [current]


# References


def test_references_are_sequential_per_year():
    first = AgreementFactory(
        signed_on=datetime.date(2025, 5, 1), starts_on=datetime.date(2025, 6, 1)
    )
    second = AgreementFactory(
        signed_on=datetime.date(2025, 7, 1), starts_on=datetime.date(2025, 8, 1)
    )
    other_year = AgreementFactory(signed_on=datetime.date(2024, 12, 1), starts_on=D)
    draft = AgreementFactory(signed_on=None, starts_on=datetime.date(2027, 1, 1))
    assert [first.reference, second.reference] == ["IKM-2025-0001", "IKM-2025-0002"]
    assert other_year.reference == "IKM-2024-0001"
    assert draft.reference == "IKM-2027-0001"


def test_reference_continues_after_gaps_and_past_9999():
    AgreementFactory(reference="IKM-2025-0007", signed_on=datetime.date(2025, 1, 1))
    assert Agreement.objects.next_reference(year=2025) == "IKM-2025-0008"
    AgreementFactory(reference="IKM-2025-9999", signed_on=datetime.date(2025, 1, 1))
    AgreementFactory(reference="IKM-2025-10000", signed_on=datetime.date(2025, 1, 1))
    assert Agreement.objects.next_reference(year=2025) == "IKM-2025-10001"


def test_given_reference_is_kept_and_prefix_follows_the_setting(settings):
    assert AgreementFactory(reference="OLD-1").reference == "OLD-1"
    settings.AGREEMENT_REFERENCE_PREFIX = "KCH"
    assert AgreementFactory(signed_on=datetime.date(2026, 1, 5)).reference == "KCH-2026-0001"


def test_reference_taken_meanwhile_is_retried(monkeypatch):
    """Another session saving between our read and our insert costs a retry, not an error."""
    real = AgreementQuerySet.next_reference
    calls = []

    def racing(self, *, year: int) -> str:
        reference = real(self, year=year)
        if not calls:
            # The other staff member's agreement lands with the number we just read.
            AgreementFactory(reference=reference, signed_on=datetime.date(year, 1, 2))
        calls.append(reference)
        return reference

    monkeypatch.setattr(AgreementQuerySet, "next_reference", racing)
    agreement = AgreementFactory(signed_on=datetime.date(2026, 2, 1))
    assert calls == ["IKM-2026-0001", "IKM-2026-0002"]
    assert agreement.reference == "IKM-2026-0002"
    assert Agreement.objects.count() == 2


def test_other_integrity_errors_are_not_retried():
    with pytest.raises(IntegrityError), transaction.atomic():
        AgreementFactory(starts_on=D, ends_on=days(-1))
    assert not Agreement.objects.exists()


# Database constraints (raw saves, no form in between)


@pytest.mark.parametrize(
    "fields",
    [
        {"starts_on": D, "ends_on": days(-1)},
        {"terminated_on": D, "termination_reason": ""},
        {"renewal_months": 0},
        {"reference": "IKM-2026-0001"},
    ],
    ids=["ends before start", "termination without reason", "zero renewal", "duplicate ref"],
)
def test_database_refuses_inconsistent_agreements(fields):
    AgreementFactory(reference="IKM-2026-0001")
    with pytest.raises(IntegrityError), transaction.atomic():
        AgreementFactory(**fields)
    assert Agreement.objects.count() == 1


def test_clean_reports_dates():
    agreement = AgreementFactory.build(
        member=SchoolFactory(),
        signed_on=today() + datetime.timedelta(days=1),
        starts_on=D,
        terminated_on=days(-1),
        termination_reason="x",
    )
    with pytest.raises(ValidationError) as exc:
        agreement.full_clean()
    assert set(exc.value.message_dict) == {"signed_on", "terminated_on"}


def test_clean_without_start_date_reports_only_the_missing_field():
    agreement = Agreement(member=SchoolFactory(), starts_on=None, terminated_on=D)
    with pytest.raises(ValidationError) as exc:
        agreement.full_clean()
    assert "starts_on" in exc.value.message_dict


# Renewal


@pytest.mark.parametrize(
    ("ends_on", "months", "successor_starts", "successor_ends"),
    [
        ((2026, 12, 31), 12, (2027, 1, 1), (2027, 12, 31)),
        ((2026, 6, 14), 12, (2026, 6, 15), (2027, 6, 14)),
        ((2026, 1, 30), 1, (2026, 1, 31), (2026, 2, 28)),
        ((2028, 1, 30), 1, (2028, 1, 31), (2028, 2, 29)),
        ((2026, 2, 28), 1, (2026, 3, 1), (2026, 3, 31)),
        ((2024, 2, 29), 12, (2024, 3, 1), (2025, 2, 28)),
        ((2026, 3, 30), 6, (2026, 3, 31), (2026, 9, 30)),
        ((2026, 10, 31), 3, (2026, 11, 1), (2027, 1, 31)),
    ],
)
def test_successor_dates(ends_on, months, successor_starts, successor_ends):
    agreement = AgreementFactory(
        signed_on=datetime.date(2023, 1, 1),
        starts_on=datetime.date(2023, 1, 1),
        ends_on=datetime.date(*ends_on),
        renewal_months=months,
    )
    successor = agreement_renew(agreement=agreement)
    assert (successor.starts_on, successor.ends_on) == (
        datetime.date(*successor_starts),
        datetime.date(*successor_ends),
    )


def test_periods_follow_on_without_gap_or_overlap():
    starts = datetime.date(2026, 1, 31)
    for _ in range(14):
        ends = period_end(starts_on=starts, months=1)
        assert ends >= starts
        starts = ends + datetime.timedelta(days=1)
    assert starts == datetime.date(2027, 4, 1)


def test_renewal_links_copies_and_signs():
    member = SchoolFactory()
    agreement = AgreementFactory(
        member=member,
        type="partnership",
        auto_renew=True,
        renewal_months=24,
        signatories="Preside\nKindnet Italia",
        ends_on=today() + datetime.timedelta(days=10),
    )
    successor = agreement_renew(agreement=agreement)
    assert successor.renews == agreement
    assert Agreement.objects.get(pk=agreement.pk).renewed_by == successor
    assert (successor.member_id, successor.type, successor.auto_renew) == (
        member.pk,
        "partnership",
        True,
    )
    assert (successor.renewal_months, successor.signatories) == (24, "Preside\nKindnet Italia")
    assert successor.signed_on == today()
    assert successor.reference != agreement.reference
    assert successor.status_on() == AgreementStatus.SIGNED


def test_renewing_an_expired_agreement_signs_it_on_its_start():
    agreement = AgreementFactory(
        signed_on=datetime.date(2020, 1, 1),
        starts_on=datetime.date(2020, 1, 1),
        ends_on=datetime.date(2020, 12, 31),
    )
    successor = agreement_renew(agreement=agreement)
    assert successor.signed_on == datetime.date(2021, 1, 1)


def test_renewal_is_idempotent():
    agreement = AgreementFactory()
    first = agreement_renew(agreement=agreement)
    assert agreement_renew(agreement=agreement) == first
    assert Agreement.objects.count() == 2


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"ends_on": None}, "is open-ended: there is nothing to renew."),
        ({"signed_on": None}, "is a draft (not signed) and cannot be renewed."),
        (
            {"terminated_on": today(), "termination_reason": "Closed"},
            "is terminated and cannot be renewed.",
        ),
        (
            {"terminated_on": today() + datetime.timedelta(days=5), "termination_reason": "x"},
            "is terminated and cannot be renewed.",
        ),
    ],
    ids=["open-ended", "draft", "terminated", "termination scheduled"],
)
def test_renewal_refused(fields, message):
    agreement = AgreementFactory(**fields)
    with pytest.raises(ValidationError) as exc:
        agreement_renew(agreement=agreement)
    assert exc.value.messages == [f"{agreement.reference} {message}"]
    assert Agreement.objects.count() == 1


# The renew_agreements command (now an alias of `renewals`)


def auto(ends_in: int, **fields) -> Agreement:
    return AgreementFactory(
        auto_renew=True, ends_on=today() + datetime.timedelta(days=ends_in), **fields
    )


def test_renew_agreements_renews_what_is_due(capsys):
    # The former name of `renewals` (tests/test_renewals.py): on the end date by default,
    # and the agreements that ended while no run happened.
    due_today, expired = auto(0), auto(-1)
    not_yet = auto(1)
    manual = AgreementFactory(ends_on=today() - datetime.timedelta(days=3))
    terminated = auto(-3, terminated_on=today(), termination_reason="x")
    call_command("renew_agreements")
    out = capsys.readouterr().out
    assert set(Agreement.objects.filter(renewed_by__isnull=False)) == {due_today, expired}
    for skipped in (not_yet, manual, terminated):
        assert not Agreement.objects.filter(renews=skipped).exists()
    assert f"renewed {due_today.reference}" in out
    assert "2 agreement(s) were renewed" in out


def test_renew_agreements_is_idempotent_and_takes_days(capsys):
    auto(3)
    auto(50)
    call_command("renew_agreements", "--days", "60")
    assert Agreement.objects.filter(renews__isnull=False).count() == 2
    capsys.readouterr()
    call_command("renew_agreements", "--days", "60")
    assert Agreement.objects.count() == 4
    assert "0 agreement(s) were renewed" in capsys.readouterr().out


def test_renew_agreements_dry_run_changes_nothing(capsys):
    agreement = auto(10)
    call_command("renew_agreements", "--dry-run", "--days", "30")
    out = capsys.readouterr().out
    assert Agreement.objects.count() == 1
    assert f"would renew {agreement.reference}" in out
    assert "1 agreement(s) would be renewed" in out and "(dry run: nothing changed)" in out


def test_renew_agreements_refuses_negative_days():
    with pytest.raises(CommandError, match="--days must be zero or more"):
        call_command("renew_agreements", "--days", "-1")


def test_agreement_history_is_kept():
    agreement = AgreementFactory(signatories="Preside")
    agreement.signatories = "Someone else"
    agreement.save()
    history = agreement.history.order_by("history_id")
    assert [(h.history_type, h.signatories) for h in history] == [
        ("+", "Preside"),
        ("~", "Someone else"),
    ]
