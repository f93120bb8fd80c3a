"""Agreements, with the `renew` action."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.serializers.agreements import AgreementRenewSerializer, AgreementSerializer
from api.views.base import NetworkViewSet
from crm.filters import AgreementFilterSet
from crm.models import Agreement
from crm.services import agreement_renew


class AgreementViewSet(NetworkViewSet):
    queryset = Agreement.objects.all()
    serializer_class = AgreementSerializer
    filterset_class = AgreementFilterSet
    search_fields = ["reference", "member__name", "signatories"]
    ordering_fields = ["reference", "signed_on", "starts_on", "ends_on", "created_at", "id"]
    ordering = ["-starts_on", "reference"]

    def get_queryset(self):
        # Built per request: the status depends on today's date.
        return super().get_queryset().select_related("renewed_by").with_status()

    @extend_schema(
        request=AgreementRenewSerializer,
        responses={
            201: AgreementSerializer,
            200: OpenApiResponse(
                AgreementSerializer, description="Already renewed: its successor."
            ),
        },
        summary="Renew an agreement",
        description=(
            "Creates the successor agreement, starting the day after this one ends. "
            "Renewing twice returns the same successor (200)."
        ),
    )
    @action(detail=True, methods=["post"])
    def renew(self, request: Request, pk: str | None = None) -> Response:
        agreement = self.get_object()
        params = AgreementRenewSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        renewed_before = Agreement.objects.filter(renews=agreement).exists()
        successor = agreement_renew(
            agreement=agreement, signed_on=params.validated_data.get("signed_on")
        )
        successor = self.get_queryset().get(pk=successor.pk)
        return Response(
            self.get_serializer(successor).data,
            status=status.HTTP_200_OK if renewed_before else status.HTTP_201_CREATED,
        )
