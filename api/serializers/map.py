"""The query parameters of the public map feed (validated once per request, never per row)."""

from __future__ import annotations

import math
from typing import Any

from django.utils.translation import gettext_lazy as _
from django_countries import countries
from rest_framework import serializers

from crm.models import MemberKind
from crm.selectors import BBox, MapFilters

MAX_ID = 2**63 - 1


class CommaSeparatedChoicesField(serializers.ListField):
    """Repeated (`kind=a&kind=b`) or comma-separated (`kind=a,b`) choices."""

    def to_internal_value(self, data: Any) -> list[str]:
        if isinstance(data, str):
            data = [data]
        if isinstance(data, list | tuple):
            data = [part.strip() for item in data for part in str(item).split(",")]
            data = [part for part in data if part]
        return sorted(set(super().to_internal_value(data)))


class BBoxField(serializers.CharField):
    default_error_messages = {
        "format": _("Give four numbers: minLon,minLat,maxLon,maxLat."),
        "range": _(
            "Longitudes must be between -180 and 180, latitudes between -90 and 90, "
            "and minLat not above maxLat."
        ),
    }

    def to_internal_value(self, data: Any) -> BBox:
        text = super().to_internal_value(data)
        parts = text.split(",")
        try:
            values = tuple(float(part) for part in parts)
        except ValueError:
            self.fail("format")
        if len(values) != 4 or not all(math.isfinite(v) for v in values):
            self.fail("format")
        min_lon, min_lat, max_lon, max_lat = values
        if not (
            -180 <= min_lon <= 180 and -180 <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90
        ):
            self.fail("range")
        return values  # type: ignore[return-value]


class MapQuerySerializer(serializers.Serializer):
    """Filters of `GET /api/v1/map/`; a bad value is a 400 that names the parameter."""

    kind = CommaSeparatedChoicesField(
        child=serializers.ChoiceField(choices=MemberKind.choices),
        required=False,
        help_text=_("Kinds of member, repeated (kind=school&kind=company) or comma-separated."),
    )
    country = serializers.CharField(
        required=False, max_length=2, help_text=_("ISO 3166 country code, e.g. IT.")
    )
    chapter = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text=_("Chapter id.")
    )
    sector = serializers.SlugField(required=False, max_length=40, help_text=_("Sector code."))
    bbox = BBoxField(
        required=False,
        max_length=200,
        help_text=_(
            "minLon,minLat,maxLon,maxLat (WGS 84); minLon above maxLon crosses the antimeridian."
        ),
    )
    zoom = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=20,
        help_text=_("Map zoom: nearby members come back as clusters. Without it, every member."),
    )
    lang = serializers.ChoiceField(
        choices=[("en", "English"), ("it", "Italiano")],
        required=False,
        help_text=_("Language of the labels; without it, the Accept-Language header."),
    )

    def validate_country(self, value: str) -> str:
        code = value.upper()
        if code not in countries:
            raise serializers.ValidationError(_("Unknown country code."))
        return code

    def filters(self) -> MapFilters:
        data = self.validated_data
        return MapFilters(
            kinds=tuple(data.get("kind", ())),
            country=data.get("country", ""),
            chapter=data.get("chapter"),
            sector=data.get("sector", ""),
            bbox=data.get("bbox"),
        )
