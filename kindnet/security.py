"""Headers every page sends: one Content-Security-Policy for the site, Permissions-Policy.

The policy allows no inline script or style anywhere (the templates load static files),
data only from the site, images also from the map's tile server (the public map and the
admin's coordinate map), and no framing. The one exception is written where it applies:
`/map/embed/` replaces `frame-ancestors` with MAP_EMBED_ALLOWED_ORIGINS
(`publicmap.views.map_embed`). The policy is built from the settings at each response,
so it follows MAP_TILE_URL without a second copy.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from csp.constants import NONE, SELF
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase

#: Features no page of Kindnet uses: a script injected anyway cannot reach them.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)


def tile_source(url: str) -> str | None:
    """The CSP source of the tile server: `https://{s}.tile.example` → `https://*.tile.example`."""
    if not url:
        return None
    parts = urlsplit(url)
    host = parts.netloc.replace("{s}", "*")
    if "{" in host:  # another placeholder in the host: allow the scheme only
        return f"{parts.scheme}:"
    return f"{parts.scheme}://{host}"


def site_content_security_policy() -> dict[str, list[str]]:
    """The site's policy, from the settings of now (MAP_TILE_URL)."""
    tiles = tile_source(settings.MAP_TILE_URL)
    return {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        # data: is Leaflet's blank image, set on tiles it stops loading while zooming
        # (and the admin's and Swagger UI's small inline icons).
        "img-src": [SELF, "data:", *([tiles] if tiles else [])],
        "connect-src": [SELF],
        "font-src": [SELF],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }


class SiteCSPMiddleware(CSPMiddleware):
    """django-csp's middleware with the site's policy as the default of every response."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if not report_only and parts.config is None:
            parts.config = site_content_security_policy()
        return parts


class PermissionsPolicyMiddleware:
    """Adds `Permissions-Policy` to every response that has none."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
