"""Plain values passed around the geocoding pipeline; no Django model imports, no cycles."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

# The GeocodePrecision values, finest first (kept as strings so this module imports nothing).
PRECISION_ORDER = ("address", "street", "postal_code", "city", "region", "country")


@dataclass(frozen=True)
class GeocodeResult:
    """Where a member is: coordinates, how precise they are, and who said so."""

    lat: float
    lon: float
    precision: str  # a crm.models.GeocodePrecision value
    provider: str

    def coarsened_to(self, precision: str) -> GeocodeResult:
        """The same point, labelled no finer than `precision` (ambassadors: city)."""
        if PRECISION_ORDER.index(self.precision) >= PRECISION_ORDER.index(precision):
            return self
        return GeocodeResult(self.lat, self.lon, precision, self.provider)


@dataclass(frozen=True)
class GeocodeQuery:
    """What is sent to a provider. For city-only queries street and postal code are empty.

    `province` and `region` are part of the place: two towns of one name in two provinces
    are two queries, two cache entries, two answers.
    """

    country: str
    city: str = ""
    postal_code: str = ""
    street: str = ""
    city_only: bool = False
    province: str = ""
    region: str = ""

    def is_empty(self) -> bool:
        return not (self.city or self.postal_code or self.street)

    @property
    def normalized(self) -> str:
        """The cache key text: same place however it is spelt, accented or cased."""
        from crm.names import place_name_normalize  # late: keeps this module import-free

        parts = [self.street, self.postal_code, self.city, self.province, self.region, self.country]
        return "|".join(place_name_normalize(part) for part in parts)

    @property
    def key(self) -> str:
        return hashlib.sha256(self.normalized.encode()).hexdigest()

    def label(self) -> str:
        """Human-readable, for error messages: "Via Roma 1, 00184 Roma (RM), IT"."""
        town = " ".join(part for part in (self.postal_code, self.city) if part)
        if self.province:
            town = f"{town} ({self.province})"
        return ", ".join(part for part in (self.street, town, self.region, self.country) if part)


class GeocodingError(Exception):
    """A provider could not locate a query. `retryable` errors may succeed later."""

    retryable = True


class PlaceNotFound(GeocodingError):
    """The provider answered and knows no such place: retrying the same query is pointless."""

    retryable = False


class PlaceAmbiguous(PlaceNotFound):
    """Several places answer to the name and nothing in the address tells them apart: staff
    choose (the member is not placed at a guess)."""


class ProviderUnavailable(GeocodingError):
    """Timeout, refused connection, HTTP 5xx: try again later."""


class ProviderRateLimited(ProviderUnavailable):
    """HTTP 429: the provider asks us to slow down (the whole queue backs off)."""


class ProviderPaused(ProviderRateLimited):
    """The provider is paused for everyone (after a 429 or a 5xx): nothing was sent, so the
    work is postponed, not counted as a failed attempt."""

    def __init__(self, seconds: float, message: str = "") -> None:
        super().__init__(message or f"paused for {seconds:.0f} s")
        self.seconds = seconds
