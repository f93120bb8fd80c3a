"""The periodic sweep (`manage.py geocode_sweep`): geocoding heals itself.

Members waiting (pending) or failed for now longer than GEOCODER_SWEEP_AFTER_SECONDS are
queued again — at most GEOCODER_SWEEP_DAILY_CAP times a day each, GEOCODER_SWEEP_BATCH per
run — and geocoding tasks left RUNNING by a dead worker are closed as failed. Safe to run
every few minutes from cron or a timer: a second run right after the first queues nothing
(each member's mark says when it was last queued), and two runs at once queue each member
once (one sweep at a time: an advisory lock on PostgreSQL, SQLite's single writer).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from crm.models import GeocodeStatus, Member
from geocoding.cache import CachedMiss, geocode_cache_get_many
from geocoding.models import GeocodeSweepMark
from geocoding.services import member_geocode_query, members_geocode_enqueue

TASK_PATHS = ("geocoding.tasks.members_geocode_task", "geocoding.tasks.members_geocode_retry_task")
_LOCK_ID = 0x6B6E_6765_6F73  # "kngeos": one sweep at a time on PostgreSQL


@dataclass
class SweepSummary:
    queued: int = 0
    capped: int = 0  # due, but queued GEOCODER_SWEEP_DAILY_CAP times today already
    tasks_taken_over: int = 0
    busy: bool = False  # another sweep was running: this one did nothing


def geocode_tasks_take_over(*, now: datetime.datetime) -> int:
    """Close geocoding tasks RUNNING for longer than GEOCODER_TASK_TIMEOUT_SECONDS: their
    worker died (SIGKILL, lost machine). Their members are still pending and are queued
    again by the sweep. Nothing to do with a backend that keeps no task rows."""
    from django.apps import apps

    if not apps.is_installed("django_tasks_db"):
        return 0
    from django_tasks_db.models import DBTaskResult

    cutoff = now - datetime.timedelta(seconds=settings.GEOCODER_TASK_TIMEOUT_SECONDS)
    return DBTaskResult.objects.filter(
        status="RUNNING", task_path__in=TASK_PATHS, started_at__lt=cutoff
    ).update(
        status="FAILED",
        finished_at=now,
        exception_class_path="geocoding.sweep.WorkerLost",
        traceback=(
            f"Still running after {settings.GEOCODER_TASK_TIMEOUT_SECONDS} s: its worker "
            "is gone. Its members were queued again by manage.py geocode_sweep."
        ),
    )


def _locked() -> bool:
    if connection.vendor != "postgresql":
        return True  # SQLite: writers are serialised; the marks do the rest
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_LOCK_ID])
        return bool(cursor.fetchone()[0])


def _transient(members: list[Member]) -> list[Member]:
    """Failed members whose failure may pass: not those whose query has a remembered
    negative answer (no such place: asking again changes nothing until it expires)."""
    queries = {m.pk: member_geocode_query(member=m) for m in members}
    answers = geocode_cache_get_many(keys={q.key for q in queries.values()})
    return [m for m in members if not isinstance(answers.get(queries[m.pk].key), CachedMiss)]


def geocode_sweep(*, now: datetime.datetime | None = None) -> SweepSummary:
    """One sweep: take over dead tasks, queue overdue members again (after the commit)."""
    now = now or timezone.now()
    summary = SweepSummary()
    today = timezone.localdate(now)
    after = datetime.timedelta(seconds=settings.GEOCODER_SWEEP_AFTER_SECONDS)
    with transaction.atomic():
        if not _locked():
            summary.busy = True
            return summary
        summary.tasks_taken_over = geocode_tasks_take_over(now=now)
        due = Member.objects.filter(
            Q(geocode_status=GeocodeStatus.PENDING) | Q(geocode_status=GeocodeStatus.FAILED),
            updated_at__lte=now - after,
        ).order_by("updated_at", "pk")
        marks = {
            mark.member_id: mark
            for mark in GeocodeSweepMark.objects.select_for_update().filter(
                member__in=due.values("pk")
            )
        }
        chosen: list[Member] = []
        for member in due.only("pk", "kind", *Member().address_fields(), "geocode_status"):
            mark = marks.get(member.pk)
            if mark is not None and mark.queued_at > now - after:
                continue  # queued by a recent sweep: its task has not run yet
            if (
                mark is not None
                and mark.day == today
                and mark.count >= settings.GEOCODER_SWEEP_DAILY_CAP
            ):
                summary.capped += 1
                continue
            chosen.append(member)
            if len(chosen) >= settings.GEOCODER_SWEEP_BATCH:
                break
        failed = [m for m in chosen if m.geocode_status == GeocodeStatus.FAILED]
        keep = {m.pk for m in _transient(failed)}
        chosen = [m for m in chosen if m.geocode_status == GeocodeStatus.PENDING or m.pk in keep]
        for member in chosen:
            mark = marks.get(member.pk)
            count = mark.count + 1 if mark is not None and mark.day == today else 1
            GeocodeSweepMark.objects.update_or_create(
                member_id=member.pk, defaults={"queued_at": now, "day": today, "count": count}
            )
        summary.queued = len(chosen)
        members_geocode_enqueue(member_ids=[m.pk for m in chosen])
    return summary
