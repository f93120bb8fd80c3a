"""Kindnet settings, read from the environment.

Every value has an embedded default that works on a laptop (SQLite, local
memory cache, console e-mail, offline geocoder). ``KINDNET_ENV=production``
switches on the hardening that ``manage.py check --deploy`` asks for and makes
``SECRET_KEY`` mandatory.
"""

from __future__ import annotations

import importlib.util
import re
import secrets
import warnings
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

KINDNET_ENV = env.str("KINDNET_ENV", default="development")
if KINDNET_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(
        f"KINDNET_ENV must be 'development' or 'production', not {KINDNET_ENV!r}."
    )
PRODUCTION = KINDNET_ENV == "production"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, *, default: bool) -> bool:
    """A boolean variable; anything but the usual spellings stops start-up (no silent False)."""
    raw = env.str(name, default="1" if default else "0").strip().lower()
    if raw not in _TRUE | _FALSE:
        raise ImproperlyConfigured(f"{name} must be a boolean such as 1, 0, true or false.")
    return raw in _TRUE


def env_int(name: str, *, default: int, minimum: int = 0) -> int:
    """A whole number variable, at least `minimum`; a bad value names the variable."""
    raw = env.str(name, default=str(default)).strip()
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}.")
    return value


DEBUG = env_bool("DEBUG", default=False)


def _development_secret_key() -> str:
    """A random key kept in var/ so that sessions survive a restart of `make run`."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when KINDNET_ENV=production.")
    SECRET_KEY = _development_secret_key()
elif len(SECRET_KEY) < 50 and PRODUCTION:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long in production.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_countries",
    "django_filters",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "crm",
    "partners",
    "municipalities",
    "ambassadors",
    "api",
    # After the project's apps, so that crm's `import` and `export` commands (the
    # library's, with Kindnet's resources and checks) take the place of the library's.
    "import_export",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "crm.middleware.QueryLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"
ASGI_APPLICATION = "crm.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite file by default, DATABASE_URL=postgres://… for PostgreSQL.
_DATABASE_URL = env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
_DATABASE_ENGINES = {"django.db.backends.sqlite3", "django.db.backends.postgresql"}
try:
    with warnings.catch_warnings():
        # django-environ only warns on an unknown scheme; the check below refuses it.
        warnings.simplefilter("ignore")
        DATABASES = {"default": environ.Env.db_url_config(_DATABASE_URL)}
except (ImproperlyConfigured, KeyError, ValueError):
    DATABASES = {"default": {}}
if DATABASES["default"].get("ENGINE") not in _DATABASE_ENGINES or not DATABASES["default"].get(
    "NAME"
):
    # Only the scheme is shown: the URL may hold a password.
    raise ImproperlyConfigured(
        "DATABASE_URL must be a PostgreSQL or SQLite URL with a database name "
        "(postgres://user@host:5432/name or sqlite:///path/to/file.sqlite3), "
        f"not one starting with {_DATABASE_URL.split(':', 1)[0]!r}."
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets `make run` read while a task writes; a timeout instead of "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
elif DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: local memory by default, CACHE_URL=redis://… in production.
try:
    CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://kindnet")}
except (ImproperlyConfigured, KeyError, ValueError) as exc:
    raise ImproperlyConfigured(f"CACHE_URL is not a valid cache URL: {exc}") from exc

# E-mail: printed on the console by default, EMAIL_URL=smtp+tls://… in production.
try:
    vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
except (ImproperlyConfigured, KeyError, ValueError) as exc:
    raise ImproperlyConfigured(f"EMAIL_URL is not a valid e-mail URL: {exc}") from exc
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Kindnet <network@kindnet.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", _("English")), ("it", _("Italian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Rome")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Development serves static files straight from the apps (WHITENOISE_USE_FINDERS).
STATIC_ROOT = env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles") if PRODUCTION else "")
STATIC_ROOT = STATIC_ROOT or None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# In development whitenoise serves straight from the apps, so `make run` needs no collectstatic.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

# Uploaded files (agreement PDFs) live outside the static tree and are served
# only through authenticated views.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "/media/"

LOGIN_URL = "admin:login"

# The domain.
AGREEMENT_REFERENCE_PREFIX = env.str("AGREEMENT_REFERENCE_PREFIX", default="IKM")
AGREEMENT_EXPIRING_DAYS = env_int("AGREEMENT_EXPIRING_DAYS", default=60, minimum=1)
# Countries whose places the offline gazetteer loads besides the chapters' own.
GAZETTEER_COUNTRIES = env.list("GAZETTEER_COUNTRIES", default=["IT", "CH"])

# Background tasks: run at once by default; TASKS_BACKEND=database queues them
# in the database for `manage.py db_worker`.
TASKS_BACKEND = env.str("TASKS_BACKEND", default="immediate")
_TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
    "dummy": "django_tasks.backends.dummy.DummyBackend",
}
if TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"TASKS_BACKEND must be one of {', '.join(_TASK_BACKENDS)}, not {TASKS_BACKEND!r}."
    )
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASKS_BACKEND], "QUEUES": ["default"]}}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # Joining the browsers' preload list binds every subdomain for good: the domain's
        # owner opts in with SECURE_HSTS_PRELOAD=1, so `check --deploy` need not nag.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# REST API and the public map feed (issue 4).
INSTALLED_APPS += [
    "rest_framework",
    "rest_framework.authtoken",
    "corsheaders",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]
# CORS headers must be added before CommonMiddleware can answer (redirects, 404s).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.common.CommonMiddleware"),
    "corsheaders.middleware.CorsMiddleware",
)
# The website's origins, e.g. https://www.kindness.example; only the public
# endpoints (map feed and schema) answer cross-origin requests.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/(v1/map/|schema/)"
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_EXPOSE_HEADERS = ["ETag", "Last-Modified"]

# Public map feed: browsers and proxies may keep it MAP_MAX_AGE seconds; the
# server keeps each answer MAP_CACHE_TIMEOUT seconds or until the network changes.
MAP_MAX_AGE = env.int("MAP_MAX_AGE", default=300)
MAP_CACHE_TIMEOUT = env.int("MAP_CACHE_TIMEOUT", default=3600)
# For this long after a change, answers are kept only briefly and sent without ETag or
# Last-Modified: a transaction still open when its change was signalled has committed.
# From this zoom on the feed returns every point on its own, never clusters.
MAP_CLUSTER_MAX_ZOOM = env.int("MAP_CLUSTER_MAX_ZOOM", default=17)
MAP_THROTTLE_RATE = env.str("MAP_THROTTLE_RATE", default="600/minute")
if not re.fullmatch(r"\d+/(s|sec|second|m|min|minute|h|hour|d|day)", MAP_THROTTLE_RATE):
    raise ImproperlyConfigured(
        f"MAP_THROTTLE_RATE must look like 600/minute or 10/second, not {MAP_THROTTLE_RATE!r}."
    )
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=200)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an anonymous call is told how to authenticate (401).
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.ModelPermissions"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "api.filters.StrictSearchFilter",
        "api.filters.StrictOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Throttles count in the configured cache (CACHE_URL), shared by every worker on Redis.
    "DEFAULT_THROTTLE_RATES": {"map": MAP_THROTTLE_RATE},
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kindnet API",
    "DESCRIPTION": (
        "Staff API of the Kindnet network (token or session authentication, Django model "
        "permissions) and the public GeoJSON member map."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the drf-spectacular-sidecar package: no CDN, works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Geocoding (issue 3) -------------------------------------------------------------
# GEOCODERS is a chain tried in order; the default `offline` needs no network at all.
GEOCODER_NAMES = ("nominatim", "offline")
GEOCODERS = [name.strip().lower() for name in env.list("GEOCODERS", default=["offline"])]
if not GEOCODERS or any(name not in GEOCODER_NAMES for name in GEOCODERS):
    raise ImproperlyConfigured(
        f"GEOCODERS must be a comma-separated list of {', '.join(GEOCODER_NAMES)}, "
        f"not {','.join(GEOCODERS)!r}."
    )
NOMINATIM_URL = env.str("NOMINATIM_URL", default="https://nominatim.openstreetmap.org")
GEOCODER_USER_AGENT = env.str("GEOCODER_USER_AGENT", default="")


def _env_number(name: str, default: float, *, minimum: float, cast=float) -> float:
    try:
        value = cast(env.str(name, default=str(default)))
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, e.g. {default}.") from exc
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}.")
    return value


GEOCODER_TIMEOUT = _env_number("GEOCODER_TIMEOUT", 5.0, minimum=0.1)
GEOCODER_MIN_DELAY_SECONDS = _env_number("GEOCODER_MIN_DELAY_SECONDS", 1.0, minimum=0.0)
GEOCODER_MAX_ATTEMPTS = int(_env_number("GEOCODER_MAX_ATTEMPTS", 5, minimum=1, cast=int))
GEOCODER_RETRY_BACKOFF_SECONDS = _env_number("GEOCODER_RETRY_BACKOFF_SECONDS", 60.0, minimum=0.0)
GEOCODER_RATE_LIMITED_SECONDS = _env_number("GEOCODER_RATE_LIMITED_SECONDS", 60.0, minimum=0.0)
if "nominatim" in GEOCODERS:
    # Imported late: crm.geocoding.providers needs nothing from the settings module itself.
    from crm.geocoding.config import nominatim_config_check

    nominatim_config_check(
        url=NOMINATIM_URL,
        user_agent=GEOCODER_USER_AGENT,
        min_delay_seconds=GEOCODER_MIN_DELAY_SECONDS,
    )

# The immediate task backend would log two lines per geocoded member; db_worker sets its own.
LOGGING["loggers"]["django_tasks"] = {"level": "WARNING"}

# The manual-override map in the admin: Leaflet comes from django-leaflet's static files,
# served by whitenoise like every other static file (finders in development, collectstatic
# in production). django-leaflet is not an installed app: its admin module needs GeoDjango
# and GDAL, which Kindnet does not use; only its static directory is. The admin map and
# the public map share one tile server (MAP_TILE_URL, below).
_leaflet_spec = importlib.util.find_spec("leaflet")
if _leaflet_spec is None or not _leaflet_spec.submodule_search_locations:
    raise ImproperlyConfigured("django-leaflet is not installed: run `make setup`.")
STATICFILES_DIRS = [
    ("leaflet", Path(_leaflet_spec.submodule_search_locations[0]) / "static" / "leaflet")
]

# Join requests of municipalities (municipalities app, issue 5).
# Private files (council resolutions) live here, outside static and media, with no URL:
# staff download them through an authenticated view only.
PRIVATE_ROOT = env.path("PRIVATE_ROOT", default=VAR_DIR / "private")
# Absolute address of this site, for links in e-mails sent outside a request.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
_RATE_PATTERN = r"^\d+/(s|m|h|d|second|minute|hour|day)$"


def _join_setting_int(name: str, default: int, minimum: int) -> int:
    try:
        value = env.int(name, default=default)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number.") from exc
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}.")
    return value


def _join_setting_rate(name: str, default: str) -> str:
    import re

    value = env.str(name, default=default).strip()
    if not re.match(_RATE_PATTERN, value):
        raise ImproperlyConfigured(
            f"{name} must look like '5/hour' (a count, then second, minute, hour or day), "
            f"not {value!r}."
        )
    return value


JOIN_REQUEST_MAX_UPLOAD_MB = _join_setting_int("JOIN_REQUEST_MAX_UPLOAD_MB", 10, 1)
JOIN_REQUEST_RATE = _join_setting_rate("JOIN_REQUEST_RATE", "5/hour")
JOIN_REQUEST_MIN_FILL_SECONDS = _join_setting_int("JOIN_REQUEST_MIN_FILL_SECONDS", 3, 0)
JOIN_SEARCH_RATE = _join_setting_rate("JOIN_SEARCH_RATE", "60/minute")

# ---- Public member map (/map/ and /map/embed/) ----
# The page uses the same Leaflet files (above). django-csp writes the Content-Security-Policy
# that the map views ask for; no other page gets one from it.
MIDDLEWARE += ["csp.middleware.CSPMiddleware"]
# Every page refuses to be framed; only /map/embed/ lifts it, for MAP_EMBED_ALLOWED_ORIGINS.
X_FRAME_OPTIONS = "DENY"
MAP_TILE_URL = env.str("MAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env.str(
    "MAP_TILE_ATTRIBUTION",
    default='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
    "contributors",
)
MAP_EMBED_ALLOWED_ORIGINS = env.list("MAP_EMBED_ALLOWED_ORIGINS", default=[])
# Without a centre and zoom in the URL, the map opens on this box (Italy and Switzerland).
try:
    MAP_DEFAULT_BOUNDS = [
        float(v) for v in env.list("MAP_DEFAULT_BOUNDS", default=["6.6", "37.8", "18.6", "47.6"])
    ]
except ValueError as exc:
    raise ImproperlyConfigured(
        "MAP_DEFAULT_BOUNDS must be four numbers: minLon,minLat,maxLon,maxLat."
    ) from exc


def _map_settings_check() -> None:
    """Fail at start-up, naming the variable, rather than serve a broken map."""
    from urllib.parse import urlsplit

    if MAP_TILE_URL:
        parts = urlsplit(MAP_TILE_URL)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ImproperlyConfigured("MAP_TILE_URL must be an http(s) URL, or empty for none.")
        if not all(p in MAP_TILE_URL for p in ("{z}", "{x}", "{y}")):
            raise ImproperlyConfigured("MAP_TILE_URL must contain {z}, {x} and {y}.")
    for origin in MAP_EMBED_ALLOWED_ORIGINS:
        parts = urlsplit(origin)
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path.strip("/"):
            raise ImproperlyConfigured(
                f"MAP_EMBED_ALLOWED_ORIGINS: {origin!r} is not an origin such as "
                "https://www.example.org (scheme and host, no path)."
            )
    if len(MAP_DEFAULT_BOUNDS) != 4:
        raise ImproperlyConfigured("MAP_DEFAULT_BOUNDS must be four numbers: minLon,minLat,…")
    min_lon, min_lat, max_lon, max_lat = MAP_DEFAULT_BOUNDS
    if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
        raise ImproperlyConfigured(
            "MAP_DEFAULT_BOUNDS must be minLon,minLat,maxLon,maxLat with -180 <= minLon < maxLon "
            "<= 180 and -90 <= minLat < maxLat <= 90."
        )


_map_settings_check()
