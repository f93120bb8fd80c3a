"""FilterSets of activities and follow-ups, shared by the staff API (and its tests)."""

from __future__ import annotations

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from activities.models import Activity, ActivityKind, FollowUp
from crm.models import MemberKind


class ActivityFilterSet(django_filters.FilterSet):
    member = django_filters.NumberFilter(field_name="member_id")
    member_kind = django_filters.ChoiceFilter(field_name="member__kind", choices=MemberKind.choices)
    chapter = django_filters.NumberFilter(field_name="member__chapter_id")
    kind = django_filters.MultipleChoiceFilter(choices=ActivityKind.choices)
    staff = django_filters.NumberFilter(field_name="staff_id")
    contact = django_filters.NumberFilter(field_name="contacts", distinct=True)
    happened_after = django_filters.DateFilter(field_name="happened_on", lookup_expr="gte")
    happened_before = django_filters.DateFilter(field_name="happened_on", lookup_expr="lte")
    has_attachment = django_filters.BooleanFilter(
        method="filter_has_attachment", label=_("Has an attachment")
    )

    class Meta:
        model = Activity
        fields = ["member", "member_kind", "chapter", "kind", "staff", "contact"]

    def filter_has_attachment(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.exclude(attachment="") if value else queryset.filter(attachment="")


class FollowUpFilterSet(django_filters.FilterSet):
    member = django_filters.NumberFilter(field_name="member_id")
    member_kind = django_filters.ChoiceFilter(field_name="member__kind", choices=MemberKind.choices)
    chapter = django_filters.NumberFilter(field_name="member__chapter_id")
    assignee = django_filters.NumberFilter(field_name="assignee_id")
    mine = django_filters.BooleanFilter(method="filter_mine", label=_("Assigned to me"))
    done = django_filters.BooleanFilter(field_name="done_on", lookup_expr="isnull", exclude=True)
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue today"))
    due_after = django_filters.DateFilter(field_name="due_on", lookup_expr="gte")
    due_before = django_filters.DateFilter(field_name="due_on", lookup_expr="lte")

    class Meta:
        model = FollowUp
        fields = ["member", "member_kind", "chapter", "assignee"]

    def filter_mine(self, queryset, name, value):
        if value is None:
            return queryset
        user = getattr(self.request, "user", None)
        if value:
            return queryset.filter(assignee=user) if user is not None else queryset.none()
        return queryset.exclude(assignee=user) if user is not None else queryset

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        late = queryset.filter(done_on__isnull=True, due_on__lt=timezone.localdate())
        return late if value else queryset.exclude(pk__in=late.values("pk"))
