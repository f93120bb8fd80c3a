"""FilterSets of schools, companies and organisations: the member filters plus their own."""

from __future__ import annotations

import django_filters

from crm.filters import MemberFilterSet
from partners import models


class SchoolFilterSet(MemberFilterSet):
    level = django_filters.ChoiceFilter(choices=models.SchoolLevel.choices)
    school_code = django_filters.CharFilter(lookup_expr="iexact")

    class Meta(MemberFilterSet.Meta):
        model = models.School


class CompanyFilterSet(MemberFilterSet):
    size = django_filters.ChoiceFilter(choices=models.CompanySize.choices)
    vat_number = django_filters.CharFilter(lookup_expr="iexact")

    class Meta(MemberFilterSet.Meta):
        model = models.Company


class OrganizationFilterSet(MemberFilterSet):
    type = django_filters.ChoiceFilter(choices=models.OrganizationType.choices)

    class Meta(MemberFilterSet.Meta):
        model = models.Organization
