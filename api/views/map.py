"""`GET /api/v1/map/`: the public GeoJSON member map, cached, conditional and gzipped.

The body is built once per (filters, zoom, language, day, network version) and
kept gzipped in the cache; any change to a member, agreement, recognition or
sector bumps the version (crm.signals). A conditional GET needs only the version,
so a 304 costs one cache read and no SQL.
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import re

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from api.renderers import FirstRendererNegotiation, GeoJSONRenderer
from api.serializers.map import MapQuerySerializer
from api.throttling import MapRateThrottle
from crm.selectors import map_feed_json, map_feed_version

ACCEPTS_GZIP = re.compile(r"\bgzip\b")
#: Fast enough to keep a cold 100,000-member feed quick, and still about 10x smaller.
GZIP_LEVEL = 1

_POINT = {
    "type": "object",
    "required": ["type", "coordinates"],
    "properties": {
        "type": {"type": "string", "enum": ["Point"]},
        "coordinates": {
            "type": "array",
            "items": {"type": "number"},
            "minItems": 2,
            "maxItems": 2,
            "description": "[longitude, latitude] (RFC 7946).",
        },
    },
}
_MEMBER_PROPERTIES = {
    "type": "object",
    "description": "A member (cluster false). Ambassadors have no website.",
    "required": ["cluster", "id", "kind", "kind_label", "name", "city", "country"],
    "properties": {
        "cluster": {"type": "boolean", "enum": [False]},
        "id": {"type": "integer"},
        "kind": {
            "type": "string",
            "enum": ["school", "company", "organization", "municipality", "ambassador"],
        },
        "kind_label": {"type": "string"},
        "name": {"type": "string"},
        "city": {"type": "string"},
        "country": {"type": "string", "description": "ISO 3166 code."},
        "country_name": {"type": "string"},
        "sectors": {"type": "array", "items": {"type": "string"}},
        "recognitions": {"type": "array", "items": {"type": "string"}},
        "website": {"type": "string"},
        "description": {"type": "string"},
    },
}
_CLUSTER_PROPERTIES = {
    "type": "object",
    "description": "Members close together at the requested zoom (cluster true).",
    "required": ["cluster", "count", "bbox"],
    "properties": {
        "cluster": {"type": "boolean", "enum": [True]},
        "count": {"type": "integer", "minimum": 2},
        "bbox": {
            "type": "array",
            "items": {"type": "number"},
            "minItems": 4,
            "maxItems": 4,
            "description": "[minLon, minLat, maxLon, maxLat] of the cluster's members.",
        },
    },
}
MAP_FEED_SCHEMA = {
    "type": "object",
    "title": "MapFeatureCollection",
    "description": "A GeoJSON FeatureCollection (RFC 7946) of members and clusters.",
    "required": ["type", "total", "countries", "features"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "total": {"type": "integer", "description": "Members matching, before clustering."},
        "countries": {"type": "integer", "description": "Distinct countries among them."},
        "features": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "geometry", "properties"],
                "properties": {
                    "type": {"type": "string", "enum": ["Feature"]},
                    "geometry": _POINT,
                    "properties": {"oneOf": [_MEMBER_PROPERTIES, _CLUSTER_PROPERTIES]},
                },
            },
        },
    },
}
_ERROR_SCHEMA = {
    "type": "object",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "description": "Each bad parameter with its messages.",
}


class MapFeedView(APIView):
    """The public member map: anonymous, read-only, throttled generously."""

    authentication_classes: list = []  # no session or token lookup: zero queries on a hit
    permission_classes = [AllowAny]
    throttle_classes = [MapRateThrottle]
    renderer_classes = [GeoJSONRenderer]
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        operation_id="map_feed",
        summary="Public member map (GeoJSON)",
        description=(
            "Active members with coordinates, as a GeoJSON FeatureCollection. With `zoom`, "
            "members close together come back as cluster features. Anonymous; supports "
            "ETag/If-None-Match and Last-Modified/If-Modified-Since (304); gzip."
        ),
        parameters=[MapQuerySerializer],
        auth=[],
        tags=["map"],
        responses={
            (200, "application/geo+json"): OpenApiResponse(
                response=MAP_FEED_SCHEMA,
                description="The map.",
                examples=[
                    OpenApiExample(
                        "A school and a cluster",
                        value={
                            "type": "FeatureCollection",
                            "total": 3,
                            "countries": 1,
                            "features": [
                                {
                                    "type": "Feature",
                                    "geometry": {"type": "Point", "coordinates": [12.49, 41.9]},
                                    "properties": {
                                        "cluster": False,
                                        "id": 7,
                                        "kind": "school",
                                        "kind_label": "School",
                                        "name": "Scuola Gianni Rodari",
                                        "city": "Roma",
                                        "country": "IT",
                                        "country_name": "Italy",
                                        "sectors": ["Education"],
                                        "recognitions": ["Kind School"],
                                        "website": "https://rodari.example.org",
                                        "description": "Kindness in every class.",
                                    },
                                },
                                {
                                    "type": "Feature",
                                    "geometry": {"type": "Point", "coordinates": [9.19, 45.46]},
                                    "properties": {
                                        "cluster": True,
                                        "count": 2,
                                        "bbox": [9.18, 45.45, 9.2, 45.47],
                                    },
                                },
                            ],
                        },
                    )
                ],
            ),
            (304, "application/geo+json"): OpenApiResponse(
                description="Not modified since the ETag or date the client holds."
            ),
            (400, "application/geo+json"): OpenApiResponse(
                response=_ERROR_SCHEMA, description="A bad parameter."
            ),
            (429, "application/geo+json"): OpenApiResponse(description="Too many requests."),
        },
    )
    def get(self, request: Request) -> HttpResponse:
        params = MapQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        filters, zoom = params.filters(), params.validated_data.get("zoom")
        language = params.validated_data.get("lang") or _request_language()
        version = map_feed_version()
        today = timezone.localdate()
        # "Active today" changes at midnight with no write, so the day is part of the key.
        key = f"{filters.cache_key()};z={zoom};l={language};d={today.isoformat()}"
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        etag = f'W/"{digest}-{version:.6f}"'
        last_modified = max(version, _midnight(today))
        not_modified = get_conditional_response(
            request._request, etag=etag, last_modified=int(last_modified)
        )
        if not_modified is not None:
            return self._finish(not_modified, etag, last_modified)

        body_key = f"map-feed:{version:.6f}:{digest}"
        body = cache.get(body_key)
        if body is None:
            feed = map_feed_json(filters=filters, zoom=zoom, language=language)
            body = gzip.compress(feed, compresslevel=GZIP_LEVEL, mtime=0)
            cache.set(body_key, body, timeout=settings.MAP_CACHE_TIMEOUT)
        response = HttpResponse(content_type="application/geo+json")
        response["Content-Language"] = language
        if ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
            response["Content-Encoding"] = "gzip"
        else:
            body = gzip.decompress(body)
        response.content = body
        return self._finish(response, etag, last_modified)

    def _finish(self, response: HttpResponse, etag: str, last_modified: float) -> HttpResponse:
        response["ETag"] = etag
        response["Last-Modified"] = http_date(last_modified)
        patch_cache_control(response, public=True, max_age=settings.MAP_MAX_AGE)
        patch_vary_headers(response, ["Accept-Encoding", "Accept-Language"])
        return response


def _request_language() -> str:
    """English or Italian, from the language LocaleMiddleware chose (Accept-Language)."""
    return "it" if (translation.get_language() or "").startswith("it") else "en"


def _midnight(day: datetime.date) -> float:
    start = datetime.datetime.combine(day, datetime.time.min)
    return timezone.make_aware(start).timestamp()
