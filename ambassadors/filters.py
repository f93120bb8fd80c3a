"""FilterSet of ambassadors: the member filters plus their own status and consent.

`status` stays the membership status, as on every member list; the ambassador's
own status (candidate, active, …) is `ambassador_status`.
"""

from __future__ import annotations

import django_filters

from ambassadors.models import Ambassador, AmbassadorStatus
from crm.filters import MemberFilterSet


class AmbassadorFilterSet(MemberFilterSet):
    ambassador_status = django_filters.ChoiceFilter(
        field_name="status", choices=AmbassadorStatus.choices
    )
    map_consent = django_filters.BooleanFilter()

    class Meta(MemberFilterSet.Meta):
        model = Ambassador
