"""Agreements and their renewal."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers.base import ModelCleanSerializer
from crm.models import AGREEMENT_TERMS_FIELDS, Agreement, AgreementStatus


class AgreementSerializer(ModelCleanSerializer):
    """An agreement; `status` is derived from its dates today and never stored."""

    status = serializers.SerializerMethodField()
    has_document = serializers.SerializerMethodField()
    renewed_by = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Agreement
        fields = [
            "id",
            "reference",
            "member",
            "type",
            "status",
            *AGREEMENT_TERMS_FIELDS,
            "has_document",
            "terminated_on",
            "termination_reason",
            "renews",
            "renewed_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"reference": {"required": False}}

    @extend_schema_field(serializers.ChoiceField(choices=AgreementStatus.choices))
    def get_status(self, agreement: Agreement) -> str:
        return agreement.status

    def get_has_document(self, agreement: Agreement) -> bool:
        """The signed PDF is only reachable through the admin, never published here."""
        return bool(agreement.document)


class AgreementRenewSerializer(serializers.Serializer):
    signed_on = serializers.DateField(
        required=False, help_text="When the renewal was signed; today by default."
    )
