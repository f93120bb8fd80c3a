"""Members of every kind: the shared member fields plus each kind's own."""

from __future__ import annotations

from collections.abc import Sequence

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ambassadors.models import Ambassador
from api.serializers.base import ModelCleanSerializer, SlugLookupField
from crm.models import GEOCODE_FIELDS, MEMBER_EDITABLE_FIELDS, Member, MembershipStatus, Sector
from municipalities.models import Municipality
from partners.models import Company, Organization, School

MEMBER_FIELDS = [
    "id",
    "kind",
    *MEMBER_EDITABLE_FIELDS,
    *GEOCODE_FIELDS,
    "membership",
    "created_at",
    "updated_at",
]
MEMBER_READ_ONLY = [
    "kind",
    # Written by geocoding only, or by hand through the `set-coordinates` action: a client
    # that sends back what it read earlier can't clear coordinates found meanwhile.
    "latitude",
    "longitude",
    "geocode_status",
    "geocode_precision",
    "geocode_provider",
    "geocoded_at",
    "geocode_error",
    "geocode_attempts",
    "created_at",
    "updated_at",
]


class MemberCoordinatesSerializer(serializers.Serializer):
    """Coordinates set by hand: automatic geocoding never moves the member afterwards."""

    latitude = serializers.FloatField(min_value=-90, max_value=90)
    longitude = serializers.FloatField(min_value=-180, max_value=180)


class MemberSerializer(ModelCleanSerializer):
    """A member of any kind; `membership` is its status today, from its agreements."""

    sectors = SlugLookupField(
        many=True, slug_field="slug", queryset=Sector.objects.all(), required=False
    )
    membership = serializers.SerializerMethodField()

    class Meta:
        model = Member
        fields = MEMBER_FIELDS
        read_only_fields = MEMBER_READ_ONLY

    @extend_schema_field(serializers.ChoiceField(choices=MembershipStatus.choices))
    def get_membership(self, member: Member) -> str:
        if "membership" in member.__dict__:  # set for the whole page by the list
            return member.membership
        return (
            Member.objects.with_membership()
            .filter(pk=member.pk)
            .values_list("membership", flat=True)
            .get()
        )


def member_kind_serializer(
    model: type[Member],
    own_fields: Sequence[str],
    *,
    read_only: Sequence[str] = (),
    doc: str | None = None,
) -> type[MemberSerializer]:
    """The serializer of one kind of member: the member fields, then the kind's own."""
    meta = type(
        "Meta",
        (MemberSerializer.Meta,),
        {
            "model": model,
            "fields": [*MEMBER_FIELDS, *own_fields],
            "read_only_fields": [*MEMBER_READ_ONLY, *read_only],
        },
    )
    name = f"{model.__name__}Serializer"
    attrs = {"Meta": meta, "__module__": __name__, "__qualname__": name, "__doc__": doc}
    return type(name, (MemberSerializer,), attrs)


SchoolSerializer = member_kind_serializer(School, ["school_code", "level", "students"])
CompanySerializer = member_kind_serializer(Company, ["vat_number", "size", "employees"])
OrganizationSerializer = member_kind_serializer(Organization, ["type"])
MunicipalitySerializer = member_kind_serializer(
    Municipality,
    ["official_code", "population", "mayor", "resolution_number", "resolution_date", "joined_on"],
)
AmbassadorSerializer = member_kind_serializer(
    Ambassador,
    [
        "first_name",
        "last_name",
        "status",
        "appointed_on",
        "term_ends_on",
        "sponsor",
        "map_consent",
        "map_consent_at",
    ],
    read_only=["name", "map_consent_at"],
    doc="An ambassador; the name is made from first and last name.",
)
