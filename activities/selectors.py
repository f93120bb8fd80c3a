"""Reads of activities and follow-ups shared by the admin, the API and the dashboard; the
member's timeline."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import BooleanField, Case, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.models import Activity, FollowUp
from crm.models import Agreement, Member
from crm.scope import scope_queryset

#: How many follow-ups the dashboard's "due to me" panel lists at most.
FOLLOW_UPS_DUE_LIMIT = 10
#: How many entries each source brings to a member's timeline at most (the newest).
TIMELINE_LIMIT = 50


def follow_ups_due(
    user, today: datetime.date | None = None, *, limit: int = FOLLOW_UPS_DUE_LIMIT
) -> list[FollowUp]:
    """The open follow-ups assigned to `user` that are due on `today` or overdue, the longest
    overdue first, at most `limit`, within the user's chapters. One query (and the user's
    chapters, once per request: `crm.scope.user_chapter_ids` keeps them on the user); each
    row has its `member` and an `is_overdue` flag (due before `today`)."""
    today = today or timezone.localdate()
    rows = (
        scope_queryset(FollowUp.objects.filter(assignee=user), user)
        .due_on_or_before(today)
        .select_related("member")
        .annotate(
            is_overdue=Case(
                When(due_on__lt=today, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
    )
    return list(rows[:limit])


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a member's timeline: what happened on a day, by whom, with a link."""

    day: datetime.date
    kind: str  # a CSS-friendly word: activity, follow-up, agreement, join-request, history
    label: str  # "Meeting", "Agreement signed", …
    text: str
    who: str = ""
    url: str = ""
    #: Within a day: later first, when the source knows the time.
    at: datetime.datetime | None = None
    overdue: bool = False


#: A source of timeline entries for one member (a kind app adds its own through the admin).
TimelineSource = Callable[[Member], Iterable[TimelineEntry]]


def _user_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _activity_entries(member: Member) -> Iterable[TimelineEntry]:
    activities = (
        Activity.objects.filter(member=member)
        .select_related("staff")
        .prefetch_related("contacts")
        .order_by("-happened_on", "-id")[:TIMELINE_LIMIT]
    )
    for activity in activities:
        names = ", ".join(contact.name for contact in activity.contacts.all())
        text = activity.summary if not names else f"{activity.summary} ({_('with')} {names})"
        yield TimelineEntry(
            day=activity.happened_on,
            kind="activity",
            label=activity.get_kind_display(),
            text=text,
            who=_user_name(activity.staff),
            url=reverse("admin:activities_activity_change", args=[activity.pk]),
            at=activity.created_at,
        )


def _follow_up_entries(member: Member) -> Iterable[TimelineEntry]:
    today = timezone.localdate()
    follow_ups = (
        FollowUp.objects.filter(member=member)
        .select_related("assignee")
        .order_by("-due_on", "-id")[:TIMELINE_LIMIT]
    )
    for follow_up in follow_ups:
        if follow_up.done_on:
            label, day = _("Follow-up done"), follow_up.done_on
        elif follow_up.due_on < today:
            label, day = _("Follow-up overdue"), follow_up.due_on
        else:
            label, day = _("Follow-up due"), follow_up.due_on
        yield TimelineEntry(
            day=day,
            kind="follow-up",
            label=label,
            text=follow_up.title,
            who=_user_name(follow_up.assignee),
            url=reverse("admin:activities_followup_change", args=[follow_up.pk]),
            overdue=follow_up.is_overdue_on(today),
        )


def _agreement_entries(member: Member) -> Iterable[TimelineEntry]:
    today = timezone.localdate()
    agreements = (
        Agreement.objects.filter(member=member)
        .select_related("renewed_by")
        .order_by("-starts_on")[:TIMELINE_LIMIT]
    )
    for agreement in agreements:
        url = reverse("admin:crm_agreement_change", args=[agreement.pk])
        kind = agreement.get_type_display()
        if agreement.signed_on:
            label = _("Agreement renewed") if agreement.renews_id else _("Agreement signed")
            yield TimelineEntry(
                agreement.signed_on, "agreement", label, f"{agreement} · {kind}", url=url
            )
        if agreement.terminated_on and agreement.terminated_on <= today:
            text = f"{agreement} · {agreement.termination_reason}"
            yield TimelineEntry(
                agreement.terminated_on, "agreement", _("Agreement terminated"), text, url=url
            )
        elif (
            agreement.signed_on
            and agreement.ends_on
            and agreement.ends_on < today
            and getattr(agreement, "renewed_by", None) is None
        ):
            yield TimelineEntry(
                agreement.ends_on,
                "agreement",
                _("Agreement ended"),
                f"{agreement} · {kind}",
                url=url,
            )


def _history_entries(member: Member) -> Iterable[TimelineEntry]:
    """The member's own record as django-simple-history kept it (the kind's table: a
    school's changes are recorded as a school's). Changed fields are read from the next
    older record already fetched, so the diff costs no query."""
    verbs = {"+": _("Created"), "~": _("Changed"), "-": _("Deleted")}
    records = list(
        type(member)
        .history.filter(id=member.pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[: TIMELINE_LIMIT + 1]
    )
    names = {f.name: str(f.verbose_name) for f in type(member)._meta.fields}
    for record, older in zip(records[:TIMELINE_LIMIT], [*records[1:], None], strict=False):
        text = record.history_change_reason or ""
        if not text and record.history_type == "~" and older is not None:
            changed = record.diff_against(older).changed_fields
            text = ", ".join(names.get(name, name) for name in changed)
        at = timezone.localtime(record.history_date)
        yield TimelineEntry(
            day=at.date(),
            kind="history",
            label=verbs.get(record.history_type, _("Changed")),
            text=text,
            who=_user_name(record.history_user),
            at=at,
        )


#: The sources every member has; kind apps add theirs (see MemberTimelineAdminMixin).
TIMELINE_SOURCES: tuple[TimelineSource, ...] = (
    _activity_entries,
    _follow_up_entries,
    _agreement_entries,
    _history_entries,
)


def member_timeline(
    member: Member, *, extra_sources: Iterable[TimelineSource] = ()
) -> list[TimelineEntry]:
    """Everything that happened to `member`, newest first: activities, follow-ups,
    agreements signed, renewed and ended, history, and what `extra_sources` add (the join
    request of a municipality). A fixed number of queries whatever the member's past: one
    or two per source, each bounded to its newest TIMELINE_LIMIT rows."""
    entries = [entry for source in (*TIMELINE_SOURCES, *extra_sources) for entry in source(member)]
    oldest = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    return sorted(entries, key=lambda e: (e.day, e.at or oldest), reverse=True)
