"""Programmes, their deliveries and measurements (aggregates only) for staff."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers.base import ModelCleanSerializer
from crm.models import Sector
from impact.models import PARTICIPANT_FIELDS, Delivery, Measurement, Programme


class ProgrammeSerializer(ModelCleanSerializer):
    sectors = serializers.SlugRelatedField(
        slug_field="slug", many=True, queryset=Sector.objects.all(), required=False
    )

    class Meta:
        model = Programme
        fields = [
            "id",
            "name",
            "programme_type",
            "sectors",
            "chapter",
            "starts_on",
            "ends_on",
            "description",
            "accreditation",
            "accredited_by",
            "accredited_on",
            "target_participants",
            "target_kind",
        ]


class DeliverySerializer(ModelCleanSerializer):
    participants = serializers.IntegerField(read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "programme",
            "member",
            "started_on",
            "ended_on",
            "sessions",
            *PARTICIPANT_FIELDS,
            "participants",
        ]


class MeasurementSerializer(ModelCleanSerializer):
    class Meta:
        model = Measurement
        fields = [
            "id",
            "delivery",
            "instrument",
            "measured_on",
            "respondents",
            "mean_before",
            "sd_before",
            "mean_after",
            "sd_after",
        ]
