"""Workflows on agreements that touch several rows: references, renewals, and the
reminders and notices of `manage.py renewals`."""

from __future__ import annotations

import datetime
import logging
from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.template.loader import select_template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.models import Agreement, AgreementNotice, AgreementNoticeKind, Contact
from crm.scope import chapter_staff, user_mail_language

logger = logging.getLogger(__name__)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` moved by `months`, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, monthrange(year, month)[1]))


def period_end(*, starts_on: datetime.date, months: int) -> datetime.date:
    """The last day of a period of `months` that begins on `starts_on`.

    The day before the same day `months` later (1 Jan -> 31 Dec); when that day does
    not exist the period runs to the end of the month, so a month from 31 January
    ends on 28 (29) February and the next period starts on 1 March.
    """
    month_index = starts_on.month - 1 + months
    year, month = starts_on.year + month_index // 12, month_index % 12 + 1
    if starts_on.day > monthrange(year, month)[1]:
        return datetime.date(year, month, monthrange(year, month)[1])
    return add_months(starts_on, months) - datetime.timedelta(days=1)


@transaction.atomic
def agreement_renew(*, agreement: Agreement, signed_on: datetime.date | None = None) -> Agreement:
    """Create the successor of `agreement`, starting the day after it ends.

    Idempotent: an agreement already renewed returns its successor. Open-ended, draft
    and terminated (or due to be terminated) agreements cannot be renewed.
    """
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    successor = Agreement.objects.filter(renews=agreement).first()
    if successor is not None:
        return successor
    if agreement.ends_on is None:
        raise ValidationError(
            _("%(ref)s is open-ended: there is nothing to renew.") % {"ref": agreement.reference}
        )
    if agreement.terminated_on is not None:
        raise ValidationError(
            _("%(ref)s is terminated and cannot be renewed.") % {"ref": agreement.reference}
        )
    if agreement.signed_on is None:
        raise ValidationError(
            _("%(ref)s is a draft (not signed) and cannot be renewed.")
            % {"ref": agreement.reference}
        )
    starts_on = agreement.ends_on + datetime.timedelta(days=1)
    successor = Agreement(
        member_id=agreement.member_id,
        type=agreement.type,
        signed_on=signed_on or min(timezone.localdate(), starts_on),
        starts_on=starts_on,
        ends_on=period_end(starts_on=starts_on, months=agreement.renewal_months),
        auto_renew=agreement.auto_renew,
        renewal_months=agreement.renewal_months,
        signatories=agreement.signatories,
        remind_member=agreement.remind_member,
        renews=agreement,
    )
    successor.full_clean(exclude=["reference", "document"])
    successor.save()
    return successor


# -- Reminders and notices (manage.py renewals) ------------------------------------------

#: The most periods one run renews an agreement by (catching up after missed runs).
CATCH_UP_MAX_PERIODS = 120


@dataclass(frozen=True)
class Recipient:
    """Someone a notice goes to, in their language; staff get the admin's link."""

    email: str
    language: str
    is_staff: bool


def chapter_recipients(chapter_id: int | None) -> list[Recipient]:
    return [
        Recipient(user.email, user_mail_language(user), True) for user in chapter_staff(chapter_id)
    ]


def notice_email_send(
    *, template: str, context: dict, recipients: Iterable[Recipient], reply_to: str = ""
) -> list[str]:
    """Send `template` (`<template>_subject.txt` / `_body.txt` under `<lang>/`, English as
    fallback) to each recipient in their language: one message per language and audience
    (staff, or the member's people), so no member sees staff's links or addresses.
    Returns the addresses written to; raises what the mail backend raises."""
    groups: dict[tuple[str, bool], list[str]] = {}
    for recipient in recipients:
        groups.setdefault((recipient.language, recipient.is_staff), []).append(recipient.email)
    sent: list[str] = []
    for (language, is_staff), addresses in sorted(groups.items()):
        names = [f"{template.replace('{lang}', language)}", template.replace("{lang}", "en")]
        with translation.override(language):
            values = {**context, "for_staff": is_staff}
            subject = select_template([f"{n}_subject.txt" for n in names]).render(values)
            body = select_template([f"{n}_body.txt" for n in names]).render(values)
        # Staff see each other; a member's contact is written to alone.
        batches = [addresses] if is_staff else [[address] for address in addresses]
        for batch in batches:
            EmailMessage(
                subject=" ".join(subject.split()),
                body=body,
                to=batch,
                reply_to=[reply_to] if reply_to else None,
            ).send()
            sent += batch
    return sent


def _agreement_recipients(agreement: Agreement, primary: Contact | None) -> list[Recipient]:
    recipients = chapter_recipients(agreement.member.chapter_id)
    if agreement.remind_member and primary is not None and primary.email:
        recipients.append(Recipient(primary.email, primary.mail_language, False))
    return recipients


def _agreement_context(agreement: Agreement, **extra) -> dict:
    chapter = agreement.member.chapter
    return {
        "agreement": agreement,
        "member": agreement.member,
        "chapter_email": chapter.email if chapter is not None else "",
        "admin_url": settings.SITE_URL + reverse("admin:crm_agreement_change", args=[agreement.pk]),
        **extra,
    }


def _notices_claim(agreement: Agreement, kind: str, thresholds: list[int]) -> bool:
    """Record the notices before they are sent: False when another run got there first."""
    try:
        with transaction.atomic():
            for days in thresholds:
                AgreementNotice.objects.create(
                    agreement=agreement, kind=kind, days_before=days, ends_on=agreement.ends_on
                )
    except IntegrityError:
        return False
    return True


def _notices_send(
    agreement: Agreement, kind: str, thresholds: list[int], recipients, template, context
) -> str:
    """Send a claimed notice; a failure gives the claim back so the next run retries."""
    try:
        sent = notice_email_send(
            template=template,
            context=context,
            recipients=recipients,
            reply_to=context["chapter_email"],
        )
    except Exception:
        logger.exception("Could not send the %s notice of %s", kind, agreement.reference)
        AgreementNotice.objects.filter(
            agreement=agreement, kind=kind, days_before__in=thresholds
        ).delete()
        return "failed"
    AgreementNotice.objects.filter(
        agreement=agreement, kind=kind, days_before__in=thresholds
    ).update(recipients="\n".join(sent))
    return f"{len(sent)} recipient(s)"


def _primary_contacts(member_ids: Iterable[int]) -> dict[int, Contact]:
    contacts = Contact.objects.filter(member_id__in=set(member_ids), is_primary=True)
    return {contact.member_id: contact for contact in contacts}


def agreements_remind(*, today: datetime.date, dry_run: bool = False) -> list[str]:
    """Remind of every signed agreement that ends within the largest threshold
    (AGREEMENT_REMINDER_DAYS): once per threshold. After missed runs only the nearest
    threshold is written about and the ones passed meanwhile are recorded with it, so no
    stale reminder follows. Returns one line per reminder sent (or due, on a dry run)."""
    thresholds = settings.AGREEMENT_REMINDER_DAYS
    if not thresholds:
        return []
    candidates = list(
        Agreement.objects.filter(
            signed_on__isnull=False,
            terminated_on__isnull=True,
            renewed_by__isnull=True,
            ends_on__gte=today,
            ends_on__lte=today + datetime.timedelta(days=max(thresholds)),
        )
        .select_related("member", "member__chapter")
        .prefetch_related(
            Prefetch(
                "notices",
                queryset=AgreementNotice.objects.filter(kind=AgreementNoticeKind.REMINDER),
                to_attr="reminders_sent",
            )
        )
        .order_by("ends_on", "reference")
    )
    primary = _primary_contacts(a.member_id for a in candidates if a.remind_member)
    lines = []
    for agreement in candidates:
        days_left = (agreement.ends_on - today).days
        sent = {notice.days_before for notice in agreement.reminders_sent}
        missing = [days for days in thresholds if days_left <= days and days not in sent]
        if not missing:
            continue
        line = (
            f"{agreement.reference} ({agreement.member}, ends {agreement.ends_on}, "
            f"{days_left} days left)"
        )
        if dry_run:
            lines.append(f"would remind of {line}")
            continue
        if not _notices_claim(agreement, AgreementNoticeKind.REMINDER, missing):
            continue
        context = _agreement_context(agreement, days_left=days_left)
        recipients = _agreement_recipients(agreement, primary.get(agreement.member_id))
        outcome = _notices_send(
            agreement,
            AgreementNoticeKind.REMINDER,
            missing,
            recipients,
            "crm/email/{lang}/agreement_reminder",
            context,
        )
        lines.append(f"reminded of {line}: {outcome}")
    return lines


def agreements_renew_due(
    *, today: datetime.date, days_ahead: int = 0, dry_run: bool = False
) -> list[str]:
    """Renew every auto-renewing agreement that ends by `today` (+ `days_ahead`) and has no
    successor, as many periods as it takes to reach today (runs that were missed), and
    send one notice per agreement to the chapter's staff (and to the member, if it says
    so). Returns one line per agreement renewed (or due, on a dry run)."""
    horizon = today + datetime.timedelta(days=days_ahead)
    due = list(
        Agreement.objects.filter(
            auto_renew=True,
            signed_on__isnull=False,
            terminated_on__isnull=True,
            renewed_by__isnull=True,
            ends_on__lte=horizon,
        )
        .select_related("member", "member__chapter")
        .order_by("ends_on", "reference")
    )
    primary = _primary_contacts(a.member_id for a in due if a.remind_member)
    lines = []
    for agreement in due:
        line = f"{agreement.reference} ({agreement.member}, ended {agreement.ends_on})"
        if dry_run:
            periods = _periods_to_reach(agreement, horizon)
            lines.append(f"would renew {line}: {periods} period(s)")
            continue
        chain = _agreement_renew_chain(agreement, horizon)
        if not chain:
            continue  # renewed meanwhile by another run
        latest = chain[-1]
        context = _agreement_context(
            agreement, successor=latest, periods=len(chain), renewed_on=today
        )
        # "The renewed agreement in Kindnet": the one in force now, not the one that ended.
        context["admin_url"] = settings.SITE_URL + reverse(
            "admin:crm_agreement_change", args=[latest.pk]
        )
        outcome = _notices_send(
            agreement,
            AgreementNoticeKind.RENEWED,
            [0],
            _agreement_recipients(agreement, primary.get(agreement.member_id)),
            "crm/email/{lang}/agreement_renewed",
            context,
        )
        lines.append(
            f"renewed {line} -> {latest.reference} ({latest.starts_on} to {latest.ends_on}), "
            f"{len(chain)} period(s); notice: {outcome}"
        )
    return lines


def _periods_to_reach(agreement: Agreement, horizon: datetime.date) -> int:
    periods, ends_on = 0, agreement.ends_on
    while ends_on <= horizon and periods < CATCH_UP_MAX_PERIODS:
        starts_on = ends_on + datetime.timedelta(days=1)
        ends_on = period_end(starts_on=starts_on, months=agreement.renewal_months)
        periods += 1
    return periods


@transaction.atomic
def _agreement_renew_chain(agreement: Agreement, horizon: datetime.date) -> list[Agreement]:
    """Renew `agreement`, then its successor, … until one ends after `horizon`; the notice
    is claimed in the same transaction, so a second run at once renews and notifies
    nothing (it waits for the lock, then finds the successor)."""
    locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if Agreement.objects.filter(renews=locked).exists():
        return []
    if not _notices_claim(locked, AgreementNoticeKind.RENEWED, [0]):
        return []
    chain: list[Agreement] = []
    current = locked
    while current.ends_on <= horizon and len(chain) < CATCH_UP_MAX_PERIODS:
        current = agreement_renew(agreement=current)
        chain.append(current)
    return chain
