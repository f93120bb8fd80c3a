"""FilterSet of municipalities: the member filters plus the official code."""

from __future__ import annotations

import django_filters

from crm.filters import MemberFilterSet
from municipalities.models import JoinRequest, JoinRequestStatus, Municipality


class MunicipalityFilterSet(MemberFilterSet):
    official_code = django_filters.CharFilter()

    class Meta(MemberFilterSet.Meta):
        model = Municipality


class JoinRequestFilterSet(django_filters.FilterSet):
    """The review queue: by status (repeatable, e.g. `status=submitted&status=in_review`)."""

    status = django_filters.MultipleChoiceFilter(choices=JoinRequestStatus.choices)
    country = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = JoinRequest
        fields = ["status", "country"]
