"""The OpenAPI description of the public impact endpoints, written out because their
bodies are built from aggregates, not from a serializer."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from crm.models import MemberKind
from impact.models import ParticipantKind, ProgrammeType

SUPPRESSED = (
    "Null when the group is smaller than `minimum_group_size` (and, when exactly one part "
    "of a total is withheld, the next smallest part too)."
)


def _object(description: str, /, **properties: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "required": list(properties),
        "properties": properties,
    }


def _count(description: str = SUPPRESSED) -> dict[str, Any]:
    return {"type": "integer", "minimum": 0, "nullable": True, "description": description}


def _enum(values: list[str]) -> dict[str, Any]:
    return {"type": "string", "enum": values}


STRING = {"type": "string"}
SCORE = {"type": "number", "format": "double", "nullable": True, "description": SUPPRESSED}
REACHED = {
    "total": _count(),
    "sessions": {"type": "integer", "minimum": 0, "description": "Sessions held."},
    "by_participant_kind": {
        "type": "array",
        "items": _object(
            "People reached of one kind.",
            kind=_enum(ParticipantKind.values),
            label=STRING,
            count=_count(),
        ),
    },
}
IMPACT = {
    "title": "PublicImpact",
    **_object(
        "What the network does and whom it reaches: aggregates only.",
        minimum_group_size={
            "type": "integer",
            "description": "Groups smaller than this are never shown (IMPACT_MIN_GROUP_SIZE).",
        },
        members=_object(
            "Active members today.",
            total=_count(),
            by_kind={
                "type": "array",
                "items": _object(
                    "Members of one kind.",
                    kind=_enum(MemberKind.values),
                    label=STRING,
                    count=_count(),
                ),
            },
            by_country={
                "type": "array",
                "items": _object(
                    "Members in one country.",
                    country={"type": "string", "description": "ISO 3166 code."},
                    name=STRING,
                    count=_count(),
                ),
            },
        ),
        countries={"type": "integer", "description": "Countries with active members."},
        countries_reached={"type": "integer", "description": "Countries with deliveries."},
        programmes=_object(
            "Programmes delivered at least once.",
            total={"type": "integer"},
            by_type={
                "type": "array",
                "items": _object(
                    "Programmes of one type.",
                    type=_enum(ProgrammeType.values),
                    label=STRING,
                    count={"type": "integer"},
                ),
            },
        ),
        reached=_object(
            "People reached by all deliveries.",
            **REACHED,
            by_sector={
                "type": "array",
                "description": "A programme may serve several sectors: these overlap.",
                "items": _object(
                    "People reached by the programmes of one sector.",
                    sector={"type": "string", "description": "The sector's code."},
                    name=STRING,
                    count=_count(),
                ),
            },
            by_year={
                "type": "array",
                "description": "Newest year first.",
                "items": _object(
                    "People reached by deliveries that started in one year.",
                    year={"type": "integer"},
                    **REACHED,
                ),
            },
        ),
        change={
            "type": "array",
            "items": _object(
                "Measured change of one instrument, pooled over every measurement.",
                instrument=STRING,
                respondents=_count(),
                mean_before=SCORE,
                mean_after=SCORE,
                change=SCORE,
            ),
        },
    ),
}
PROGRAMMES = {
    "title": "MemberProgrammes",
    **_object(
        "The programmes a member of the public map took part in, newest first; empty "
        "unless the member allows them to be shown.",
        id={"type": "integer"},
        programmes={
            "type": "array",
            "items": _object(
                "A programme.",
                name=STRING,
                type=_enum(ProgrammeType.values),
                type_label=STRING,
                year={"type": "integer", "description": "Of its latest delivery here."},
            ),
        },
    ),
}
LANG = OpenApiParameter(
    "lang",
    type={"type": "string", "enum": ["en", "it"]},
    description="Language of the labels; by default from Accept-Language.",
)
CACHING = "Anonymous; supports ETag/If-None-Match (304); cached until the figures change."

impact_schema = extend_schema(
    operation_id="public_impact",
    summary="Public impact figures",
    description=(
        "Totals of members by kind and country, programmes, people reached by kind of "
        "participant, sector and year, countries reached and measured change. Only "
        "aggregates; every group under the minimum size is null. " + CACHING
    ),
    parameters=[LANG],
    auth=[],
    tags=["impact"],
    responses={
        200: OpenApiResponse(IMPACT, description="The figures."),
        304: OpenApiResponse(description="Not modified since the client's copy."),
        400: OpenApiResponse(OpenApiTypes.OBJECT, description="A bad parameter."),
        429: OpenApiResponse(description="Too many requests."),
    },
)

member_programmes_schema = extend_schema(
    operation_id="public_member_programmes",
    summary="Programmes on a member's map card",
    description="For the card of a member on the public map. " + CACHING,
    parameters=[LANG],
    auth=[],
    tags=["impact"],
    responses={
        200: OpenApiResponse(PROGRAMMES, description="The programmes."),
        304: OpenApiResponse(description="Not modified since the client's copy."),
        400: OpenApiResponse(OpenApiTypes.OBJECT, description="A bad parameter."),
        404: OpenApiResponse(description="No such member on the public map."),
        429: OpenApiResponse(description="Too many requests."),
    },
)
