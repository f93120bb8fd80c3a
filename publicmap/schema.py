"""The OpenAPI description of the feed, `GET /api/v1/map/`.

The parameters come from the fields of `MapFeedParameters`, so they cannot drift
from what the feed accepts; the body is a GeoJSON FeatureCollection, written out
here because the feed builds it from tuples, not from a serializer.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from crm.models import MemberKind
from publicmap.params import MapFeedParameters


def _parameter(name: str, field: forms.Field) -> OpenApiParameter:
    schema: dict[str, Any]
    if isinstance(field, forms.ChoiceField):
        schema = {"type": "string", "enum": [value for value, _label in field.choices]}
        if isinstance(field, forms.MultipleChoiceField):
            schema = {"type": "array", "items": schema}
    elif isinstance(field, forms.IntegerField):
        schema = {"type": "integer", "minimum": field.min_value, "maximum": field.max_value}
        if field.max_value > 2**31 - 1:
            schema["format"] = "int64"
    else:
        schema = {"type": "string", "maxLength": field.max_length}
        for validator in field.validators:
            if isinstance(validator, RegexValidator):
                schema["pattern"] = validator.regex.pattern.replace(r"\Z", "$")
    return OpenApiParameter(name, type=schema, description=str(field.help_text))


def _numbers(count: int, description: str) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {"type": "number"},
        "minItems": count,
        "maxItems": count,
        "description": description,
    }


def _strings() -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}}


def _object(description: str, required: list[str], /, **properties: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "required": required,
        "properties": properties,
    }


def _constant(*values: Any) -> dict[str, Any]:
    return {"type": "boolean" if isinstance(values[0], bool) else "string", "enum": list(values)}


STRING, INTEGER = {"type": "string"}, {"type": "integer"}
MEMBER = _object(
    "A member (cluster false). Ambassadors have no website.",
    ["cluster", "id", "kind", "kind_label", "name", "city", "country"],
    cluster=_constant(False),
    id=INTEGER,
    kind=_constant(*MemberKind.values),
    kind_label=STRING,
    name=STRING,
    city=STRING,
    country={"type": "string", "description": "ISO 3166 code."},
    country_name=STRING,
    sectors=_strings(),
    recognitions=_strings(),
    website=STRING,
    description=STRING,
)
CLUSTER = _object(
    "Members close together at the requested zoom (cluster true).",
    ["cluster", "count"],
    cluster=_constant(True),
    count={"type": "integer", "minimum": 2},
)
FEATURE = _object(
    "A member or a cluster at one point.",
    ["type", "geometry", "properties"],
    type=_constant("Feature"),
    id={
        "type": "integer",
        "description": "A member's id (the same as properties.id); clusters have none.",
    },
    bbox=_numbers(
        4, "A cluster's extent: [minLon, minLat, maxLon, maxLat] of its members (RFC 7946, 5)."
    ),
    geometry=_object(
        "A GeoJSON point.",
        ["type", "coordinates"],
        type=_constant("Point"),
        coordinates=_numbers(2, "[longitude, latitude] (RFC 7946)."),
    ),
    properties={"oneOf": [MEMBER, CLUSTER]},
)
MAP_FEED = {
    "title": "MapFeatureCollection",
    **_object(
        "A GeoJSON FeatureCollection (RFC 7946) of members and clusters.",
        ["type", "total", "countries", "features"],
        type=_constant("FeatureCollection"),
        name={
            "type": "string",
            "description": "The layer's name, for GIS tools (GDAL's layer name).",
        },
        total={"type": "integer", "description": "Members matching, before clustering."},
        countries={"type": "integer", "description": "Distinct countries among them."},
        cluster_zoom={
            "type": "integer",
            "nullable": True,
            "minimum": 0,
            "maximum": 20,
            "description": (
                "Zoom of the grid the clusters were made on: the requested zoom, a coarser "
                "one when the answer would exceed the cap (zoom in, or give a smaller bbox, "
                "to see single members), or null when every member is on its own."
            ),
        },
        features={
            "type": "array",
            "items": FEATURE,
            "maxItems": settings.MAP_MAX_FEATURES,
        },
    ),
}
PROBLEM = _object(
    "Problem details (RFC 9457).",
    ["type", "title", "status"],
    type=STRING,
    title=STRING,
    status=INTEGER,
    detail=STRING,
    errors={
        "type": "object",
        "additionalProperties": _strings(),
        "description": "With a 400: each bad parameter with its messages.",
    },
)
ERRORS = {"title": "MapFeedProblem", **PROBLEM}
JSON = "application/json"
GEOJSON = "application/geo+json"

map_feed_schema = extend_schema(
    operation_id="map_feed",
    summary="Public member map (GeoJSON)",
    description=(
        "Active members with coordinates, as a GeoJSON FeatureCollection. With `zoom`, "
        "members in one cell of a fixed grid (about 64 pixels at that zoom) come back as "
        "one cluster feature; `bbox` is widened to the edges of the grid's cells, so "
        "nearby views get the same answer. One answer holds at most "
        f"{settings.MAP_MAX_FEATURES:,} features (MAP_MAX_FEATURES): beyond, the members "
        "are clustered on a coarser grid, even without `zoom` or at zooms that are "
        "otherwise not clustered, and `cluster_zoom` says which. Anonymous; supports "
        "ETag/If-None-Match and Last-Modified/If-Modified-Since (304); gzip."
    ),
    parameters=[_parameter(name, field) for name, field in MapFeedParameters.base_fields.items()],
    auth=[],
    tags=["map"],
    responses={
        (200, GEOJSON): OpenApiResponse(MAP_FEED, description="The map."),
        (304, GEOJSON): OpenApiResponse(description="Not modified since the client's copy."),
        (400, JSON): OpenApiResponse(ERRORS, description="A bad parameter."),
        (429, JSON): OpenApiResponse(
            ERRORS, description="Too many requests: try again after `Retry-After` seconds."
        ),
    },
)
