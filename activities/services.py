"""Workflows on follow-ups: the ones Kindnet creates itself, done and undone."""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from activities.models import FollowUp
from crm.models import Member


def follow_up_create_once(
    *,
    member: Member,
    origin: str,
    title: str,
    due_on: datetime.date,
    assignee=None,
    notes: str = "",
) -> tuple[FollowUp, bool]:
    """The follow-up `origin` of `member`, created if it does not exist yet: (row, created).

    The unique index on (member, origin) decides, so two runs at once create one row and
    only the one that created it gets `created` (and sends what goes with it).
    """
    existing = FollowUp.objects.filter(member=member, origin=origin).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            follow_up = FollowUp.objects.create(
                member=member,
                origin=origin,
                title=title[:200],
                due_on=due_on,
                assignee=assignee,
                notes=notes,
            )
        return follow_up, True
    except IntegrityError:
        existing = FollowUp.objects.filter(member=member, origin=origin).first()
        if existing is None:
            raise
        return existing, False


def follow_ups_mark_done(*, follow_ups, day: datetime.date | None = None) -> int:
    """Mark the open ones of `follow_ups` (a queryset) done on `day` (today); how many.
    Saved one by one, so the history says who closed each."""
    day = day or timezone.localdate()
    rows = list(follow_ups.filter(done_on__isnull=True))
    for follow_up in rows:
        follow_up.done_on = day
        follow_up.save(update_fields=["done_on", "updated_at"])
    return len(rows)


def follow_ups_reopen(*, follow_ups) -> int:
    """Open again the done ones of `follow_ups` (a queryset); how many."""
    rows = list(follow_ups.filter(done_on__isnull=False))
    for follow_up in rows:
        follow_up.done_on = None
        follow_up.save(update_fields=["done_on", "updated_at"])
    return len(rows)
