"""`manage.py renewals`, the daily run: reminders at 60/30/7 days (once each, across runs
and renewals), auto-renewal with a notice and catch-up after missed runs, mayors' terms
(one re-confirmation follow-up and reminder), e-mails in the recipient's language, dry run.
"""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from activities.models import FollowUp
from crm.models import Agreement, AgreementNotice, Chapter, ChapterScope
from crm.services import period_end
from tests.factories import (
    AgreementFactory,
    ContactFactory,
    MunicipalityFactory,
    SchoolFactory,
    today,
)

pytestmark = pytest.mark.django_db


def day(n: int) -> datetime.date:
    return today() + datetime.timedelta(days=n)


def run(on: datetime.date | None = None, *args: str) -> str:
    out = StringIO()
    call_command("renewals", *(["--today", on.isoformat()] if on else []), *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def staff(django_user_model):
    """Two chapter managers of Italy, one writing in Italian, one in English; a Swiss one."""
    group = Group.objects.get(name="Chapter manager")
    italy = Chapter.objects.get(country="IT")
    users = {}
    for name, language, chapter in (
        ("giulia", "it", italy),
        ("emma", "en", italy),
        ("hans", "", Chapter.objects.get(country="CH")),
    ):
        user = django_user_model.objects.create_user(
            name, f"{name}@kindness.example", "pw", is_staff=True
        )
        user.groups.add(group)
        ChapterScope.objects.create(user=user, language=language).chapters.add(chapter)
        users[name] = user
    return users


def ending(days_left: int, **fields) -> Agreement:
    """A signed agreement of an Italian school that ends in `days_left` days."""
    member = fields.pop("member", None) or SchoolFactory(country="IT")
    return AgreementFactory(
        member=member,
        signed_on=day(-400),
        starts_on=day(-365),
        ends_on=day(days_left),
        **fields,
    )


def reminders(agreement: Agreement) -> list[int]:
    return sorted(
        agreement.notices.filter(kind="reminder").values_list("days_before", flat=True),
        reverse=True,
    )


def test_each_threshold_reminds_once_across_runs(staff):
    agreement = ending(60)
    run()
    assert reminders(agreement) == [60]
    # One per language: giulia (it), emma (en); not hans, who works for Switzerland.
    assert sorted(m.to[0] for m in mail.outbox) == [
        "emma@kindness.example",
        "giulia@kindness.example",
    ]
    run()  # the same day again: nothing
    run(day(29))  # 31 days left: nothing due
    assert len(mail.outbox) == 2
    run(day(30))
    run(day(30))
    assert reminders(agreement) == [60, 30]
    run(day(53))
    run(day(54))
    assert reminders(agreement) == [60, 30, 7]
    assert len(mail.outbox) == 6
    assert [m.subject for m in mail.outbox if m.to == ["emma@kindness.example"]] == [
        f"Ends in {n} days: agreement {agreement.reference} with {agreement.member.name}"
        for n in (60, 30, 7)
    ]


def test_missed_thresholds_give_one_reminder_and_are_recorded(staff):
    agreement = ending(5)
    run()
    assert reminders(agreement) == [60, 30, 7]
    assert len(mail.outbox) == 2
    assert "in 5 days" in mail.outbox[0].subject or "tra 5 giorni" in mail.outbox[0].subject
    run(day(1))
    assert len(mail.outbox) == 2


def test_reminders_across_a_renewal(staff):
    agreement = ending(7, auto_renew=True, renewal_months=12)
    run()
    assert reminders(agreement) == [60, 30, 7]
    mail.outbox.clear()
    out = run(day(7))  # the end date: renewed, with a notice; no reminder again
    successor = Agreement.objects.get(renews=agreement)
    assert successor.starts_on == day(8)
    assert f"renewed {agreement.reference}" in out
    assert {m.subject for m in mail.outbox} == {
        f"Agreement {agreement.reference} with {agreement.member.name} renewed until "
        + f"{successor.ends_on:%-d %B %Y}",
        f"Accordo {agreement.reference} con {agreement.member.name} rinnovato fino al "
        + _italian_date(successor.ends_on),
    }
    run(day(7))
    run(day(8))
    assert len(mail.outbox) == 2
    assert AgreementNotice.objects.filter(agreement=agreement, kind="renewed").count() == 1
    # The successor has its own thresholds, counted from its own end.
    run(successor.ends_on - datetime.timedelta(days=60))
    assert reminders(successor) == [60]
    assert reminders(agreement) == [60, 30, 7]


def _italian_date(value: datetime.date) -> str:
    from django.utils import translation
    from django.utils.formats import date_format

    with translation.override("it"):
        return date_format(value, "j F Y")


def test_emails_go_in_each_recipients_language(staff):
    member = SchoolFactory(country="IT", name="Scuola Manzoni")
    ContactFactory(member=member, is_primary=True, email="preside@scuola.example", language="it")
    agreement = ending(30, member=member, remind_member=True)
    ending(30)  # another school's agreement, which does not ask for the member's reminder
    run()
    by_address = {tuple(m.to): m for m in mail.outbox}
    assert by_address[("giulia@kindness.example",)].subject.startswith("Scade tra 30 giorni")
    assert by_address[("emma@kindness.example",)].subject.startswith("Ends in 30 days")
    member_mail = by_address[("preside@scuola.example",)]
    assert member_mail.subject == (
        f"Scade tra 30 giorni: accordo {agreement.reference} con Scuola Manzoni"
    )
    assert "Gentile Scuola Manzoni" in member_mail.body
    assert "/admin/" not in member_mail.body  # staff's links stay with staff
    assert "/admin/crm/agreement/" in by_address[("emma@kindness.example",)].body
    # 2 agreements x 2 staff languages, and the one member that asked: no one else.
    assert len(mail.outbox) == 5
    assert "preside@scuola.example" in agreement.notices.get(days_before=30).recipients


def test_catch_up_renews_every_missed_period_with_one_notice(staff):
    agreement = AgreementFactory(
        member=SchoolFactory(country="IT"),
        signed_on=day(-800),
        starts_on=day(-760),
        ends_on=day(-400),
        auto_renew=True,
        renewal_months=6,
    )
    out = run()
    chain = []
    current = agreement
    while (successor := Agreement.objects.filter(renews=current).first()) is not None:
        chain.append(successor)
        current = successor
    assert len(chain) >= 2
    assert chain[-1].ends_on >= today() and chain[-2].ends_on < today()
    for previous, following in zip([agreement, *chain], chain, strict=False):
        assert following.starts_on == previous.ends_on + datetime.timedelta(days=1)
        assert following.ends_on == period_end(starts_on=following.starts_on, months=6)
    assert f"{len(chain)} period(s)" in out
    assert len(mail.outbox) == 2  # one notice, in each staff language
    assert f"{len(chain)} periods" in next(m for m in mail.outbox if "emma" in m.to[0]).body
    run()
    assert Agreement.objects.count() == len(chain) + 1
    assert len(mail.outbox) == 2


def test_terminated_and_manual_agreements_are_not_renewed(staff):
    manual = ending(-3)
    terminated = ending(-3, auto_renew=True, terminated_on=day(-2), termination_reason="Closed")
    run()
    assert not Agreement.objects.filter(renews__in=[manual, terminated]).exists()


def test_dry_run_changes_and_sends_nothing(staff):
    renewing = ending(-30, auto_renew=True)
    reminded = ending(20)
    municipality = MunicipalityFactory(country="IT", term_ends_on=day(40))
    AgreementFactory(member=municipality)
    out = run(None, "--dry-run")
    assert f"would renew {renewing.reference}" in out
    assert f"would remind of {reminded.reference}" in out
    assert f"would plan a re-confirmation follow-up for {municipality.name}" in out
    assert "(dry run: nothing changed)" in out
    assert Agreement.objects.count() == 3
    assert not AgreementNotice.objects.exists()
    assert not FollowUp.objects.exists()
    assert mail.outbox == []


def test_a_reminder_claimed_by_another_run_is_not_sent_again(staff, monkeypatch):
    import crm.services

    agreement = ending(30)
    read_contacts = crm.services._primary_contacts

    def another_run_claims_meanwhile(member_ids):
        # Between this run's read and its claim, a second run records the reminder.
        AgreementNotice.objects.get_or_create(
            agreement=agreement, kind="reminder", days_before=30, ends_on=agreement.ends_on
        )
        return read_contacts(member_ids)

    monkeypatch.setattr(crm.services, "_primary_contacts", another_run_claims_meanwhile)
    assert crm.services.agreements_remind(today=today()) == []
    assert mail.outbox == []
    assert reminders(agreement) == [30]  # the other run's row; ours was rolled back whole


def test_a_failed_email_gives_the_reminder_back_for_the_next_run(staff, settings):
    settings.EMAIL_BACKEND = "tests.test_renewals.FailingBackend"
    agreement = ending(30)
    out = run()
    assert "failed" in out
    assert reminders(agreement) == []
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    run()
    assert reminders(agreement) == [60, 30]


class FailingBackend:
    def __init__(self, *args, **kwargs) -> None:
        pass

    def send_messages(self, messages) -> int:
        raise ConnectionRefusedError("mail server down")


def test_mayors_term_end_creates_one_follow_up_and_one_reminder(staff):
    municipality = MunicipalityFactory(
        country="IT", name="Comune di Castro", mayor="Mario Rossi", term_ends_on=day(45)
    )
    AgreementFactory(member=municipality)
    far = MunicipalityFactory(country="IT", term_ends_on=day(200))
    AgreementFactory(member=far)
    run()
    follow_up = FollowUp.objects.get()
    assert follow_up.member_id == municipality.pk
    assert follow_up.due_on == day(45)
    assert follow_up.assignee == staff["giulia"]
    assert follow_up.origin == f"mayor-term-ends:{day(45):%Y-%m-%d}"
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == sorted(
        [
            f"Mayor's term ends on {day(45):%-d %B %Y}: re-confirm Comune di Castro",
            f"Il mandato del sindaco finisce il {_italian_date(day(45))}: "
            "riconferma di Comune di Castro",
        ]
    )
    run()
    run(day(10))
    assert FollowUp.objects.count() == 1
    assert len(mail.outbox) == 2
    # A new term that ends later is a new re-confirmation.
    municipality.term_ends_on = day(50)
    municipality.save()
    run()
    assert FollowUp.objects.count() == 2


def test_the_former_name_runs_the_same_command(staff):
    agreement = ending(-1, auto_renew=True)
    out = StringIO()
    call_command("renew_agreements", stdout=out)
    assert Agreement.objects.filter(renews=agreement).exists()
    assert "1 agreement(s) were renewed" in out.getvalue()


def test_reminder_days_setting_is_checked(monkeypatch):
    from kindnet.env import env_day_list

    monkeypatch.setenv("AGREEMENT_REMINDER_DAYS", "90, 14,90")
    assert env_day_list("AGREEMENT_REMINDER_DAYS", default=[60, 30, 7]) == [90, 14]
    monkeypatch.setenv("AGREEMENT_REMINDER_DAYS", "60,soon")
    with pytest.raises(ImproperlyConfigured, match="AGREEMENT_REMINDER_DAYS"):
        env_day_list("AGREEMENT_REMINDER_DAYS", default=[60, 30, 7])


def test_the_agreement_page_lists_the_notices_sent(staff):
    from django.test import Client

    from tests.conftest import login_verified

    agreement = ending(30)
    run()
    client = login_verified(Client(), staff["emma"])
    page = client.get(f"/admin/crm/agreement/{agreement.pk}/change/").content.decode()
    assert "Reminders and notices sent" in page
    assert "giulia@kindness.example" in page and "emma@kindness.example" in page


def test_a_renewed_agreement_keeps_reminding_the_member(staff):
    """The successor keeps the agreement's choice to remind the member's contact, so the
    member who asked for reminders still gets them about the renewed period."""
    member = SchoolFactory(country="IT")
    ContactFactory(member=member, is_primary=True, email="preside@scuola.example", language="it")
    agreement = ending(-1, member=member, auto_renew=True, renewal_months=2, remind_member=True)
    run()
    successor = Agreement.objects.get(renews=agreement)
    assert successor.remind_member
    mail.outbox.clear()
    run(successor.ends_on - datetime.timedelta(days=7))
    assert ["preside@scuola.example"] in [m.to for m in mail.outbox]


def test_the_renewal_notice_links_staff_to_the_agreement_in_force(staff):
    agreement = ending(-1, auto_renew=True, renewal_months=12)
    run()
    successor = Agreement.objects.get(renews=agreement)
    body = next(m for m in mail.outbox if m.to == ["emma@kindness.example"]).body
    assert f"/admin/crm/agreement/{successor.pk}/change/" in body
