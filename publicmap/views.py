"""The public member map: a page at /map/, an embeddable one at /map/embed/, and their feed.

Both pages are the same Leaflet map fed by the public GeoJSON feed (/api/v1/map/,
routed by `api.urls`); they only read and check the query parameters (initial
filters, centre, zoom, language), render the filter options from the database and
set the security headers: the site's strict Content-Security-Policy on both
(kindnet.security), and framing allowed only on the embed, only for the origins in
MAP_EMBED_ALLOWED_ORIGINS.

The feed's body is built once per (filters, zoom, language, day, network version)
and kept gzipped in the cache; any change to the network bumps the version
(`publicmap.cache`). A conditional GET needs only the version, so a 304 costs one
cache read with a shared cache, one primary-key SELECT with the default local memory.
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from csp.constants import NONE
from csp.decorators import csp_replace
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import get_script_prefix
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.utils.translation import gettext, ngettext
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe
from django_countries import countries
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from crm.models import MemberKind, Sector
from crm.shared_cache import CacheUnavailable, cache_call
from publicmap.cache import map_feed_version
from publicmap.params import MapEmbedParameters, MapFeedParameters, MapPageParameters
from publicmap.renderers import (
    PROBLEM_MEDIA_TYPE,
    FirstRendererNegotiation,
    GeoJSONRenderer,
    problem_details,
)
from publicmap.schema import map_feed_schema
from publicmap.selectors import (
    MapFilterOption,
    map_feed_answer,
    map_feed_json,
    map_filter_options,
)
from publicmap.tasks import map_grid_rebuild_task
from publicmap.throttling import MapRateThrottle

View = Callable[..., HttpResponse]


#: The feed of the map (the API's fixed contract), relative to the site's root.
MAP_FEED_PATH = "api/v1/map/"
#: The public impact figures (the impact app's, routed by api.urls): the page's line of
#: totals and the programmes on a card come from there, by URL only.
IMPACT_PATH = "api/v1/impact/"
ACCEPTS_GZIP = re.compile(r"\bgzip\b")
#: Fast enough to keep a cold 100,000-member feed quick, and still about 10x smaller.
GZIP_LEVEL = 1
#: Says where the answer came from: `hit`, `miss` (built and cached) or `unavailable`
#: (the shared cache is down: built for this request only).
MAP_CACHE_HEADER = "X-Map-Cache"
MAP_CACHE_HIT, MAP_CACHE_MISS, MAP_CACHE_UNAVAILABLE = "hit", "miss", "unavailable"


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
        "close": gettext("Close"),
        "sandboxed": gettext(
            "This map cannot load its members inside this frame: the frame is sandboxed "
            "without “allow-same-origin”. The website that shows it must add "
            "“allow-same-origin” to the iframe's sandbox attribute."
        ),
        "wheelHint": gettext("Use Ctrl + scroll to zoom the map, or click it first"),
        "wheelHintMac": gettext("Use ⌘ + scroll to zoom the map, or click it first"),
        "touchHint": gettext("Use two fingers to move the map"),
        # The line of totals and the card's programmes (publicmap/static/publicmap/impact.js).
        "reached": {
            "students": forms_of(
                lambda n: ngettext(
                    "{count} student reached in {year}", "{count} students reached in {year}", n
                )
            ),
            "teachers": forms_of(
                lambda n: ngettext(
                    "{count} teacher reached in {year}", "{count} teachers reached in {year}", n
                )
            ),
            "health_workers": forms_of(
                lambda n: ngettext(
                    "{count} health worker reached in {year}",
                    "{count} health workers reached in {year}",
                    n,
                )
            ),
            "employees": forms_of(
                lambda n: ngettext(
                    "{count} employee reached in {year}", "{count} employees reached in {year}", n
                )
            ),
            "citizens": forms_of(
                lambda n: ngettext(
                    "{count} citizen reached in {year}", "{count} citizens reached in {year}", n
                )
            ),
        },
        "programmes": gettext("Programmes"),
    }


def _render_map(request: HttpRequest, *, embed: bool) -> HttpResponse:
    form = (MapEmbedParameters if embed else MapPageParameters)(request.GET)
    form.is_valid()  # invalid parameters are reported on the page and otherwise ignored
    values = form.cleaned_data
    embed_options = form.embed_options() if embed else None
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
        "impactUrl": get_script_prefix() + IMPACT_PATH,
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
    if embed:
        # The widget tells these sites (the ones that may frame it) what happens in it.
        config["parentOrigins"] = list(settings.MAP_EMBED_ALLOWED_ORIGINS)
        config["options"] = embed_options
    context = {
        "embed": embed,
        "embed_options": embed_options,
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
    template = "publicmap/embed.html" if embed else "publicmap/page.html"
    return render(request, template, context)


def embed_frame_ancestors(view: View) -> View:
    """The site's Content-Security-Policy (kindnet.security), with `frame-ancestors`
    replaced by MAP_EMBED_ALLOWED_ORIGINS of this request's settings: the one exception."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        ancestors = list(settings.MAP_EMBED_ALLOWED_ORIGINS) or [NONE]
        return csp_replace({"frame-ancestors": ancestors})(view)(request, *args, **kwargs)

    return wrapped


@require_safe
def map_page(request: HttpRequest) -> HttpResponse:
    """The public map of the network, with filters and a list of what is in view."""
    return _render_map(request, embed=False)


@require_safe
@xframe_options_exempt
@embed_frame_ancestors
def map_embed(request: HttpRequest) -> HttpResponse:
    """The same map without the page around it, for an <iframe> on an allowed site."""
    return _render_map(request, embed=True)


class MapFeedView(APIView):
    """The public member map: anonymous, read-only, throttled generously."""

    authentication_classes: list = []  # no session or token lookup: zero queries on a hit
    permission_classes = [AllowAny]
    throttle_classes = [MapRateThrottle]
    renderer_classes = [GeoJSONRenderer]
    content_negotiation_class = FirstRendererNegotiation

    @map_feed_schema
    def get(self, request: Request) -> HttpResponse:
        params = MapFeedParameters(request.query_params)
        if not params.is_valid():
            # A 400 naming each parameter with its messages (`handle_exception`).
            raise ValidationError({name: list(errors) for name, errors in params.errors.items()})
        filters, zoom = params.filters(), params.cleaned_data["zoom"]
        language = params.cleaned_data["lang"] or _request_language()
        try:
            version = map_feed_version()
        except CacheUnavailable:
            return self._without_cache(request, filters=filters, zoom=zoom, language=language)
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
        state = MAP_CACHE_HIT
        try:
            body = cache_call(lambda: cache.get(body_key), what="map feed")
        except CacheUnavailable:
            body, state = None, MAP_CACHE_UNAVAILABLE
        if body is None:
            answer = map_feed_answer(filters=filters, zoom=zoom, language=language, version=version)
            if answer.grid_rebuild_wanted:
                # The grid index is out of date for a large network: rebuild it (in the
                # background with TASKS_BACKEND=database), then low zooms read it again.
                map_grid_rebuild_task.enqueue(version=version)
            body = gzip.compress(answer.json, compresslevel=GZIP_LEVEL, mtime=0)
            if state == MAP_CACHE_HIT:
                state = MAP_CACHE_MISS
                try:
                    cache_call(
                        lambda: cache.set(body_key, body, timeout=settings.MAP_CACHE_TIMEOUT),
                        what="map feed",
                    )
                except CacheUnavailable:
                    state = MAP_CACHE_UNAVAILABLE
        response = self._feed_response(request, body, language=language, state=state)
        return self._finish(response, etag, last_modified)

    def handle_exception(self, exc: Exception) -> HttpResponse:
        """A bad parameter (400) or too many requests (429, with Retry-After) as problem
        details in plain JSON."""
        response = super().handle_exception(exc)
        response.data = problem_details(response.status_code, response.data)
        response.content_type = PROBLEM_MEDIA_TYPE
        return response

    def _without_cache(
        self, request: Request, *, filters: Any, zoom: int, language: str
    ) -> HttpResponse:
        """The cache (and with it the version) is down: build the answer, without validators
        (no ETag: there is no version to tie it to), kept by browsers for a short while."""
        feed = map_feed_json(filters=filters, zoom=zoom, language=language)
        body = gzip.compress(feed, compresslevel=GZIP_LEVEL, mtime=0)
        response = self._feed_response(
            request, body, language=language, state=MAP_CACHE_UNAVAILABLE
        )
        patch_cache_control(response, public=True, max_age=min(60, settings.MAP_MAX_AGE))
        patch_vary_headers(response, ["Accept-Encoding", "Accept-Language"])
        return response

    def _feed_response(
        self, request: Request, body: bytes, *, language: str, state: str
    ) -> HttpResponse:
        response = HttpResponse(content_type="application/geo+json")
        response["Content-Language"] = language
        response[MAP_CACHE_HEADER] = state
        if ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
            response["Content-Encoding"] = "gzip"
        else:
            body = gzip.decompress(body)
        response.content = body
        return response

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
