"""Read queries shared by the join form, the API and the review screen."""

from __future__ import annotations

from django.db.models import Q

from crm.models import Member, MemberKind
from crm.names import place_name_normalize
from municipalities.models import JoinRequest, MunicipalityReference


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
