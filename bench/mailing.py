"""Benchmark: build and queue a mailing to N recipients, then send it through the locmem
e-mail backend in the batches the background workers run, against the most direct means.

    python bench/mailing.py [--recipients 100000] [--repeat 3] [--quick]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kindnet python bench/mailing.py

Runs in a throwaway database (see bench/common.py). The audience is everyone with consent:
N/2 confirmed newsletter subscribers and N/2 contacts with the e-mail consent at N/50
schools (plus a few hundred people without consent or unsubscribed, who must be left out).

- queue: `mailings.services.mailing_queue`, what the admin's *Send* runs: the audience's
  query (consent, suppression list, each address once), one delivery row per recipient, and
  one background task per batch in the production task backend (django-tasks' database
  backend). Floor: the same addresses read with a plain `values_list` and the same rows
  written with `bulk_create` (no consent, no suppression, no de-duplication, no tasks).
- send: `mailings.services.mailing_batch_send` for every batch, as a worker runs it (claim,
  suppression check, each recipient's message with its signed unsubscribe link and the
  RFC 8058 headers, statuses written). Floor: the same messages (same subject, text, HTML
  and headers, a fixed link) built directly and handed to the same backend, batch by batch,
  with no database at all.

Queue and floor alternate in each round (`--repeat`, median); each batch is sent by both
in turn, so a busy machine slows both alike. The last line is the RESULT.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from common import throwaway_database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kindnet.settings")
os.environ["TASKS_BACKEND"] = "database"  # the production backend: a row per queued batch
# The e-mail backend is locmem: the test environment (bench/common.py) sets it.


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smoke run: 2,000 recipients, 1 round")
    args = parser.parse_args()
    recipients, repeat = (2_000, 1) if args.quick else (args.recipients, args.repeat)
    with throwaway_database("mailing"):
        from django.db import connection

        run(recipients, repeat, connection)


def network_create(recipients: int) -> None:
    from crm.models import Chapter, Contact
    from mailings.models import Subscriber, Suppression
    from partners.models import School

    italy, _ = Chapter.objects.get_or_create(country="IT", defaults={"name": "Italia"})
    half = recipients // 2
    Subscriber.objects.bulk_create(
        (
            Subscriber(email=f"reader{i}@example.org", status="confirmed", language="it")
            for i in range(half)
        ),
        batch_size=5000,
    )
    Subscriber.objects.bulk_create(
        Subscriber(email=f"pending{i}@example.org", status="pending") for i in range(200)
    )
    schools = [
        School.objects.create(
            name=f"Scuola {i}", school_code=f"BMIC{i:06d}", chapter=italy, country="IT",
            city="Roma", province="RM", region="Lazio",
        )
        for i in range(max(1, (recipients - half) // 50))
    ]  # fmt: skip
    Contact.objects.bulk_create(
        (
            Contact(
                member=schools[i % len(schools)],
                name=f"Contatto {i}",
                email=f"contact{i}@scuola.example.org",
                email_consent=True,
            )
            for i in range(recipients - half)
        ),
        batch_size=5000,
    )
    Contact.objects.bulk_create(
        Contact(member=schools[0], name=f"No {i}", email=f"no{i}@example.org") for i in range(200)
    )
    Suppression.objects.bulk_create(
        Suppression(email=f"left{i}@example.org", reason="unsubscribed") for i in range(200)
    )
    Subscriber.objects.bulk_create(
        Subscriber(email=f"left{i}@example.org", status="confirmed") for i in range(200)
    )


def mailing_new():
    from mailings.models import Audience, Mailing

    audience = Audience.objects.create(name="Everyone", include_subscribers=True)
    return Mailing.objects.create(
        audience=audience,
        subject_en="Kindness in spring",
        body_en="Dear friends,\n\n**Twelve schools** joined. [Read more](https://kindness.example/).",
        subject_it="La gentilezza in primavera",
        body_it="Care amiche e cari amici,\n\n**Dodici scuole** si sono unite.",
    )


def queue_once() -> tuple[float, int]:
    from mailings.services import mailing_queue

    mailing = mailing_new()
    started = time.perf_counter()
    mailing_queue(mailing_id=mailing.pk)
    return time.perf_counter() - started, mailing.pk


def floor_queue_once() -> float:
    from crm.models import Contact
    from mailings.models import Delivery, Subscriber

    mailing = mailing_new()
    started = time.perf_counter()
    addresses = [
        *Subscriber.objects.values_list("email", flat=True).iterator(chunk_size=5000),
        *Contact.objects.values_list("email", flat=True).iterator(chunk_size=5000),
    ]
    Delivery.objects.bulk_create(
        (Delivery(mailing=mailing, email=a, language="it") for a in addresses), batch_size=2000
    )
    elapsed = time.perf_counter() - started
    Delivery.objects.filter(mailing=mailing).delete()
    return elapsed


def floor_messages(mailing, addresses: list[str], first_id: int):
    """The batch's messages built directly: the subject, text, HTML and headers of the
    first recipient's real message (one link of the real length), with no token per
    recipient, no template, no database."""
    from django.core.mail import EmailMultiAlternatives

    from mailings.messages import MailingComposer

    model = MailingComposer(mailing).message(
        delivery_id=first_id, email=addresses[0], language="it"
    )
    html = model.alternatives[0][0]
    for address in addresses:
        message = EmailMultiAlternatives(
            subject=model.subject, body=model.body, to=[address], headers=model.extra_headers
        )
        message.attach_alternative(html, "text/html")
        yield message


def run(recipients: int, repeat: int, connection) -> None:
    from django.conf import settings
    from django.core import mail
    from django.core.mail import get_connection
    from django_tasks_db.models import DBTaskResult

    from mailings.models import Delivery, Mailing
    from mailings.services import mailing_batch_send

    print(f"engine: {connection.vendor}; recipients: {recipients:,}; rounds: {repeat}")
    started = time.perf_counter()
    network_create(recipients)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"created the network in {time.perf_counter() - started:.1f} s")

    queues, floors = [], []
    for _round in range(repeat):
        DBTaskResult.objects.all().delete()
        Delivery.objects.all().delete()
        elapsed, mailing_id = queue_once()
        queues.append(elapsed)
        floors.append(floor_queue_once())
    queued = Delivery.objects.filter(mailing_id=mailing_id).count()
    tasks = DBTaskResult.objects.count()
    assert queued == recipients, f"{queued} queued for {recipients} recipients"
    queue, floor = statistics.median(queues), statistics.median(floors)
    print(
        f"queue: {queue:6.2f} s for {queued:,} deliveries and {tasks} batch tasks; "
        f"floor {floor:6.2f} s; ratio {queue / floor:5.2f}"
    )

    batches = [
        (task["kwargs"]["first_id"], task["kwargs"]["last_id"])
        for task in DBTaskResult.objects.order_by("enqueued_at").values_list(
            "args_kwargs", flat=True
        )
    ]
    backend = get_connection()
    mailing = Mailing.objects.get(pk=mailing_id)
    sent_seconds, floor_seconds, sent = [], [], 0
    for first_id, last_id in batches:
        addresses = list(
            Delivery.objects.filter(pk__gte=first_id, pk__lte=last_id).values_list(
                "email", flat=True
            )
        )
        started = time.perf_counter()
        outcome = mailing_batch_send(mailing_id=mailing_id, first_id=first_id, last_id=last_id)
        sent_seconds.append(time.perf_counter() - started)
        sent += outcome["sent"]
        mail.outbox.clear()
        started = time.perf_counter()
        with backend:
            for message in floor_messages(mailing, addresses, first_id):
                backend.send_messages([message])
        floor_seconds.append(time.perf_counter() - started)
        mail.outbox.clear()
    assert sent == recipients, f"{sent} sent of {recipients}"
    assert Mailing.objects.get(pk=mailing_id).status == "sent"
    rate = sent / sum(sent_seconds)
    floor_rate = sent / sum(floor_seconds)
    per_batch = statistics.median(sent_seconds)
    print(
        f"send: {sent:,} messages in {len(batches)} batches of {settings.MAILING_BATCH_SIZE}: "
        f"{rate:8,.0f} messages/s (median batch {per_batch:.2f} s); floor {floor_rate:8,.0f} "
        f"messages/s; ratio {floor_rate / rate:5.2f}"
    )
    print(
        f"RESULT queue_seconds={queue:.2f} queue_floor_seconds={floor:.2f} "
        f"queue_ratio={queue / floor:.2f} messages_per_second={rate:.0f} "
        f"floor_messages_per_second={floor_rate:.0f} send_ratio={floor_rate / rate:.2f} "
        f"batches={len(batches)} recipients={recipients} engine={connection.vendor}"
    )


if __name__ == "__main__":
    main()
