"""Newsletter sign-up (double opt-in), audiences, mailings sent in background batches,
one-click unsubscribe, bounces, retention and erasure (mailings/)."""

from __future__ import annotations

import datetime
import re
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone
from django.utils.module_loading import import_string

from crm.models import ConsentEvent, ConsentPurpose, MemberKind
from crm.people import person_erase
from mailings.models import (
    Audience,
    Delivery,
    DeliveryStatus,
    MailingStatus,
    Subscriber,
    SubscriberStatus,
    Suppression,
)
from mailings.selectors import audience_recipients
from mailings.services import mailing_batch_send, mailing_queue
from mailings.tokens import confirmation_token
from tests.conftest import login_verified
from tests.factories import (
    AgreementFactory,
    AmbassadorFactory,
    AudienceFactory,
    ChapterFactory,
    ContactFactory,
    MailingFactory,
    SchoolFactory,
    SubscriberFactory,
)

pytestmark = pytest.mark.django_db

API = "/api/v1/newsletter/subscriptions/"
ORIGIN = "https://www.kindness.example"


def _signup(client: Client, email: str, origin: str = "", **fields):
    body = {"email": email, "consent": True, "language": "it", **fields}
    headers = {"origin": origin} if origin else {}
    return client.post(API, body, content_type="application/json", headers=headers)


def _link(message, pattern: str) -> str:
    return re.search(rf"https?://\S+({pattern}\S+/)", message.body).group(1)


def _send(mailing, callbacks_fixture) -> None:
    with callbacks_fixture(execute=True):
        mailing_queue(mailing_id=mailing.pk)


# --- Double opt-in -----------------------------------------------------------------------


def test_double_opt_in_from_the_api(django_capture_on_commit_callbacks):
    client = Client(enforce_csrf_checks=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = _signup(client, "Anna@Example.org", origin=ORIGIN)
    assert response.status_code == 202
    assert "we have sent it an e-mail" in response.json()["detail"].lower() or response.json()
    subscriber = Subscriber.objects.get()
    assert (subscriber.email, subscriber.status, subscriber.language) == (
        "anna@example.org",
        SubscriberStatus.PENDING,
        "it",
    )
    assert subscriber.consent_wording_version == "2026-01"
    assert subscriber.consent_source.startswith("website API")
    [message] = mail.outbox
    assert message.to == ["anna@example.org"]
    assert "Conferma" in message.subject or "conferma" in message.body.lower()

    # Unconfirmed: no audience reaches them.
    audience = AudienceFactory(
        include_contacts=False, include_ambassadors=False, include_subscribers=True
    )
    assert len(audience_recipients(audience)) == 0

    link = _link(message, "/newsletter/confirm/")
    first = client.get(link)
    assert first.status_code == 200
    assert "confirmed" in first.content.decode() or "confermat" in first.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.CONFIRMED
    confirmed_at = subscriber.confirmed_at
    [event] = ConsentEvent.objects.filter(purpose=ConsentPurpose.EMAIL)
    assert (event.email, event.action, event.wording_version) == (
        "anna@example.org",
        "given",
        "2026-01",
    )
    assert "newsletter (it)" in event.source

    again = client.get(link)  # confirming twice is harmless
    assert again.status_code == 200
    assert "already confirmed" in again.content.decode() or "già" in again.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at == confirmed_at
    assert ConsentEvent.objects.filter(purpose=ConsentPurpose.EMAIL).count() == 1
    assert audience_recipients(audience).languages == {"anna@example.org": "it"}


def test_an_expired_or_altered_link_is_refused_with_a_clear_page(settings):
    subscriber = SubscriberFactory(status=SubscriberStatus.PENDING, confirmed_at=None)
    long_ago = timezone.now().timestamp() - (settings.NEWSLETTER_CONFIRM_DAYS + 1) * 86400
    with mock.patch("django.core.signing.time.time", return_value=long_ago):
        token = confirmation_token(subscriber_id=subscriber.pk, email=subscriber.email)
    response = Client().get(f"/newsletter/confirm/{token}/?lang=en")
    assert response.status_code == 410
    page = response.content.decode()
    assert "This link has expired" in page and "Nothing was changed" in page
    assert 'href="/newsletter/"' in page  # a way on: sign up again
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.PENDING

    altered = Client().get(f"/newsletter/confirm/{token[:-3]}xyz/?lang=en")
    assert altered.status_code == 400
    assert "does not work" in altered.content.decode()


def test_same_answer_for_new_pending_and_confirmed_addresses(django_capture_on_commit_callbacks):
    confirmed = SubscriberFactory(email="known@example.org", language="en")
    before = Subscriber.objects.values().get(pk=confirmed.pk)
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        new = _signup(client, "new@example.org")
        known = _signup(client, "KNOWN@example.org")
        pending_again = _signup(client, "new@example.org")
    assert new.status_code == known.status_code == pending_again.status_code == 202
    assert new.json() == known.json() == pending_again.json()
    assert Subscriber.objects.values().get(pk=confirmed.pk) == before  # nothing changed
    # One confirmation: none to the confirmed address, no second one within minutes.
    assert [m.to for m in mail.outbox] == [["new@example.org"]]


def test_honeypot_and_missing_consent_store_nothing(django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        bot = _signup(client, "bot@example.org", website="http://spam.example")
        no_consent = _signup(client, "anna@example.org", consent=False, language="en")
        bad = _signup(client, "not-an-address", language="en")
    assert bot.status_code == 202  # a bot learns nothing
    assert no_consent.status_code == 400
    assert no_consent.json()["consent"] == [
        "Tick the box to agree, or we cannot send you anything."
    ]
    assert bad.status_code == 400 and "email" in bad.json()
    assert not Subscriber.objects.exists()
    assert mail.outbox == []


def test_a_body_that_is_not_an_object_gets_a_clear_400():
    client = Client()
    for body in ("[1, 2]", '"anna@example.org"',
                 '{"email": "anna@example.org", "consent": true, "language": ["it"]}'):  # fmt: skip
        response = client.post(API, body, content_type="application/json")
        assert response.status_code == 400, body
        assert response["Content-Type"] == "application/json"
    assert not Subscriber.objects.exists()


def test_signups_are_throttled_per_client_and_cors_allows_the_website(settings):
    settings.NEWSLETTER_SIGNUP_RATE = "2/hour"
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    client = Client()
    preflight = client.options(
        API, HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )  # fmt: skip
    assert preflight["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in preflight["Access-Control-Allow-Methods"]
    assert _signup(client, "a@example.org", origin=ORIGIN)["Access-Control-Allow-Origin"] == ORIGIN
    assert _signup(client, "b@example.org").status_code == 202
    third = _signup(client, "c@example.org")
    assert third.status_code == 429
    assert "Too many sign-ups" in third.json()["detail"]
    assert not Subscriber.objects.filter(email="c@example.org").exists()


def test_signup_page(django_capture_on_commit_callbacks):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/newsletter/?lang=en")
    assert page.status_code == 200
    assert "I agree to receive the newsletter" in page.content.decode()
    token = page.cookies["csrftoken"].value
    refused = client.post(
        "/newsletter/?lang=en", {"email": "anna@example.org", "csrfmiddlewaretoken": token}
    )
    assert refused.status_code == 400
    assert "Tick the box to agree" in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            "/newsletter/?lang=en",
            {"email": "anna@example.org", "consent": "on", "csrfmiddlewaretoken": token},
        )
    assert done.status_code == 302
    assert "Check your inbox" in client.get(done["Location"]).content.decode()
    assert Subscriber.objects.get().consent_source == "sign-up page"
    assert len(mail.outbox) == 1


# --- Audiences ---------------------------------------------------------------------------


def test_an_audience_counts_each_consenting_address_once_and_no_one_else():
    it = ChapterFactory(name="Italy", country="IT")
    school = SchoolFactory(chapter=it)
    ContactFactory(member=school, email="Head@School.example", email_consent=True)
    ContactFactory(member=school, email="secretary@school.example", email_consent=False)
    ContactFactory(member=school, email="", email_consent=True)
    AmbassadorFactory(chapter=it, email="giulia@example.org", email_consent=True)
    AmbassadorFactory(chapter=it, email="no@example.org", email_consent=False)
    SubscriberFactory(email="head@school.example", language="en")  # same person, other group
    SubscriberFactory(email="pending@example.org", status=SubscriberStatus.PENDING)
    SubscriberFactory(email="left@example.org", status=SubscriberStatus.UNSUBSCRIBED)
    ContactFactory(member=school, email="bounced@example.org", email_consent=True)
    Suppression.objects.create(email="bounced@example.org", reason="bounced")

    everyone = Audience(include_contacts=True, include_ambassadors=True, include_subscribers=True)
    recipients = audience_recipients(everyone)
    assert recipients.languages == {
        "head@school.example": "en",  # the subscriber's own language comes first
        "giulia@example.org": "it",
    }
    assert recipients.by_source == {"subscribers": 1, "ambassadors": 1, "contacts": 0}


def test_audience_filters_on_the_network(db):
    it = ChapterFactory(name="Italy", country="IT")
    ch = ChapterFactory(name="Switzerland", country="CH")
    expiring = SchoolFactory(chapter=it)
    AgreementFactory(member=expiring, ends_on=timezone.localdate() + datetime.timedelta(days=20))
    ContactFactory(member=expiring, email="soon@example.org", email_consent=True)
    later = SchoolFactory(chapter=it)
    AgreementFactory(member=later)
    ContactFactory(member=later, email="later@example.org", email_consent=True)
    ticino = AmbassadorFactory(chapter=ch, country="CH", province="TI", region="Ticino",
                               email="ti@example.org", email_consent=True)  # fmt: skip
    AmbassadorFactory(chapter=ch, country="CH", province="ZH", region="Zürich",
                      email="zh@example.org", email_consent=True)  # fmt: skip

    def reached(**filters) -> set[str]:
        return set(audience_recipients(Audience(**filters)).languages)

    assert reached(agreement_expiring_within_days=60) == {"soon@example.org"}
    assert reached(chapter=ch, region="TI") == {ticino.email}
    assert audience_recipients(Audience(region="TI")).languages == {"ti@example.org": "it"}
    assert reached(member_kind=MemberKind.SCHOOL, include_ambassadors=False) == {
        "soon@example.org",
        "later@example.org",
    }
    assert reached(country="CH", language="en") == {"zh@example.org"}
    assert reached(membership_status="active", include_ambassadors=False) == {
        "soon@example.org",
        "later@example.org",
    }


def test_an_audience_of_subscribers_refuses_network_filters():
    audience = Audience(name="x", include_subscribers=True, region="Lazio")
    with pytest.raises(Exception, match="Newsletter subscribers belong to no member"):
        audience.full_clean()


def test_the_email_consent_of_a_contact_is_a_consent_event():
    contact = ContactFactory(email_consent=True)
    assert contact.email_consent_at is not None
    contact.email_consent = False
    contact.save()
    actions = list(
        ConsentEvent.objects.filter(purpose=ConsentPurpose.EMAIL)
        .order_by("pk")
        .values_list("email", "action")
    )
    assert actions == [(contact.email, "given"), (contact.email, "withdrawn")]
    assert contact.email_consent_at is None


# --- Sending -----------------------------------------------------------------------------


def test_ten_thousand_messages_go_out_in_background_batches_with_constant_queries(
    settings, django_capture_on_commit_callbacks, django_assert_num_queries
):
    settings.MAILING_BATCH_SIZE = 2500
    Subscriber.objects.bulk_create(
        Subscriber(email=f"r{i}@example.org", status="confirmed", language="it" if i % 2 else "en")
        for i in range(10_000)
    )
    mailing = MailingFactory(
        audience=AudienceFactory(
            include_contacts=False, include_ambassadors=False, include_subscribers=True
        )
    )
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from django_tasks import default_task_backend, task_backends

    task_backends._settings = None
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert mailing_queue(mailing_id=mailing.pk) == 10_000
        assert mail.outbox == []  # nothing is sent by the request that queues it
        batches = default_task_backend.results
        assert [r.task.name for r in batches] == ["mailing_batch_task"] * 4
    finally:
        task_backends._settings = None
    for result in batches:
        # Claim, read, suppressed addresses, mark sent, mark the mailing finished.
        with django_assert_num_queries(5):
            outcome = mailing_batch_send(**result.kwargs)
        assert outcome == {"sent": 2500, "failed": 0, "skipped": 0}
    assert len(mail.outbox) == 10_000
    assert len({m.to[0] for m in mail.outbox}) == 10_000
    mailing.refresh_from_db()
    assert mailing.status == MailingStatus.SENT and mailing.finished_at is not None
    italian = next(m for m in mail.outbox if m.to == ["r1@example.org"])
    assert italian.subject == "La gentilezza in primavera"
    assert "<strong>Dodici scuole</strong>" in italian.alternatives[0][0]
    assert italian.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # A task run twice sends nothing twice.
    assert mailing_batch_send(**batches[0].kwargs) == {"sent": 0, "failed": 0, "skipped": 0}


def test_a_batch_has_the_same_queries_whatever_its_size(django_assert_num_queries):
    audience = AudienceFactory(
        include_contacts=False, include_ambassadors=False, include_subscribers=True
    )
    for size in (3, 40):
        mailing = MailingFactory(audience=audience)
        SubscriberFactory.create_batch(size if size == 3 else 37)
        mailing_queue_ids = mailing_queue_silent(mailing)
        with django_assert_num_queries(5):
            mailing_batch_send(
                mailing_id=mailing.pk,
                first_id=min(mailing_queue_ids),
                last_id=max(mailing_queue_ids),
            )
        Delivery.objects.all().delete()


def mailing_queue_silent(mailing) -> list[int]:
    """Queue without running the batches (their tasks are enqueued after a commit that a
    test's transaction never makes)."""
    mailing_queue(mailing_id=mailing.pk)
    return list(mailing.deliveries.values_list("pk", flat=True))


def test_one_click_unsubscribe_without_login_and_the_next_mailing_skips_the_address(
    django_capture_on_commit_callbacks,
):
    SubscriberFactory(email="anna@example.org")
    SubscriberFactory(email="bruno@example.org")
    audience = AudienceFactory(
        include_contacts=False, include_ambassadors=False, include_subscribers=True
    )
    first = MailingFactory(audience=audience)
    _send(first, django_capture_on_commit_callbacks)
    message = next(m for m in mail.outbox if m.to == ["anna@example.org"])
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    path = url.split("://", 1)[1].split("/", 1)[1]
    assert url in message.body and url in message.alternatives[0][0]

    client = Client(enforce_csrf_checks=True)  # a mail client: no session, no CSRF token
    shown = client.get(f"/{path}?lang=en")
    assert shown.status_code == 200 and "anna@example.org" in shown.content.decode()
    assert not Suppression.objects.exists()  # GET (link scanners) changes nothing
    response = client.post(f"/{path}", "List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert response.status_code == 200
    suppression = Suppression.objects.get()
    assert (suppression.email, suppression.reason, suppression.mailing) == (
        "anna@example.org",
        "unsubscribed",
        first,
    )
    assert suppression.source == "one-click (mail client)"
    assert Subscriber.objects.get(email="anna@example.org").status == SubscriberStatus.UNSUBSCRIBED
    assert client.post(f"/{path}").status_code == 200  # twice: harmless

    mail.outbox.clear()
    second = MailingFactory(audience=audience)
    _send(second, django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["bruno@example.org"]]


def test_a_bounce_recorded_meanwhile_is_skipped_by_the_next_batch():
    SubscriberFactory(email="anna@example.org")
    SubscriberFactory(email="bruno@example.org")
    mailing = MailingFactory(
        audience=AudienceFactory(
            include_contacts=False, include_ambassadors=False, include_subscribers=True
        )
    )
    ids = mailing_queue_silent(mailing)
    call_command("mailing_bounce", "--email", "Anna@Example.org", stdout=None)
    assert mailing_batch_send(mailing_id=mailing.pk, first_id=min(ids), last_id=max(ids)) == {
        "sent": 1, "failed": 0, "skipped": 1,
    }  # fmt: skip
    assert Delivery.objects.get(email="anna@example.org").status == DeliveryStatus.SKIPPED
    with pytest.raises(CommandError, match="Not e-mail addresses"):
        call_command("mailing_bounce", "--email", "nonsense")


def test_a_failed_message_is_recorded_and_the_batch_goes_on():
    SubscriberFactory.create_batch(2)
    mailing = MailingFactory(
        audience=AudienceFactory(
            include_contacts=False, include_ambassadors=False, include_subscribers=True
        )
    )
    ids = mailing_queue_silent(mailing)
    backend = "django.core.mail.backends.locmem.EmailBackend"
    real_send = import_string(backend).send_messages
    calls = []

    def flaky(connection, messages):
        calls.append(messages)
        if len(calls) == 1:
            raise OSError("mailbox unavailable")
        return real_send(connection, messages)

    with mock.patch(f"{backend}.send_messages", flaky):
        outcome = mailing_batch_send(mailing_id=mailing.pk, first_id=min(ids), last_id=max(ids))
    assert outcome == {"sent": 1, "failed": 1, "skipped": 0}
    failed = Delivery.objects.get(status=DeliveryStatus.FAILED)
    assert failed.error == "mailbox unavailable"


# --- Privacy -----------------------------------------------------------------------------


def test_unconfirmed_subscribers_are_deleted_after_the_configured_days(settings):
    settings.NEWSLETTER_UNCONFIRMED_DAYS = 10
    old = timezone.now() - datetime.timedelta(days=11)
    SubscriberFactory(email="old@example.org", status="pending", signed_up_at=old)
    SubscriberFactory(email="new@example.org", status="pending")
    SubscriberFactory(email="kept@example.org", signed_up_at=old)  # confirmed
    call_command("purge_unconfirmed_subscribers", stdout=None)
    assert set(Subscriber.objects.values_list("email", flat=True)) == {
        "new@example.org",
        "kept@example.org",
    }


def test_erasure_removes_a_subscriber_from_every_future_mailing():
    SubscriberFactory(email="anna@example.org")
    Suppression.objects.create(email="old@example.org", reason="bounced")
    audience = Audience(include_contacts=False, include_ambassadors=False, include_subscribers=True)
    assert set(audience_recipients(audience).languages) == {"anna@example.org"}
    changed = person_erase(email="Anna@example.org")
    assert changed["mailings.Subscriber"] == 1
    assert audience_recipients(audience).languages == {}
    assert Subscriber.objects.get().email == ""


# --- Staff -------------------------------------------------------------------------------


def test_staff_write_test_and_send_a_mailing(superuser, django_capture_on_commit_callbacks):
    client = login_verified(Client(), superuser)
    SubscriberFactory(email="anna@example.org")
    audience = AudienceFactory(
        include_contacts=False, include_ambassadors=False, include_subscribers=True
    )
    page = client.get(f"/admin/mailings/audience/{audience.pk}/change/")
    assert "<strong>1</strong> addresses" in page.content.decode()
    mailing = MailingFactory(audience=audience)
    url = f"/admin/mailings/mailing/{mailing.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{url}send-test/")
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["alice@example.org"], "[TEST] Kindness in spring"),
        (["alice@example.org"], "[TEST] La gentilezza in primavera"),
    ]
    mail.outbox.clear()
    confirm = client.get(f"{url}send/")
    assert "Send this mailing?" in confirm.content.decode()
    assert mail.outbox == [] and mailing.deliveries.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(f"{url}send/", follow=True)
    assert "Sending to 1 addresses" in sent.content.decode()
    assert [m.to for m in mail.outbox] == [["anna@example.org"]]
    page = client.get(f"{url}change/").content.decode()
    assert "recipients: 1" in page and "sent: 1" in page and "failed: 0" in page
    again = client.post(f"{url}send/", follow=True)
    assert "already been sent" in again.content.decode()


def test_unsubscribing_an_address_that_bounced_is_still_recorded(
    django_capture_on_commit_callbacks,
):
    # A bounce may be lifted by staff once the mailbox works again; the person's own
    # unsubscribe must stand and be recorded as their withdrawn consent.
    SubscriberFactory(email="anna@example.org")
    audience = AudienceFactory(
        include_contacts=False, include_ambassadors=False, include_subscribers=True
    )
    mailing = MailingFactory(audience=audience)
    _send(mailing, django_capture_on_commit_callbacks)
    url = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>")
    path = url.split("://", 1)[1].split("/", 1)[1]
    call_command("mailing_bounce", "--email", "anna@example.org", stdout=None)

    Client().post(f"/{path}", "List-Unsubscribe=One-Click",
                  content_type="application/x-www-form-urlencoded")  # fmt: skip

    assert Subscriber.objects.get().status == SubscriberStatus.UNSUBSCRIBED
    assert ConsentEvent.objects.filter(
        email="anna@example.org", purpose=ConsentPurpose.EMAIL, action="withdrawn"
    ).exists()
    suppression = Suppression.objects.get()
    assert (suppression.reason, suppression.mailing) == ("unsubscribed", mailing)
