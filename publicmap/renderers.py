"""Renderers and content negotiation for the GeoJSON map feed."""

from __future__ import annotations

from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer


class GeoJSONRenderer(JSONRenderer):
    """RFC 7946 media type; used for the feed's errors too (bodies of successes are prebuilt)."""

    media_type = "application/geo+json"
    format = "geojson"


class FirstRendererNegotiation(BaseContentNegotiation):
    """The feed has one representation: answer it whatever the Accept header says."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
