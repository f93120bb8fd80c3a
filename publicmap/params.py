"""The query parameters of the public map: one definition for its page, embed and feed.

A shared link (`/map/?kind=school&zoom=9`) and the feed (`/api/v1/map/?kind=school&zoom=9`)
read each name the same way. Every parameter is optional and an empty one is absent;
a bad one is reported under its name: on the page, which then ignores it, and as a
400 by the feed. `publicmap.schema` describes the feed's parameters from these fields.
"""

from __future__ import annotations

import math
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from crm.models import MemberKind, Sector
from publicmap.grid import BBox, bbox_snap
from publicmap.selectors import MapFilters

MAX_ID = 2**63 - 1


class KindField(forms.MultipleChoiceField):
    """Repeated (`kind=a&kind=b`) or comma-separated (`kind=a,b`) kinds of member."""

    def to_python(self, value: Any) -> list[str]:
        values = super().to_python(value)
        return [part.strip() for item in values for part in item.split(",") if part.strip()]


class BBoxField(forms.CharField):
    """`minLon,minLat,maxLon,maxLat`; minLon above maxLon crosses the antimeridian."""

    default_error_messages = {
        "format": _("Give four numbers: minLon,minLat,maxLon,maxLat."),
        "range": _(
            "Longitudes must be between -180 and 180, latitudes between -90 and 90, "
            "and minLat not above maxLat."
        ),
    }

    def clean(self, value: Any) -> BBox | None:
        text = super().clean(value)
        if not text:
            return None
        try:
            values = tuple(float(part) for part in text.split(","))
        except ValueError:
            values = ()
        if len(values) != 4 or not all(math.isfinite(v) for v in values):
            raise forms.ValidationError(self.error_messages["format"], code="format")
        min_lon, min_lat, max_lon, max_lat = values
        if not (
            -180 <= min_lon <= 180 and -180 <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90
        ):
            raise forms.ValidationError(self.error_messages["range"], code="range")
        return values  # type: ignore[return-value]


class MapParameters(forms.Form):
    """The parameters the page and the feed share."""

    kind = KindField(
        label=_("kind"),
        choices=MemberKind.choices,
        required=False,
        help_text=_("Kinds of member, repeated (kind=school&kind=company) or comma-separated."),
    )
    sector = forms.SlugField(
        label=_("sector"), required=False, max_length=40, help_text=_("Sector code.")
    )
    country = forms.CharField(
        label=_("country"),
        required=False,
        max_length=2,
        help_text=_("ISO 3166 country code, e.g. IT."),
    )
    zoom = forms.IntegerField(
        label=_("zoom"),
        required=False,
        min_value=0,
        max_value=20,
        help_text=_("Map zoom: nearby members come back as clusters. Without it, every member."),
    )
    lang = forms.ChoiceField(
        label=_("language"),
        choices=settings.LANGUAGES,
        required=False,
        help_text=_("Language of the labels; without it, the Accept-Language header."),
    )

    def clean_country(self) -> str:
        code = self.cleaned_data["country"].upper()
        if code and code not in countries:
            raise forms.ValidationError(
                _("“%(code)s” is not an ISO country code such as IT or CH."), params={"code": code}
            )
        return code


class MapFeedParameters(MapParameters):
    """`GET /api/v1/map/`: which members, at which zoom, in which language."""

    chapter = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text=_("Chapter id."),
    )
    bbox = BBoxField(
        required=False,
        max_length=200,
        help_text=_(
            "minLon,minLat,maxLon,maxLat (WGS 84); minLon above maxLon crosses the antimeridian."
        ),
    )

    def filters(self) -> MapFilters:
        data = self.cleaned_data
        bbox, zoom = data["bbox"], data["zoom"]
        if bbox is not None and zoom is not None:
            # Snapped outward to the cluster grid: views that touch the same cells ask the
            # same question, so nearby pans and other visitors share one cached answer,
            # and clusters at the edge of the view hold all of their cell's members.
            bbox = bbox_snap(bbox, zoom)
        return MapFilters(
            kinds=tuple(sorted(set(data["kind"]))),
            country=data["country"],
            chapter=data["chapter"],
            sector=data["sector"],
            bbox=bbox,
        )


class MapPageParameters(MapParameters):
    """`/map/` and `/map/embed/`: the initial filters, centre and zoom of a shared link."""

    lat = forms.FloatField(label=_("latitude"), required=False, min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("longitude"), required=False, min_value=-180, max_value=180)

    def clean_sector(self) -> Sector | None:
        # The feed shows nothing for an unknown sector; a page says why.
        slug = self.cleaned_data["sector"]
        if not slug:
            return None
        sector = Sector.objects.filter(slug=slug).first()
        if sector is None:
            raise forms.ValidationError(_("There is no sector “%(slug)s”."), params={"slug": slug})
        return sector

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        has_lat, has_lon = data.get("lat") is not None, data.get("lon") is not None
        if has_lat != has_lon:
            raise forms.ValidationError(_("Give both lat and lon for the centre, or neither."))
        return data


ON_OFF = [("on", _("on")), ("off", _("off"))]


class MapEmbedParameters(MapPageParameters):
    """`/map/embed/`: a shared link's parameters, and how the host site wants the widget."""

    accent = forms.RegexField(
        label=_("accent colour"),
        regex=r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$",
        required=False,
        error_messages={"invalid": _("Give a colour as 6 hexadecimal digits, e.g. 0b7285.")},
        help_text=_("Accent colour of buttons, clusters and counts, e.g. 0b7285."),
    )
    legend = forms.ChoiceField(label=_("legend"), choices=ON_OFF, required=False)
    # Named after the parameter; `list` the builtin is not used in this class.
    list = forms.ChoiceField(label=_("list"), choices=ON_OFF, required=False)

    def clean_accent(self) -> str:
        digits = self.cleaned_data["accent"].lstrip("#").lower()
        if len(digits) == 3:
            digits = "".join(digit * 2 for digit in digits)
        return f"#{digits}" if digits else ""

    def embed_options(self) -> dict[str, Any]:
        """The widget's options, the defaults for any missing or invalid one."""
        data = self.cleaned_data
        return {
            "accent": data.get("accent", ""),
            "legend": data.get("legend") != "off",
            "list": data.get("list") != "off",
        }
