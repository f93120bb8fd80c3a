"""The manual-override map of the member change form (Leaflet from django-leaflet's files)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

#: The landmarks JSON view (geocoding.admin), served under the all-members admin.
MAP_PLACES_URL_NAME = "crm_member_map_places"


class MemberMapWidget(forms.Widget):
    """A small map with a draggable marker bound to the latitude/longitude inputs.

    Dragging the marker (or clicking the map) writes the coordinates into the form and
    sets the status to "Set by hand"; nothing is loaded from outside the application.
    Tiles come from MAP_TILE_URL, like the public map's; with none configured (or none
    reachable) the gazetteer's towns in view are drawn as landmarks.
    """

    def __init__(self, attrs=None, *, center: tuple[float, float] = (43.0, 10.5)) -> None:
        super().__init__(attrs)
        self.center = center

    class Media:
        css = {"all": ["leaflet/leaflet.css", "geocoding/member_map.css"]}
        js = ["leaflet/leaflet.js", "geocoding/member_map.js"]

    def render(self, name, value, attrs=None, renderer=None) -> str:
        return format_html(
            '<div class="kindnet-member-map" id="{}" data-lat-input="id_latitude" '
            'data-lon-input="id_longitude" data-status-input="id_geocode_status" '
            'data-manual="manual" data-center="{},{}" data-tiles="{}" data-attribution="{}" '
            'data-places-url="{}" role="application" aria-label="{}"></div>',
            (attrs or {}).get("id", f"id_{name}"),
            self.center[0],
            self.center[1],
            settings.MAP_TILE_URL,
            settings.MAP_TILE_ATTRIBUTION,
            reverse(f"admin:{MAP_PLACES_URL_NAME}"),
            _("Map: drag the marker to set the coordinates by hand"),
        )

    def value_from_datadict(self, data, files, name) -> str:
        return ""
