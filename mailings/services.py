"""Workflows of the newsletter and of mailings: sign-up and confirmation (double opt-in),
unsubscribe and bounces, queuing a mailing and sending it in batches, retention.

Slow work (e-mail) never runs inside a web request's transaction: it is queued as a
background task after the commit (`django_tasks`; TASKS_BACKEND=database in production).
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.models import ConsentAction, ConsentEvent, ConsentPurpose
from mailings.messages import MailingComposer
from mailings.models import (
    Delivery,
    DeliveryStatus,
    Mailing,
    MailingStatus,
    Subscriber,
    SubscriberStatus,
    Suppression,
    SuppressionReason,
)
from mailings.selectors import audience_recipients
from mailings.tokens import (
    TEST_DELIVERY,
    ConfirmationExpired,
    TokenInvalid,
    UnsubscribeRequest,
    confirmation_token,
    confirmation_token_read,
)

logger = logging.getLogger(__name__)

#: A second sign-up of a pending address within this time sends no second e-mail, so a
#: stranger cannot flood someone's inbox through the form.
CONFIRMATION_RESEND_AFTER = datetime.timedelta(minutes=10)


# --- Sign-up and confirmation ------------------------------------------------------------


def subscription_request(*, email: str, language: str, source: str) -> None:
    """Someone asks for the newsletter. Whatever the address's state, the caller answers the
    same (nothing reveals whether it is known); only a new, pending or unsubscribed address
    gets a confirmation e-mail, after the commit. A confirmed address changes nothing."""
    email = email.strip().lower()
    now = timezone.now()
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().filter(email=email).first()
        if subscriber is None:
            try:
                with transaction.atomic():
                    subscriber = Subscriber.objects.create(email=email, language=language)
            except IntegrityError:  # the same address at the same moment: theirs stands
                return
        elif subscriber.status == SubscriberStatus.CONFIRMED or (
            subscriber.status == SubscriberStatus.PENDING
            and subscriber.confirmation_sent_at
            and now - subscriber.confirmation_sent_at < CONFIRMATION_RESEND_AFTER
        ):
            return
        subscriber.status = SubscriberStatus.PENDING
        subscriber.language = language
        subscriber.consent_source = source[:120]
        subscriber.consent_wording_version = settings.CONSENT_WORDING_VERSION
        subscriber.confirmation_sent_at = now
        subscriber.save()
        transaction.on_commit(partial(_enqueue_confirmation, subscriber.pk), robust=True)


def _enqueue_confirmation(subscriber_id: int) -> None:
    from mailings import tasks

    tasks.subscription_confirmation_task.enqueue(subscriber_id=subscriber_id)


def subscription_confirmation_send(*, subscriber_id: int) -> bool:
    """The double opt-in e-mail with its signed link; False when there is nothing to send."""
    subscriber = Subscriber.objects.filter(
        pk=subscriber_id, status=SubscriberStatus.PENDING
    ).first()
    if subscriber is None or not subscriber.email:
        return False
    token = confirmation_token(subscriber_id=subscriber.pk, email=subscriber.email)
    url = settings.SITE_URL.rstrip("/") + reverse("newsletter_confirm", args=[token])
    with translation.override(subscriber.language):
        body = render_to_string(
            "mailings/email/confirm.txt",
            {"confirm_url": url, "days": settings.NEWSLETTER_CONFIRM_DAYS},
        )
        subject = _("Please confirm your subscription to the kindness newsletter")
    EmailMessage(subject=subject, body=body, to=[subscriber.email]).send()
    return True


class ConfirmationOutcome:
    CONFIRMED = "confirmed"
    ALREADY = "already"
    EXPIRED = "expired"
    INVALID = "invalid"


@transaction.atomic
def subscription_confirm(*, token: str) -> str:
    """Confirm the address of a signed link (a ConfirmationOutcome). Confirming twice is
    harmless; an expired or altered link changes nothing."""
    try:
        subscriber_id, email = confirmation_token_read(token)
    except ConfirmationExpired:
        return ConfirmationOutcome.EXPIRED
    except TokenInvalid:
        return ConfirmationOutcome.INVALID
    subscriber = (
        Subscriber.objects.select_for_update().filter(pk=subscriber_id, email=email).first()
    )
    if subscriber is None or subscriber.status == SubscriberStatus.UNSUBSCRIBED:
        # Deleted (never confirmed in time), erased, or unsubscribed since: a new sign-up.
        return ConfirmationOutcome.EXPIRED
    if subscriber.status == SubscriberStatus.CONFIRMED:
        return ConfirmationOutcome.ALREADY
    subscriber.status = SubscriberStatus.CONFIRMED
    subscriber.confirmed_at = timezone.now()
    subscriber.save(update_fields=["status", "confirmed_at"])
    # Asking again through double opt-in lifts an earlier unsubscribe or bounce.
    Suppression.objects.filter(email=email).delete()
    ConsentEvent.objects.create(
        email=email,
        purpose=ConsentPurpose.EMAIL,
        action=ConsentAction.GIVEN,
        wording_version=subscriber.consent_wording_version,
        source=f"newsletter ({subscriber.language}): {subscriber.consent_source}"[:120],
    )
    return ConfirmationOutcome.CONFIRMED


def subscribers_unconfirmed_purge(*, dry_run: bool = False) -> int:
    """Delete sign-ups never confirmed within NEWSLETTER_UNCONFIRMED_DAYS days."""
    before = timezone.now() - datetime.timedelta(days=settings.NEWSLETTER_UNCONFIRMED_DAYS)
    due = Subscriber.objects.filter(status=SubscriberStatus.PENDING, signed_up_at__lt=before)
    if dry_run:
        return due.count()
    deleted, _rows = due.delete()
    return deleted


# --- Unsubscribe and bounces ------------------------------------------------------------


@transaction.atomic
def address_suppress(
    *, email: str, reason: str, source: str, mailing_id: int | None = None
) -> bool:
    """Stop every future mailing to `email`, at once (the next batch of a mailing being
    sent skips it). Returns False when it was already suppressed (the first record stays,
    but an unsubscribe replaces a bounce: it is the person's withdrawn consent)."""
    email = email.strip().lower()
    if not email:
        return False
    fields = {"reason": reason, "source": source[:120], "mailing_id": mailing_id}
    suppression, created = Suppression.objects.select_for_update().get_or_create(
        email=email, defaults=fields
    )
    if (
        not created
        and reason == SuppressionReason.UNSUBSCRIBED
        and suppression.reason != SuppressionReason.UNSUBSCRIBED
    ):
        # A bounce may be lifted by staff later; the person's own unsubscribe must stand.
        Suppression.objects.filter(pk=suppression.pk).update(**fields, recorded_at=timezone.now())
        created = True
    if created and reason == SuppressionReason.UNSUBSCRIBED:
        Subscriber.objects.filter(email=email).exclude(status=SubscriberStatus.UNSUBSCRIBED).update(
            status=SubscriberStatus.UNSUBSCRIBED, unsubscribed_at=timezone.now()
        )
        ConsentEvent.objects.create(
            email=email,
            purpose=ConsentPurpose.EMAIL,
            action=ConsentAction.WITHDRAWN,
            wording_version=settings.CONSENT_WORDING_VERSION,
            source=source[:120],
        )
    return created


def unsubscribe(*, request: UnsubscribeRequest, source: str) -> bool:
    """The recipient's own link or one-click POST; a test message's link changes nothing."""
    if request.is_test:
        return False
    mailing_id = (
        Delivery.objects.filter(pk=request.delivery_id).values_list("mailing_id", flat=True).first()
    )
    return address_suppress(
        email=request.email,
        reason=SuppressionReason.UNSUBSCRIBED,
        source=source,
        mailing_id=mailing_id,
    )


# --- Mailings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MailingCounts:
    recipients: int
    queued: int
    sent: int
    failed: int
    skipped: int
    unsubscribed: int


def mailing_counts(*, mailing: Mailing) -> MailingCounts:
    by_status = dict(
        mailing.deliveries.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    return MailingCounts(
        recipients=sum(by_status.values()),
        queued=by_status.get(DeliveryStatus.QUEUED, 0) + by_status.get(DeliveryStatus.SENDING, 0),
        sent=by_status.get(DeliveryStatus.SENT, 0),
        failed=by_status.get(DeliveryStatus.FAILED, 0),
        skipped=by_status.get(DeliveryStatus.SKIPPED, 0),
        unsubscribed=mailing.suppressions.filter(reason=SuppressionReason.UNSUBSCRIBED).count(),
    )


class MailingNotSendable(Exception):
    pass


def mailing_queue(*, mailing_id: int) -> int:
    """Write one delivery per recipient of the audience now and queue their batches as
    background tasks after the commit. Returns the number of recipients. Refused (with a
    message) for a mailing already sent or being sent, or an audience that reaches no one."""
    with transaction.atomic():
        mailing = Mailing.objects.select_for_update().select_related("audience").get(pk=mailing_id)
        if mailing.status != MailingStatus.DRAFT:
            raise MailingNotSendable(_("This mailing has already been sent."))
        recipients = audience_recipients(mailing.audience)
        if not recipients:
            raise MailingNotSendable(_("Its audience reaches no one: nothing was sent."))
        Delivery.objects.bulk_create(
            (
                Delivery(mailing=mailing, email=email, language=language)
                for email, language in recipients.languages.items()
            ),
            batch_size=2000,
        )
        mailing.status = MailingStatus.SENDING
        mailing.queued_at = timezone.now()
        mailing.save(update_fields=["status", "queued_at"])
        ids = list(mailing.deliveries.order_by("pk").values_list("pk", flat=True))
        size = settings.MAILING_BATCH_SIZE
        batches = [(ids[i], ids[min(i + size, len(ids)) - 1]) for i in range(0, len(ids), size)]
        transaction.on_commit(partial(_enqueue_batches, mailing.pk, batches), robust=True)
    return len(ids)


def _enqueue_batches(mailing_id: int, batches: list[tuple[int, int]]) -> None:
    from mailings import tasks

    for first_id, last_id in batches:
        tasks.mailing_batch_task.enqueue(mailing_id=mailing_id, first_id=first_id, last_id=last_id)


def mailing_batch_send(*, mailing_id: int, first_id: int, last_id: int) -> dict[str, int]:
    """Send the deliveries `first_id`..`last_id` of a mailing through one connection of the
    e-mail backend. A constant number of queries whatever the batch's size. Each delivery is
    claimed before it is sent, so a task run twice sends nothing twice; an address
    suppressed since the mailing was queued is skipped."""
    batch = Delivery.objects.filter(mailing_id=mailing_id, pk__gte=first_id, pk__lte=last_id)
    batch.filter(status=DeliveryStatus.QUEUED).update(status=DeliveryStatus.SENDING)
    rows = list(
        batch.filter(status=DeliveryStatus.SENDING)
        .select_related("mailing")
        .only("pk", "email", "language", "mailing")
        .order_by("pk")
    )
    if not rows:
        return {"sent": 0, "failed": 0, "skipped": 0}
    suppressed = set(
        Suppression.objects.filter(
            email__in=batch.filter(status=DeliveryStatus.SENDING).values("email")
        ).values_list("email", flat=True)
    )
    sent, skipped, failed = [], [], []
    connection = get_connection()
    composer = MailingComposer(rows[0].mailing)
    with connection:
        for delivery in rows:
            if not delivery.email or delivery.email in suppressed:
                skipped.append(delivery.pk)
                continue
            try:
                message = composer.message(
                    delivery_id=delivery.pk, email=delivery.email, language=delivery.language
                )
                connection.send_messages([message])
            except Exception as exc:  # one bad address or a refusal must not stop the batch
                logger.warning("mailing %s delivery %s failed: %s", mailing_id, delivery.pk, exc)
                delivery.status, delivery.error = DeliveryStatus.FAILED, str(exc)[:300]
                failed.append(delivery)
            else:
                sent.append(delivery.pk)
    now = timezone.now()
    if sent:
        Delivery.objects.filter(pk__in=sent).update(status=DeliveryStatus.SENT, sent_at=now)
    if skipped:
        Delivery.objects.filter(pk__in=skipped).update(status=DeliveryStatus.SKIPPED)
    if failed:
        Delivery.objects.bulk_update(failed, ["status", "error"])
    # The last batch to finish marks the mailing sent.
    Mailing.objects.filter(pk=mailing_id, status=MailingStatus.SENDING).exclude(
        Q(deliveries__status__in=[DeliveryStatus.QUEUED, DeliveryStatus.SENDING])
    ).update(status=MailingStatus.SENT, finished_at=now)
    return {"sent": len(sent), "failed": len(failed), "skipped": len(skipped)}


def mailing_test_enqueue(*, mailing_id: int, email: str) -> None:
    """Queue the test message(s) of a mailing to a staff member's own address."""

    def enqueue() -> None:
        from mailings import tasks

        tasks.mailing_test_task.enqueue(mailing_id=mailing_id, email=email)

    transaction.on_commit(enqueue, robust=True)


def mailing_test_send(*, mailing_id: int, email: str) -> int:
    """Each language version of the mailing, as a recipient would get it, to `email`; its
    unsubscribe link shows the page and changes nothing. Returns the messages sent."""
    mailing = Mailing.objects.get(pk=mailing_id)
    languages = ["en", "it"] if mailing.subject_it.strip() else ["en"]
    connection = get_connection()
    composer = MailingComposer(mailing)
    messages = []
    for language in languages:
        message = composer.message(delivery_id=TEST_DELIVERY, email=email, language=language)
        message.subject = f"[TEST] {message.subject}"
        messages.append(message)
    return connection.send_messages(messages) or 0
