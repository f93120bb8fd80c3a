"""FilterSets of schools, companies and organisations: the member filters plus their own."""

from __future__ import annotations

import django_filters

from crm.filters import MemberFilterSet
from partners.models import (
    Company,
    CompanySize,
    Organization,
    OrganizationType,
    School,
    SchoolLevel,
)


class SchoolFilterSet(MemberFilterSet):
    level = django_filters.ChoiceFilter(choices=SchoolLevel.choices)
    school_code = django_filters.CharFilter(lookup_expr="iexact")

    class Meta(MemberFilterSet.Meta):
        model = School


class CompanyFilterSet(MemberFilterSet):
    size = django_filters.ChoiceFilter(choices=CompanySize.choices)
    vat_number = django_filters.CharFilter(lookup_expr="iexact")

    class Meta(MemberFilterSet.Meta):
        model = Company


class OrganizationFilterSet(MemberFilterSet):
    type = django_filters.ChoiceFilter(choices=OrganizationType.choices)

    class Meta(MemberFilterSet.Meta):
        model = Organization
