"""FilterSets of the shared core, used by the API (and by any list that wants the same filters).

The rules (what "active on a day" or "expiring" means) are queryset methods in
`crm.models`, which the admin's sidebar filters call too; these FilterSets only
read and validate the parameters. A bad value is a 400 that names the parameter.
"""

from __future__ import annotations

from collections.abc import Callable

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from crm.models import (
    Agreement,
    AgreementStatus,
    AgreementType,
    Chapter,
    Contact,
    GeocodeStatus,
    Member,
    MemberKind,
    MembershipStatus,
    Recognition,
    Sector,
)

#: A day count for `expiring_within`: up to ten years ahead.
MAX_DAYS = 3650


class IntegerFilter(django_filters.NumberFilter):
    """A whole number (django-filter's NumberFilter takes decimals)."""

    field_class = forms.IntegerField


def country_choices() -> list[tuple[str, str]]:
    return [(country.code, country.name) for country in countries]


def active_on_filter(help_text: str) -> django_filters.DateFilter:
    """`active_on=<day>`: the queryset's own `active_on` rule (members and agreements alike)."""
    return django_filters.DateFilter(
        method=lambda queryset, name, value: queryset.active_on(value), help_text=help_text
    )


def expiring_within_filter(rule: Callable, help_text: str) -> IntegerFilter:
    """`expiring_within=<days>`, up to MAX_DAYS; `rule(queryset, days)` is the queryset's rule."""
    return IntegerFilter(
        method=lambda queryset, name, value: rule(queryset, value),
        min_value=0,
        max_value=MAX_DAYS,
        help_text=help_text,
    )


class MemberFilterSet(django_filters.FilterSet):
    """Filters of every member list, whatever the kind; each kind's FilterSet adds its own."""

    kind = django_filters.MultipleChoiceFilter(
        choices=MemberKind.choices, help_text=_("Kind of member; repeat for several.")
    )
    chapter = django_filters.ModelChoiceFilter(
        queryset=Chapter.objects.all(), help_text=_("Chapter id.")
    )
    country = django_filters.ChoiceFilter(
        choices=country_choices, help_text=_("ISO 3166 country code, e.g. IT.")
    )
    region = django_filters.CharFilter(lookup_expr="iexact", help_text=_("Region, any case."))
    sector = django_filters.ModelChoiceFilter(
        field_name="sectors",
        to_field_name="slug",
        queryset=Sector.objects.all(),
        help_text=_("Sector code, e.g. education."),
    )
    status = django_filters.ChoiceFilter(
        choices=MembershipStatus.choices,
        method=lambda queryset, name, value: queryset.with_membership_status(value),
        help_text=_("Membership status today, from the member's agreements."),
    )
    geocode_status = django_filters.ChoiceFilter(choices=GeocodeStatus.choices)
    show_on_map = django_filters.BooleanFilter()
    active_on = active_on_filter(_("Members with an agreement active on this day."))
    expiring_within = expiring_within_filter(
        lambda queryset, days: queryset.with_agreement_expiring_within(days),
        _("Members with an active agreement ending within this many days."),
    )

    class Meta:
        model = Member
        fields: list[str] = []


class MemberRelatedFilterSet(django_filters.FilterSet):
    """Filters of rows that belong to a member (agreements, contacts, recognitions)."""

    member = django_filters.ModelChoiceFilter(queryset=Member.objects.all())
    kind = django_filters.MultipleChoiceFilter(
        field_name="member__kind", choices=MemberKind.choices
    )
    chapter = django_filters.ModelChoiceFilter(
        field_name="member__chapter", queryset=Chapter.objects.all()
    )
    country = django_filters.ChoiceFilter(field_name="member__country", choices=country_choices)


class AgreementFilterSet(MemberRelatedFilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=AgreementStatus.choices,
        method=lambda queryset, name, value: queryset.with_status_in(value) if value else queryset,
        help_text=_("Status today, derived from the dates; repeat for several."),
    )
    type = django_filters.ChoiceFilter(choices=AgreementType.choices)
    region = django_filters.CharFilter(field_name="member__region", lookup_expr="iexact")
    sector = django_filters.ModelChoiceFilter(
        field_name="member__sectors", to_field_name="slug", queryset=Sector.objects.all()
    )
    auto_renew = django_filters.BooleanFilter()
    active_on = active_on_filter(_("Agreements in force on this day."))
    expiring_within = expiring_within_filter(
        lambda queryset, days: queryset.expiring_within(days),
        _("Active agreements ending within this many days."),
    )

    class Meta:
        model = Agreement
        fields: list[str] = []


class ContactFilterSet(MemberRelatedFilterSet):
    is_primary = django_filters.BooleanFilter()

    class Meta:
        model = Contact
        fields: list[str] = []


class RecognitionFilterSet(MemberRelatedFilterSet):
    title = django_filters.CharFilter(lookup_expr="iexact")
    awarded_after = django_filters.DateFilter(field_name="awarded_on", lookup_expr="gte")
    awarded_before = django_filters.DateFilter(field_name="awarded_on", lookup_expr="lte")

    class Meta:
        model = Recognition
        fields: list[str] = []


class ChapterFilterSet(django_filters.FilterSet):
    country = django_filters.ChoiceFilter(choices=country_choices)

    class Meta:
        model = Chapter
        fields: list[str] = []


class SectorFilterSet(django_filters.FilterSet):
    slug = django_filters.CharFilter()

    class Meta:
        model = Sector
        fields: list[str] = []
