"""FilterSets of programmes, deliveries and measurements, for the staff API: by type of
programme, sector, chapter, year and kind of member. A bad value is a 400 naming it."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from crm.models import Chapter, MemberKind, Sector
from impact.models import Delivery, Instrument, Measurement, Programme, ProgrammeType


class YearFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", 1990)
        kwargs.setdefault("max_value", 2100)
        super().__init__(*args, **kwargs)


def _sector_filter(field_name: str) -> django_filters.ModelChoiceFilter:
    return django_filters.ModelChoiceFilter(
        field_name=field_name,
        to_field_name="slug",
        queryset=Sector.objects.all(),
        distinct=True,
        help_text=_("A sector's code, e.g. education."),
    )


class ProgrammeFilterSet(django_filters.FilterSet):
    programme_type = django_filters.ChoiceFilter(choices=ProgrammeType.choices)
    sector = _sector_filter("sectors")
    chapter = django_filters.ModelChoiceFilter(queryset=Chapter.objects.all())
    year = YearFilter(method="running_in", help_text=_("Programmes running in this year."))
    member_kind = django_filters.ChoiceFilter(
        choices=MemberKind.choices,
        method="delivered_at_kind",
        help_text=_("Programmes delivered at members of this kind."),
    )

    class Meta:
        model = Programme
        fields: list[str] = []

    def running_in(self, queryset, name, year: int):
        return queryset.filter(starts_on__year__lte=year).filter(
            Q(ends_on__isnull=True) | Q(ends_on__year__gte=year)
        )

    def delivered_at_kind(self, queryset, name, kind: str):
        at_kind = Delivery.objects.filter(programme=OuterRef("pk"), member__kind=kind)
        return queryset.filter(Exists(at_kind))


class DeliveryFilterSet(django_filters.FilterSet):
    programme = django_filters.ModelChoiceFilter(queryset=Programme.objects.all())
    programme_type = django_filters.ChoiceFilter(
        field_name="programme__programme_type", choices=ProgrammeType.choices
    )
    sector = _sector_filter("programme__sectors")
    chapter = django_filters.ModelChoiceFilter(
        field_name="member__chapter", queryset=Chapter.objects.all()
    )
    year = YearFilter(field_name="started_on", lookup_expr="year")
    member_kind = django_filters.ChoiceFilter(field_name="member__kind", choices=MemberKind.choices)
    member = django_filters.NumberFilter(field_name="member_id")

    class Meta:
        model = Delivery
        fields: list[str] = []


class MeasurementFilterSet(django_filters.FilterSet):
    instrument = django_filters.ModelChoiceFilter(queryset=Instrument.objects.all())
    delivery = django_filters.NumberFilter(field_name="delivery_id")
    programme = django_filters.ModelChoiceFilter(
        field_name="delivery__programme", queryset=Programme.objects.all()
    )
    programme_type = django_filters.ChoiceFilter(
        field_name="delivery__programme__programme_type", choices=ProgrammeType.choices
    )
    chapter = django_filters.ModelChoiceFilter(
        field_name="delivery__member__chapter", queryset=Chapter.objects.all()
    )
    year = YearFilter(field_name="measured_on", lookup_expr="year")
    member_kind = django_filters.ChoiceFilter(
        field_name="delivery__member__kind", choices=MemberKind.choices
    )

    class Meta:
        model = Measurement
        fields: list[str] = []
