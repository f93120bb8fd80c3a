"""The public impact endpoints (routed by `api.urls`): the figures the website shows,
`/api/v1/impact/`, and the programmes on a member's map card,
`/api/v1/impact/members/<id>/`.

Anonymous, throttled, cached like the map feed: each answer is built once per
(language, day, version of the figures) and kept in the cache; a conditional GET with
the answer's ETag costs one version read and no query of the figures. When the shared
cache is down the answer is built for the request and sent without an ETag.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable

import orjson
from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from crm.shared_cache import CacheUnavailable, cache_call
from impact.cache import impact_version
from impact.schema import impact_schema, member_programmes_schema
from impact.selectors import member_public_programmes, public_impact
from impact.throttling import ImpactRateThrottle

LANGUAGES = ("en", "it")
#: Says where the answer came from: `hit`, `miss` (built and cached) or `unavailable`.
IMPACT_CACHE_HEADER = "X-Impact-Cache"
#: Cached in place of the body of a member that is not on the map (a 404).
NOT_FOUND = b""


def answer_keys(key: str, *, language: str, day: datetime.date, version: float) -> tuple[str, str]:
    """The ETag of an answer and its key in the cache. Members "active today" change at
    midnight without a write, so the day is part of both."""
    digest = hashlib.sha256(f"{key};l={language};d={day}".encode()).hexdigest()[:32]
    return f'W/"{digest}-{version:.6f}"', f"impact:{version:.6f}:{digest}"


class PublicImpactView(APIView):
    """Base of the public endpoints: no authentication (zero queries on a hit)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ImpactRateThrottle]

    def answer(self, request: Request, key: str, build: Callable[[str], bytes]) -> HttpResponse:
        language = self.language(request)
        today = timezone.localdate()
        try:
            version = impact_version()
        except CacheUnavailable:
            body = build(language)
            response = self.respond(body, language, "unavailable")
            patch_cache_control(response, public=True, max_age=min(60, settings.IMPACT_MAX_AGE))
            return response
        etag, body_key = answer_keys(key, language=language, day=today, version=version)
        not_modified = get_conditional_response(request._request, etag=etag)
        if not_modified is not None:
            return self.finish(not_modified, etag)
        state = "hit"
        try:
            body = cache_call(lambda: cache.get(body_key), what="impact figures")
        except CacheUnavailable:
            body, state = None, "unavailable"
        if body is None:
            body = build(language)
            if state == "hit":
                state = "miss"
                try:
                    cache_call(
                        lambda: cache.set(body_key, body, timeout=settings.IMPACT_CACHE_TIMEOUT),
                        what="impact figures",
                    )
                except CacheUnavailable:
                    state = "unavailable"
        return self.finish(self.respond(body, language, state), etag)

    def language(self, request: Request) -> str:
        lang = request.query_params.get("lang", "")
        if lang and lang not in LANGUAGES:
            raise ValidationError({"lang": [f"Choose one of: {', '.join(LANGUAGES)}."]})
        if lang:
            return lang
        return "it" if (translation.get_language() or "").startswith("it") else "en"

    def respond(self, body: bytes, language: str, state: str) -> HttpResponse:
        if body == NOT_FOUND:
            raise NotFound("No such member on the public map.")
        response = HttpResponse(body, content_type="application/json")
        response["Content-Language"] = language
        response[IMPACT_CACHE_HEADER] = state
        patch_vary_headers(response, ["Accept-Language"])
        return response

    def finish(self, response: HttpResponse, etag: str) -> HttpResponse:
        response["ETag"] = etag
        patch_cache_control(response, public=True, max_age=settings.IMPACT_MAX_AGE)
        patch_vary_headers(response, ["Accept-Language"])
        return response


class ImpactView(PublicImpactView):
    """What the network does and whom it reaches, for the website: aggregates only."""

    @impact_schema
    def get(self, request: Request) -> HttpResponse:
        return self.answer(
            request, "figures", lambda language: orjson.dumps(public_impact(language=language))
        )


class MemberProgrammesView(PublicImpactView):
    """The programmes a member on the public map took part in, when it allows it."""

    @member_programmes_schema
    def get(self, request: Request, member_id: int) -> HttpResponse:
        def build(language: str) -> bytes:
            with translation.override(language):
                programmes = member_public_programmes(member_id)
            if programmes is None:
                return NOT_FOUND
            return orjson.dumps({"id": member_id, "programmes": programmes})

        return self.answer(request, f"member={member_id}", build)
