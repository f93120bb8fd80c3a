"""Programmes, deliveries and measurements for staff (the public figures are impact's)."""

from __future__ import annotations

from api.serializers.impact import DeliverySerializer, MeasurementSerializer, ProgrammeSerializer
from api.views.base import NetworkViewSet
from impact.filters import DeliveryFilterSet, MeasurementFilterSet, ProgrammeFilterSet
from impact.models import Delivery, Measurement, Programme


class ProgrammeViewSet(NetworkViewSet):
    queryset = Programme.objects.select_related("chapter").prefetch_related("sectors")
    serializer_class = ProgrammeSerializer
    filterset_class = ProgrammeFilterSet
    search_fields = ["name", "description"]
    ordering_fields = ["name", "starts_on", "id"]
    ordering = ["-starts_on", "name"]


class DeliveryViewSet(NetworkViewSet):
    queryset = Delivery.objects.all()
    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilterSet
    search_fields = ["programme__name", "member__name"]
    ordering_fields = ["started_on", "sessions", "id"]
    ordering = ["-started_on", "id"]


class MeasurementViewSet(NetworkViewSet):
    queryset = Measurement.objects.all()
    serializer_class = MeasurementSerializer
    filterset_class = MeasurementFilterSet
    search_fields = ["delivery__programme__name", "delivery__member__name"]
    ordering_fields = ["measured_on", "respondents", "id"]
    ordering = ["-measured_on", "id"]
