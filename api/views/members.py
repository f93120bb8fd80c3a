"""Members: one read-only list across kinds, and a read-write endpoint per kind."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ambassadors.filters import AmbassadorFilterSet
from api.serializers.members import (
    AmbassadorSerializer,
    CompanySerializer,
    MemberCoordinatesSerializer,
    MemberSerializer,
    MunicipalitySerializer,
    OrganizationSerializer,
    SchoolSerializer,
)
from api.views.base import NetworkReadOnlyViewSet, NetworkViewSet
from crm.filters import MemberFilterSet
from crm.models import Member, Sector
from municipalities.filters import MunicipalityFilterSet
from partners.filters import CompanyFilterSet, OrganizationFilterSet, SchoolFilterSet

MEMBER_SEARCH = ["name", "city", "email"]
MEMBER_ORDERING = ["name", "city", "country", "region", "kind", "created_at", "updated_at", "id"]


class MemberListMixin:
    """What every member list shares: today's membership and sectors in constant queries."""

    search_fields = MEMBER_SEARCH
    ordering_fields = MEMBER_ORDERING
    ordering = ["name", "id"]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .prefetch_related(Prefetch("sectors", queryset=Sector.objects.only("pk", "slug")))
        )

    def paginate_queryset(self, queryset):
        # Today's membership for the rows of the page only, in one query.
        page = super().paginate_queryset(queryset)
        return Member.objects.attach_membership(page) if page is not None else None


class MemberViewSet(MemberListMixin, NetworkReadOnlyViewSet):
    """Every member of every kind; each is created and changed through its kind's endpoint."""

    queryset = Member.objects.all()
    serializer_class = MemberSerializer
    filterset_class = MemberFilterSet


class MemberSetCoordinatesMixin:
    """`POST …/{id}/set-coordinates/` places a member by hand (status "Set by hand")."""

    @extend_schema(
        request=MemberCoordinatesSerializer,
        summary="Set the coordinates by hand",
        description=(
            "The only way to write coordinates through the API: the member's geocoding "
            "status becomes `manual`, which automatic geocoding never overwrites."
        ),
    )
    @action(detail=True, methods=["post"], url_path="set-coordinates")
    def set_coordinates(self, request: Request, pk: str | None = None) -> Response:
        member = self.get_object()
        opts = member._meta
        if not request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}"):
            raise PermissionDenied
        params = MemberCoordinatesSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        member.geocode_set_by_hand(**params.validated_data)
        member.save()
        return Response(self.get_serializer(self.get_queryset().get(pk=member.pk)).data)


def member_kind_viewset(
    serializer_class: type[MemberSerializer], filterset_class: type, *, search: Sequence[str] = ()
) -> type[NetworkViewSet]:
    """The read-write endpoint of one kind: its model, serializer and FilterSet; the member
    search plus the kind's own `search` fields."""
    model = serializer_class.Meta.model
    name = f"{model.__name__}ViewSet"
    attrs = {
        "queryset": model.objects.all(),
        "serializer_class": serializer_class,
        "filterset_class": filterset_class,
        "search_fields": [*MEMBER_SEARCH, *search],
        "__module__": __name__,
        "__qualname__": name,
    }
    return type(name, (MemberSetCoordinatesMixin, MemberListMixin, NetworkViewSet), attrs)


SchoolViewSet = member_kind_viewset(SchoolSerializer, SchoolFilterSet, search=["school_code"])
CompanyViewSet = member_kind_viewset(CompanySerializer, CompanyFilterSet, search=["vat_number"])
OrganizationViewSet = member_kind_viewset(OrganizationSerializer, OrganizationFilterSet)
MunicipalityViewSet = member_kind_viewset(
    MunicipalitySerializer, MunicipalityFilterSet, search=["official_code"]
)
AmbassadorViewSet = member_kind_viewset(
    AmbassadorSerializer, AmbassadorFilterSet, search=["first_name", "last_name"]
)
