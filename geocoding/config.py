"""Checks of the geocoding settings, shared by settings.py (start-up) and the providers
(settings overridden at run time). Imports nothing from the project."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

#: The public server of the OpenStreetMap Foundation, whose usage policy allows at most
#: one request per second for the whole application.
PUBLIC_NOMINATIM_HOST = "nominatim.openstreetmap.org"


def nominatim_config_check(*, url: str, user_agent: str, min_delay_seconds: float) -> None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ImproperlyConfigured(
            f"NOMINATIM_URL must look like https://nominatim.example.org, not {url!r}."
        )
    if not user_agent.strip():
        raise ImproperlyConfigured(
            "GEOCODER_USER_AGENT must be set when GEOCODERS includes nominatim: Nominatim's "
            "usage policy asks for an application name with a contact, e.g. "
            "'kindnet/1.0 (network@kindnet.example)'."
        )
    if parts.hostname == PUBLIC_NOMINATIM_HOST and min_delay_seconds < 1.0:
        raise ImproperlyConfigured(
            "GEOCODER_MIN_DELAY_SECONDS must be at least 1.0 with the public Nominatim "
            "server (its usage policy allows one request per second)."
        )
