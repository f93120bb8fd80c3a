"""Join requests over HTTP: field checks in the requester's language, rules in the service."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django_countries import countries
from rest_framework import serializers

from municipalities.models import JoinRequest, JoinRequestChannel
from municipalities.services import join_request_problems, join_request_submit


class JoinRequestCreateSerializer(serializers.Serializer):
    """The public form's fields, posted as multipart/form-data with the PDF."""

    country = serializers.ChoiceField(choices=countries, default="IT")
    municipality_code = serializers.CharField(
        required=False, allow_blank=True, max_length=12, default=""
    )
    municipality_name = serializers.CharField(
        required=False, allow_blank=True, max_length=200, default=""
    )
    submitter_name = serializers.CharField(max_length=150)
    submitter_role = serializers.CharField(max_length=120)
    submitter_email = serializers.EmailField()
    submitter_phone = serializers.CharField(max_length=40)
    mayor_name = serializers.CharField(max_length=150)
    resolution_number = serializers.CharField(max_length=40)
    resolution_date = serializers.DateField()
    # Not "required" at field level: a file dropped for its size must say so, not "required".
    resolution_file = serializers.FileField(required=False, write_only=True)
    message = serializers.CharField(required=False, allow_blank=True, max_length=3000, default="")
    # Not required here: the service says why consent is needed.
    privacy_consent = serializers.BooleanField(default=False)
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)

    def validate(self, attrs: dict) -> dict:
        problems, _reference, _name = join_request_problems(
            **{
                field: attrs.get(field)
                for field in (
                    "resolution_date",
                    "resolution_file",
                    "privacy_consent",
                    "submitter_phone",
                )
            },
            country=attrs.get("country", ""),
            municipality_code=attrs.get("municipality_code", ""),
            municipality_name=attrs.get("municipality_name", ""),
            upload_too_large=bool(self.context.get("upload_too_large")),
        )
        if problems:
            raise serializers.ValidationError(problems)
        return attrs

    def create(self, validated_data: dict) -> JoinRequest:
        language = validated_data.pop("language", None) or self.context.get("language", "en")
        # A ValidationError of the service (a duplicate sent meanwhile) is a 400 by field,
        # through api.exceptions.
        return join_request_submit(
            **validated_data, language=language, channel=JoinRequestChannel.API
        )


class JoinRequestSerializer(serializers.ModelSerializer):
    """What the API tells about a request: its public reference and where it stands."""

    municipality = serializers.CharField(source="municipality_label", read_only=True)
    member_id = serializers.IntegerField(source="municipality_id", read_only=True)

    class Meta:
        model = JoinRequest
        fields = ["reference", "status", "municipality", "official_code", "country", "member_id"]
        read_only_fields = fields


class JoinRequestReviewSerializer(JoinRequestSerializer):
    """What reviewers see in the queue: the request, its submitter and its resolution."""

    resolution_url = serializers.SerializerMethodField()

    class Meta(JoinRequestSerializer.Meta):
        fields = [
            *JoinRequestSerializer.Meta.fields,
            "channel",
            "language",
            "submitter_name",
            "submitter_role",
            "submitter_email",
            "submitter_phone",
            "mayor_name",
            "resolution_number",
            "resolution_date",
            "resolution_url",
            "message",
            "submitted_at",
            "decided_at",
            "rejection_reason",
        ]
        read_only_fields = fields

    def get_resolution_url(self, join_request: JoinRequest) -> str | None:
        if not join_request.resolution_file:
            return None
        return reverse("municipalities:join_request_resolution", args=[join_request.reference])


class JoinRequestRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=3000)
