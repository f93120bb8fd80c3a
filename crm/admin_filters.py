"""Admin sidebar filters whose rules live in the querysets, so the API filters say the same."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from crm.distinct import distinct_values
from crm.models import AgreementStatus, MemberQuerySet, MembershipStatus
from crm.sidebar import sidebar_choices

EXPIRING_CHOICES = [
    ("30", _("within 30 days")),
    ("60", _("within 60 days")),
    ("90", _("within 90 days")),
]


class QuerysetRuleFilter(admin.SimpleListFilter):
    """A sidebar filter over fixed `options`; `rule(queryset, value)`, a queryset method,
    keeps the rows of the chosen value (any other value filters nothing)."""

    options: list[tuple[str, str]] = []

    def lookups(self, request, model_admin):
        return self.options

    def queryset(self, request, queryset):
        if self.value() in dict(self.options):
            return self.rule(queryset, self.value())
        return queryset


class MembershipStatusFilter(QuerysetRuleFilter):
    title = _("membership")
    parameter_name = "membership"
    options = MembershipStatus.choices
    rule = staticmethod(MemberQuerySet.with_membership_status)


class AgreementExpiringFilter(QuerysetRuleFilter):
    """On members: those with an active agreement ending within N days."""

    title = _("agreement expiring")
    parameter_name = "expiring_within"
    options = EXPIRING_CHOICES
    rule = staticmethod(lambda queryset, days: queryset.with_agreement_expiring_within(int(days)))


class AgreementOwnExpiringFilter(AgreementExpiringFilter):
    """On agreements: active agreements ending within N days."""

    title = _("expiring")
    rule = staticmethod(lambda queryset, days: queryset.expiring_within(int(days)))


class AgreementStatusFilter(QuerysetRuleFilter):
    title = _("status")
    parameter_name = "status"
    options = AgreementStatus.choices
    rule = staticmethod(lambda queryset, status: queryset.with_status_in([status]))


class RegionFilter(admin.SimpleListFilter):
    """Regions actually in use, so the sidebar lists no empty choice."""

    title = _("region")
    parameter_name = "region"

    def lookups(self, request, model_admin):
        regions = sidebar_choices(
            request,
            model_admin.model,
            "region",
            lambda: distinct_values(model_admin.get_queryset(request), "region"),
        )
        return [(region, region) for region in regions]

    def queryset(self, request, queryset):
        return queryset.filter(region=self.value()) if self.value() else queryset


class SectorFilter(admin.RelatedFieldListFilter):
    """Every sector, as Django lists them, from the sidebar cache."""

    def field_choices(self, field, request, model_admin):
        return sidebar_choices(
            request,
            model_admin.model,
            "sectors",
            lambda: super(SectorFilter, self).field_choices(field, request, model_admin),
        )


class CountryFilter(admin.SimpleListFilter):
    """Countries actually in use, by name: the plain field filter would list all 250."""

    title = _("country")
    parameter_name = "country"

    def lookups(self, request, model_admin):
        codes = sidebar_choices(
            request,
            model_admin.model,
            "country",
            lambda: distinct_values(model_admin.get_queryset(request), "country"),
        )
        return sorted(
            ((code, countries.name(code)) for code in codes),
            key=lambda choice: str(choice[1]),
        )

    def queryset(self, request, queryset):
        return queryset.filter(country=self.value()) if self.value() else queryset
