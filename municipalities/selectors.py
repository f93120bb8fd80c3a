"""Read queries shared by the join form, the API and the review screen."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.selectors import TIMELINE_LIMIT, TimelineEntry
from crm.models import Member, MemberKind
from crm.names import place_name_normalize
from municipalities.models import (
    JoinRequest,
    JoinRequestStatus,
    MunicipalityReference,
)


def municipality_references_search(
    *, query: str, country: str = "IT", limit: int = 15
) -> list[MunicipalityReference]:
    """Municipalities whose name starts with `query` (accents, case ignored), then contain it.

    At most two indexed queries; homonyms come out side by side, ordered by province.
    """
    needle = place_name_normalize(query)
    if len(needle) < 2:
        return []
    listed = MunicipalityReference.objects.filter(country=country.upper())
    found = list(
        listed.filter(search_name__startswith=needle).order_by("search_name", "province_code")[
            :limit
        ]
    )
    if len(found) < limit:
        found += list(
            listed.filter(search_name__contains=f" {needle}")
            .exclude(pk__in=[m.pk for m in found])
            .order_by("search_name", "province_code")[: limit - len(found)]
        )
    return found


def join_request_similar_members(join_request: JoinRequest, *, limit: int = 10) -> list[Member]:
    """Members that may be this municipality already: same official code, or a similar name."""
    match = (
        Q(municipality__official_code=join_request.official_code)
        if join_request.official_code
        else Q()
    )
    words = [w for w in place_name_normalize(join_request.municipality_name).split() if len(w) > 2]
    name_match = Q(name__icontains=join_request.municipality_name) | Q(
        city__iexact=join_request.municipality_name
    )
    if words:
        name_match |= Q(name__icontains=max(words, key=len), kind=MemberKind.MUNICIPALITY)
    return list(
        Member.objects.filter(country=join_request.country)
        .filter(match | name_match if match else name_match)
        .with_membership()
        .select_related("chapter")
        .order_by("-kind", "name")[:limit]
    )


def join_request_timeline_entries(member: Member) -> list[TimelineEntry]:
    """The municipality's join requests on its timeline: submitted, and approved or
    rejected. One query, whatever the member."""
    entries = []
    requests = JoinRequest.objects.filter(municipality_id=member.pk).select_related("decided_by")
    for request in requests.order_by("-submitted_at")[:TIMELINE_LIMIT]:
        url = reverse("admin:municipalities_joinrequest_change", args=[request.pk])
        submitted = timezone.localtime(request.submitted_at)
        text = f"{request.reference} · {request.get_channel_display()}"
        entries.append(
            TimelineEntry(
                submitted.date(),
                "join-request",
                _("Join request submitted"),
                text,
                url=url,
                at=submitted,
            )
        )
        if request.decided_at and request.status in (
            JoinRequestStatus.APPROVED,
            JoinRequestStatus.REJECTED,
        ):
            decided = timezone.localtime(request.decided_at)
            label = (
                _("Join request approved")
                if request.status == JoinRequestStatus.APPROVED
                else _("Join request rejected")
            )
            who = (
                request.decided_by.get_full_name() or request.decided_by.get_username()
                if request.decided_by
                else ""
            )
            entries.append(
                TimelineEntry(
                    decided.date(),
                    "join-request",
                    label,
                    request.reference
                    if request.status == JoinRequestStatus.APPROVED
                    else f"{request.reference} · {request.rejection_reason}",
                    who=who,
                    url=url,
                    at=decided,
                )
            )
    return entries
