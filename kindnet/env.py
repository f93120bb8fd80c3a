"""Reading settings from the environment: one helper per type, one message shape.

Every helper names the variable in the `ImproperlyConfigured` it raises, so a bad value
stops start-up with a sentence a deployer can act on, never a bare `ValueError`.
This module imports nothing from the project: the settings module is its only user.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
# DRF's and django-ratelimit's common spelling: a count, a slash, a period.
_RATE = re.compile(r"(\d+)/(s|sec|second|m|min|minute|h|hour|d|day)")


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    return None if value is None else value.strip()


def env_str(name: str, *, default: str) -> str:
    raw = _raw(name)
    return default if raw is None else raw


def env_choice(name: str, *, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default=default).lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    return value


def env_bool(name: str, *, default: bool) -> bool:
    """A boolean; anything but the usual spellings stops start-up (no silent False)."""
    raw = _raw(name)
    if raw is None:
        return default
    if raw.lower() not in _TRUE | _FALSE:
        raise ImproperlyConfigured(f"{name} must be a boolean such as 1, 0, true or false.")
    return raw.lower() in _TRUE


def env_int(name: str, *, default: int, minimum: int = 0, maximum: int | None = None) -> int:
    return _env_number(name, int, "a whole number, not {raw!r}", default, minimum, maximum)


def env_float(
    name: str, *, default: float, minimum: float = 0.0, maximum: float | None = None
) -> float:
    return _env_number(name, float, "a number, e.g. {default}", default, minimum, maximum)


def _env_number(
    name: str,
    parse: type[int] | type[float],
    expected: str,
    default: float,
    minimum: float,
    maximum: float | None,
) -> float:
    """The number in `name` (`default` when unset or empty), read by `parse` and checked
    against the range; `expected` says what the value must be when `parse` refuses it."""
    raw = _raw(name)
    if raw is None or raw == "":
        value = default
    else:
        try:
            value = parse(raw)
        except ValueError:
            problem = expected.format(raw=raw, default=default)
            raise ImproperlyConfigured(f"{name} must be {problem}.") from None
    _check_range(name, value, minimum, maximum)
    return value


def _check_range(name: str, value: float, minimum: float, maximum: float | None) -> None:
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}.")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}, not {value}.")


def env_list(name: str, *, default: list[str]) -> list[str]:
    """A comma-separated list; blanks around and between items are dropped."""
    raw = _raw(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_floats(name: str, *, default: list[float], shape: str) -> list[float]:
    """A fixed number of comma-separated numbers; `shape` names them ("minLon,minLat,…")."""
    items = env_list(name, default=[str(v) for v in default])
    count = shape.count(",") + 1
    try:
        values = [float(item) for item in items]
    except ValueError:
        values = []
    if len(values) != count:
        words = {2: "two", 3: "three", 4: "four"}.get(count, str(count))
        raise ImproperlyConfigured(f"{name} must be {words} numbers: {shape}.")
    return values


def env_rate(name: str, *, default: str) -> str:
    """A request rate such as 600/minute or 5/hour, as DRF and django-ratelimit read it."""
    value = env_str(name, default=default)
    if not _RATE.fullmatch(value):
        raise ImproperlyConfigured(
            f"{name} must look like '5/hour' (a count, then second, minute, hour or day), "
            f"not {value!r}."
        )
    return value


def env_origins(name: str) -> list[str]:
    """Origins such as https://www.example.org: scheme and host, no path."""
    origins = env_list(name, default=[])
    for origin in origins:
        parts = urlsplit(origin)
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path.strip("/"):
            raise ImproperlyConfigured(
                f"{name}: {origin!r} is not an origin such as https://www.example.org "
                "(scheme and host, no path)."
            )
    return [origin.rstrip("/") for origin in origins]


def env_http_url(name: str, *, default: str, empty_ok: bool = False) -> str:
    value = env_str(name, default=default)
    if not value and empty_ok:
        return value
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ImproperlyConfigured(f"{name} must be an http(s) URL, not {value!r}.")
    return value.rstrip("/")


def env_day_list(name: str, *, default: list[int], maximum: int = 366) -> list[int]:
    """Comma-separated whole numbers of days (e.g. "60,30,7"), distinct, largest first."""
    items = env_list(name, default=[str(v) for v in default])
    if not all(item.isdigit() for item in items) or not items:
        raise ImproperlyConfigured(f"{name} must be whole numbers of days, e.g. 60,30,7.")
    values = sorted({int(item) for item in items}, reverse=True)
    if values[0] > maximum:
        raise ImproperlyConfigured(f"{name}: at most {maximum} days.")
    return values
