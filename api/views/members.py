"""Members: one read-only list across kinds, and a read-write endpoint per kind."""

from __future__ import annotations

from django.db.models import Prefetch

from ambassadors.filters import AmbassadorFilterSet
from ambassadors.models import Ambassador
from api.serializers.members import (
    AmbassadorSerializer,
    CompanySerializer,
    MemberSerializer,
    MunicipalitySerializer,
    OrganizationSerializer,
    SchoolSerializer,
)
from api.views.base import NetworkReadOnlyViewSet, NetworkViewSet
from crm.filters import MemberFilterSet
from crm.models import Member, Sector
from municipalities.filters import MunicipalityFilterSet
from municipalities.models import Municipality
from partners.filters import CompanyFilterSet, OrganizationFilterSet, SchoolFilterSet
from partners.models import Company, Organization, School

MEMBER_SEARCH = ["name", "city", "email"]
MEMBER_ORDERING = ["name", "city", "country", "region", "kind", "created_at", "updated_at", "id"]


class MemberListMixin:
    """What every member list shares: today's membership and sectors in constant queries."""

    search_fields = MEMBER_SEARCH
    ordering_fields = MEMBER_ORDERING
    ordering = ["name", "id"]

    def get_queryset(self):
        # Built per request: the membership annotation depends on today's date.
        return (
            super()
            .get_queryset()
            .with_membership()
            .prefetch_related(Prefetch("sectors", queryset=Sector.objects.only("pk", "slug")))
        )


class MemberViewSet(MemberListMixin, NetworkReadOnlyViewSet):
    """Every member of every kind; each is created and changed through its kind's endpoint."""

    queryset = Member.objects.all()
    serializer_class = MemberSerializer
    filterset_class = MemberFilterSet


class SchoolViewSet(MemberListMixin, NetworkViewSet):
    queryset = School.objects.all()
    serializer_class = SchoolSerializer
    filterset_class = SchoolFilterSet
    search_fields = [*MEMBER_SEARCH, "school_code"]


class CompanyViewSet(MemberListMixin, NetworkViewSet):
    queryset = Company.objects.all()
    serializer_class = CompanySerializer
    filterset_class = CompanyFilterSet
    search_fields = [*MEMBER_SEARCH, "vat_number"]


class OrganizationViewSet(MemberListMixin, NetworkViewSet):
    queryset = Organization.objects.all()
    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilterSet


class MunicipalityViewSet(MemberListMixin, NetworkViewSet):
    queryset = Municipality.objects.all()
    serializer_class = MunicipalitySerializer
    filterset_class = MunicipalityFilterSet
    search_fields = [*MEMBER_SEARCH, "official_code"]


class AmbassadorViewSet(MemberListMixin, NetworkViewSet):
    queryset = Ambassador.objects.all()
    serializer_class = AmbassadorSerializer
    filterset_class = AmbassadorFilterSet
    search_fields = [*MEMBER_SEARCH, "first_name", "last_name"]
