"""FilterSet of municipalities: the member filters plus the official code."""

from __future__ import annotations

import django_filters

from crm.filters import MemberFilterSet
from municipalities.models import Municipality


class MunicipalityFilterSet(MemberFilterSet):
    official_code = django_filters.CharFilter()

    class Meta(MemberFilterSet.Meta):
        model = Municipality
