"""Renderers and content negotiation for the GeoJSON map feed, and the shape of its errors."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer

#: Errors are not GeoJSON: a GIS client must not take them for a map.
PROBLEM_MEDIA_TYPE = "application/json"


def problem_details(status: int, data: Any) -> dict[str, Any]:
    """An error of the feed as RFC 9457 problem details; a 400 names each bad parameter
    with its messages under `errors`, as `{"bbox": ["…"]}`."""
    problem: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
    }
    if status == HTTPStatus.BAD_REQUEST and isinstance(data, dict) and "detail" not in data:
        problem["detail"] = _("Some parameters are not valid: %(names)s.") % {
            "names": ", ".join(data)
        }
        problem["errors"] = data
    elif isinstance(data, dict) and "detail" in data:
        problem["detail"] = str(data["detail"])
    return problem


class GeoJSONRenderer(JSONRenderer):
    """RFC 7946 media type (the bodies of successes are prebuilt; errors are plain JSON)."""

    media_type = "application/geo+json"
    format = "geojson"


class FirstRendererNegotiation(BaseContentNegotiation):
    """The feed has one representation: answer it whatever the Accept header says."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
