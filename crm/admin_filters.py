"""Admin sidebar filters whose rules live in the querysets, so the API filters say the same."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from crm.models import AgreementStatus, MembershipStatus

EXPIRING_CHOICES = [
    ("30", _("within 30 days")),
    ("60", _("within 60 days")),
    ("90", _("within 90 days")),
]


class MembershipStatusFilter(admin.SimpleListFilter):
    title = _("membership")
    parameter_name = "membership"

    def lookups(self, request, model_admin):
        return MembershipStatus.choices

    def queryset(self, request, queryset):
        if self.value() in MembershipStatus.values:
            return queryset.with_membership_status(self.value())
        return queryset


class AgreementExpiringFilter(admin.SimpleListFilter):
    """On members: those with an active agreement ending within N days."""

    title = _("agreement expiring")
    parameter_name = "expiring_within"

    def lookups(self, request, model_admin):
        return EXPIRING_CHOICES

    def queryset(self, request, queryset):
        if self.value() in dict(EXPIRING_CHOICES):
            return queryset.with_agreement_expiring_within(int(self.value()))
        return queryset


class AgreementOwnExpiringFilter(AgreementExpiringFilter):
    """On agreements: active agreements ending within N days."""

    title = _("expiring")

    def queryset(self, request, queryset):
        if self.value() in dict(EXPIRING_CHOICES):
            return queryset.expiring_within(int(self.value()))
        return queryset


class AgreementStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return AgreementStatus.choices

    def queryset(self, request, queryset):
        if self.value() in AgreementStatus.values:
            return queryset.with_status_in([self.value()])
        return queryset


class RegionFilter(admin.SimpleListFilter):
    """Regions actually in use, so the sidebar lists no empty choice."""

    title = _("region")
    parameter_name = "region"

    def lookups(self, request, model_admin):
        regions = (
            model_admin.get_queryset(request)
            .exclude(region="")
            .order_by("region")
            .values_list("region", flat=True)
            .distinct()
        )
        return [(region, region) for region in regions]

    def queryset(self, request, queryset):
        return queryset.filter(region=self.value()) if self.value() else queryset


class CountryFilter(admin.SimpleListFilter):
    """Countries actually in use, by name: the plain field filter would list all 250."""

    title = _("country")
    parameter_name = "country"

    def lookups(self, request, model_admin):
        codes = model_admin.get_queryset(request).order_by().values_list("country", flat=True)
        return sorted(
            ((code, countries.name(code)) for code in set(codes) if code),
            key=lambda choice: str(choice[1]),
        )

    def queryset(self, request, queryset):
        return queryset.filter(country=self.value()) if self.value() else queryset
