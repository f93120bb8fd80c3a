"""Members of every kind: the shared member fields plus each kind's own."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ambassadors.models import Ambassador
from api.serializers.base import ModelCleanSerializer
from crm.models import MEMBER_EDITABLE_FIELDS, Member, MembershipStatus, Sector
from municipalities.models import Municipality
from partners.models import Company, Organization, School

MEMBER_FIELDS = [
    "id",
    "kind",
    *MEMBER_EDITABLE_FIELDS,
    "latitude",
    "longitude",
    "geocode_status",
    "geocode_precision",
    "geocode_provider",
    "geocoded_at",
    "geocode_error",
    "geocode_attempts",
    "membership",
    "created_at",
    "updated_at",
]
MEMBER_READ_ONLY = [
    "kind",
    "geocode_provider",
    "geocoded_at",
    "geocode_error",
    "geocode_attempts",
    "created_at",
    "updated_at",
]


class MemberSerializer(ModelCleanSerializer):
    """A member of any kind; `membership` is its status today, from its agreements."""

    sectors = serializers.SlugRelatedField(
        many=True, slug_field="slug", queryset=Sector.objects.all(), required=False
    )
    membership = serializers.SerializerMethodField()

    class Meta:
        model = Member
        fields = MEMBER_FIELDS
        read_only_fields = MEMBER_READ_ONLY

    @extend_schema_field(serializers.ChoiceField(choices=MembershipStatus.choices))
    def get_membership(self, member: Member) -> str:
        if "membership" in member.__dict__:  # annotated by the list's query
            return member.membership
        return (
            Member.objects.with_membership()
            .filter(pk=member.pk)
            .values_list("membership", flat=True)
            .get()
        )


class SchoolSerializer(MemberSerializer):
    class Meta(MemberSerializer.Meta):
        model = School
        fields = [*MEMBER_FIELDS, "school_code", "level", "students"]


class CompanySerializer(MemberSerializer):
    class Meta(MemberSerializer.Meta):
        model = Company
        fields = [*MEMBER_FIELDS, "vat_number", "size", "employees"]


class OrganizationSerializer(MemberSerializer):
    class Meta(MemberSerializer.Meta):
        model = Organization
        fields = [*MEMBER_FIELDS, "type"]


class MunicipalitySerializer(MemberSerializer):
    class Meta(MemberSerializer.Meta):
        model = Municipality
        fields = [
            *MEMBER_FIELDS,
            "official_code",
            "population",
            "mayor",
            "resolution_number",
            "resolution_date",
            "joined_on",
        ]


class AmbassadorSerializer(MemberSerializer):
    """An ambassador; the name is made from first and last name."""

    class Meta(MemberSerializer.Meta):
        model = Ambassador
        fields = [
            *MEMBER_FIELDS,
            "first_name",
            "last_name",
            "status",
            "appointed_on",
            "term_ends_on",
            "sponsor",
            "map_consent",
            "map_consent_at",
        ]
        read_only_fields = [*MEMBER_READ_ONLY, "name", "map_consent_at"]
