"""The public member map: a full page at /map/ and an embeddable one at /map/embed/.

Both are the same Leaflet map fed by the public GeoJSON feed (/api/v1/map/); the
views only read and check the query parameters (initial filters, centre, zoom,
language), render the filter options from the database and set the security
headers: a strict Content-Security-Policy on both, and framing allowed only on the
embed, only for the origins in MAP_EMBED_ALLOWED_ORIGINS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from csp.constants import NONE, SELF
from csp.decorators import csp
from django import forms
from django.conf import settings
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import get_script_prefix
from django.utils import translation
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe
from django_countries import countries

from crm.models import Member, MemberKind, Sector

View = Callable[..., HttpResponse]


@dataclass(frozen=True)
class MapFilterOption:
    value: str
    label: str


@dataclass(frozen=True)
class MapFilterOptions:
    """The choices the public map offers: only countries and sectors that have members on it."""

    countries: list[MapFilterOption]
    sectors: list[MapFilterOption]


def map_filter_options(*, language: str | None = None) -> MapFilterOptions:
    """Countries and sectors of the members the public map shows, named in `language`.

    Two queries, whatever the size of the network: an empty choice would only lead
    to an empty map, so options without a member on the map are left out.
    """
    on_map = Member.objects.on_map()
    # order_by(): Member.Meta.ordering would otherwise become part of the DISTINCT.
    codes = on_map.order_by().values_list("country", flat=True).distinct()
    country_options = sorted(
        (MapFilterOption(str(code), str(countries.name(code))) for code in codes),
        key=lambda option: option.label,
    )
    through = Member.sectors.through
    used = through.objects.filter(sector=OuterRef("pk"), member__in=on_map.values("pk"))
    sector_options = sorted(
        (
            MapFilterOption(sector.slug, sector.name_for(language))
            for sector in Sector.objects.filter(Exists(used))
        ),
        key=lambda option: option.label,
    )
    return MapFilterOptions(countries=country_options, sectors=sector_options)


#: The feed of the map (the API's fixed contract), relative to the site's root.
MAP_FEED_PATH = "api/v1/map/"


class MapQueryForm(forms.Form):
    """The query parameters a shared or embedded map link may carry."""

    kind = forms.MultipleChoiceField(label=_("kind"), choices=MemberKind.choices, required=False)
    sector = forms.SlugField(label=_("sector"), required=False)
    country = forms.CharField(label=_("country"), required=False, max_length=2)
    lat = forms.FloatField(label=_("latitude"), required=False, min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("longitude"), required=False, min_value=-180, max_value=180)
    zoom = forms.IntegerField(label=_("zoom"), required=False, min_value=0, max_value=20)
    lang = forms.ChoiceField(label=_("language"), choices=settings.LANGUAGES, required=False)

    def __init__(self, query: QueryDict) -> None:
        data = query.copy()
        # Like the feed: ?kind=school&kind=company and ?kind=school,company mean the same.
        data.setlist(
            "kind",
            [part.strip() for value in query.getlist("kind") for part in value.split(",") if part],
        )
        super().__init__(data)

    def clean_sector(self) -> Sector | None:
        slug = self.cleaned_data["sector"]
        if not slug:
            return None
        sector = Sector.objects.filter(slug=slug).first()
        if sector is None:
            raise forms.ValidationError(_("There is no sector “%(slug)s”."), params={"slug": slug})
        return sector

    def clean_country(self) -> str:
        code = self.cleaned_data["country"].upper()
        if code and code not in countries:
            raise forms.ValidationError(
                _("“%(code)s” is not an ISO country code such as IT or CH."), params={"code": code}
            )
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        has_lat, has_lon = data.get("lat") is not None, data.get("lon") is not None
        if has_lat != has_lon:
            raise forms.ValidationError(_("Give both lat and lon for the centre, or neither."))
        return data


def tile_source(url: str) -> str | None:
    """The CSP source of the tile server: `https://{s}.tile.example` → `https://*.tile.example`."""
    if not url:
        return None
    parts = urlsplit(url)
    host = parts.netloc.replace("{s}", "*")
    if "{" in host:  # another placeholder in the host: allow the scheme only
        return f"{parts.scheme}:"
    return f"{parts.scheme}://{host}"


def map_content_security_policy(*, embed: bool) -> dict[str, list[str]]:
    """No inline script or style, data only from this site, images also from the tile host."""
    tiles = tile_source(settings.MAP_TILE_URL)
    ancestors = list(settings.MAP_EMBED_ALLOWED_ORIGINS) if embed else []
    return {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        # data: is Leaflet's blank image, set on tiles it stops loading while zooming.
        "img-src": [SELF, "data:", *([tiles] if tiles else [])],
        "connect-src": [SELF],
        "font-src": [SELF],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": ancestors or [NONE],
    }


def _selected(options: list[MapFilterOption], value: str, label: str) -> list[MapFilterOption]:
    """The options, plus the one a link asked for even if it has no member on the map now."""
    if value and all(option.value != value for option in options):
        return [*options, MapFilterOption(value, label)]
    return options


def _map_text() -> dict[str, Any]:
    """The sentences the script shows, translated here so the page needs no JS catalogue."""

    def forms_of(translate: Callable[[int], str]) -> dict[str, str]:
        # English and Italian need only "one" and "other" (Intl.PluralRules in the script).
        return {"one": translate(1), "other": translate(2)}

    return {
        "members": forms_of(lambda n: ngettext("{count} member", "{count} members", n)),
        "countries": forms_of(lambda n: ngettext("{count} country", "{count} countries", n)),
        "summary": gettext("{members} in {countries}"),
        "cluster": forms_of(
            lambda n: ngettext(
                "A group of {count} member: zoom in", "A group of {count} members: zoom in", n
            )
        ),
        "clusterTitle": forms_of(
            lambda n: ngettext("{count} member here", "{count} members here", n)
        ),
        "loading": gettext("Loading the map…"),
        "error": gettext("The map could not be loaded. Please try again in a moment."),
        "empty": gettext("No member matches these filters in this part of the map."),
        "noKind": gettext("Choose at least one kind of member."),
        "sectors": gettext("Sectors"),
        "recognitions": gettext("Recognitions"),
        "website": gettext("Website"),
        "listMore": gettext("and {count} more: zoom in to see them"),
    }


def _render_map(request: HttpRequest, *, embed: bool) -> HttpResponse:
    form = MapQueryForm(request.GET)
    form.is_valid()  # invalid parameters are reported on the page and otherwise ignored
    values = form.cleaned_data
    # `?lang=` is already active (kindnet.middleware.QueryLanguageMiddleware).
    language = translation.get_language() or settings.LANGUAGE_CODE

    options = map_filter_options(language=language)
    chosen_sector: Sector | None = values.get("sector")
    sector = chosen_sector.slug if chosen_sector else ""
    country = values.get("country", "")
    kinds = [{"value": value, "label": str(label)} for value, label in MemberKind.choices]
    chosen_kinds = values.get("kind") or []
    centre_given = values.get("lat") is not None and values.get("lon") is not None
    config = {
        "feedUrl": get_script_prefix() + MAP_FEED_PATH,
        "lang": language[:2],
        "langInUrl": bool(values.get("lang")),
        "embed": embed,
        "tiles": {"url": settings.MAP_TILE_URL, "attribution": settings.MAP_TILE_ATTRIBUTION}
        if settings.MAP_TILE_URL
        else None,
        # The script fits the default box to the window unless the link gives centre and zoom.
        "view": {
            "lat": values["lat"] if centre_given else None,
            "lon": values["lon"] if centre_given else None,
            "zoom": values.get("zoom"),
            "bounds": settings.MAP_DEFAULT_BOUNDS,
        },
        "filters": {"kind": chosen_kinds, "sector": sector, "country": country},
        "kinds": kinds,
        "text": _map_text(),
    }
    context = {
        "embed": embed,
        "config": config,
        "errors": [
            (name if name in form.fields else "", message)
            for name, messages in form.errors.items()
            for message in messages
        ],
        "kinds": [
            {**kind, "checked": not chosen_kinds or kind["value"] in chosen_kinds} for kind in kinds
        ],
        "sectors": _selected(
            options.sectors, sector, chosen_sector.name_for(language) if chosen_sector else ""
        ),
        "countries": _selected(
            options.countries, country, str(countries.name(country)) if country else ""
        ),
        "selected_sector": sector,
        "selected_country": country,
        "languages": [
            {"code": code, "name": translation.get_language_info(code)["name_local"]}
            for code, _name in settings.LANGUAGES
        ],
        "current_language": language[:2],
    }
    template = "map/embed.html" if embed else "map/page.html"
    return render(request, template, context)


def map_policy(*, embed: bool) -> Callable[[View], View]:
    """django-csp's `csp` decorator, with the policy built from the settings of each request."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            policy = map_content_security_policy(embed=embed)
            return csp(policy)(view)(request, *args, **kwargs)

        return wrapped

    return decorator


@require_safe
@map_policy(embed=False)
def map_page(request: HttpRequest) -> HttpResponse:
    """The public map of the network, with filters and a list of what is in view."""
    return _render_map(request, embed=False)


@require_safe
@xframe_options_exempt
@map_policy(embed=True)
def map_embed(request: HttpRequest) -> HttpResponse:
    """The same map without the page around it, for an <iframe> on an allowed site."""
    return _render_map(request, embed=True)
