"""Kindnet settings, read from the environment, grouped by concern.

Every value has an embedded default that works on a laptop (SQLite, local memory cache,
console e-mail, offline geocoder). ``KINDNET_ENV=production`` switches on the hardening
that ``manage.py check --deploy`` asks for and makes ``SECRET_KEY`` mandatory. Every
variable is read through ``kindnet.env``, so a bad value stops start-up naming it.
"""

from __future__ import annotations

import importlib.util
import secrets
import warnings
from pathlib import Path

import environ
from corsheaders.defaults import default_headers as default_cors_headers
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from kindnet.client_address import trusted_proxies_parse
from kindnet.env import (
    env_bool,
    env_choice,
    env_day_list,
    env_float,
    env_floats,
    env_http_url,
    env_int,
    env_list,
    env_origins,
    env_rate,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

# --- Environment and security ---------------------------------------------------------
KINDNET_ENV = env_str("KINDNET_ENV", default="development")
if KINDNET_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(
        f"KINDNET_ENV must be 'development' or 'production', not {KINDNET_ENV!r}."
    )
PRODUCTION = KINDNET_ENV == "production"
DEBUG = env_bool("DEBUG", default=False)


def _development_secret_key() -> str:
    """A random key kept in var/ so that sessions survive a restart of `make run`."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = env_str("SECRET_KEY", default="")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when KINDNET_ENV=production.")
    SECRET_KEY = _development_secret_key()
elif len(SECRET_KEY) < 50 and PRODUCTION:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long in production.")

# The proxies whose X-Forwarded-For is believed (addresses or networks, e.g. 127.0.0.1 or
# 10.0.0.0/8): the client's address is decided once, by kindnet.client_address, for the
# throttles, the rate limits, the login lockout and the logs alike.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", default=[])
trusted_proxies_parse(TRUSTED_PROXIES)  # a bad entry stops start-up, naming the variable
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])
# Every page refuses to be framed; only /map/embed/ lifts it, for MAP_EMBED_ALLOWED_ORIGINS.
X_FRAME_OPTIONS = "DENY"
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
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# --- Applications, requests, templates -----------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Django's form templates, found through TEMPLATES (FORM_RENDERER below).
    "django.forms",
    "django_countries",
    "django_filters",
    "simple_history",
    # Before django_tasks_db: its `db_worker` outlives a lost database connection.
    "kindnet.worker",
    "django_tasks",
    "django_tasks_db",
    "rest_framework",
    "rest_framework.authtoken",
    "corsheaders",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Staff logins: lockout after failed attempts, TOTP second factor.
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # The project (set-up commands, demo data), the network core, its kinds, its features.
    "kindnet",
    "crm",
    "partners",
    "municipalities",
    "ambassadors",
    "geocoding",
    "exchange",
    "publicmap",
    "impact",
    "mailings",
    # Activities and follow-ups logged on members, the member's timeline (issue 15).
    "activities",
    "api",
    # The public front page (figures, map preview); no app imports it.
    "frontpage",
    # The staff's home: the admin's first page (issue 15).
    "dashboard",
    # After the project's apps, so that exchange's `import` and `export` commands (the
    # library's, with Kindnet's resources and checks) take the place of the library's.
    "import_export",
]

MIDDLEWARE = [
    # First: every later part reads the client's address from REMOTE_ADDR.
    "kindnet.client_address.ClientAddressMiddleware",
    "kindnet.request_log.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "kindnet.middleware.QueryLanguageMiddleware",
    # CORS headers must be added before CommonMiddleware can answer (redirects, 404s).
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # A staff session owes its second factor before it counts (kindnet.second_factor).
    "kindnet.second_factor.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # One Content-Security-Policy for the site (kindnet.security); the embed's exception.
    "kindnet.security.SiteCSPMiddleware",
    "kindnet.security.PermissionsPolicyMiddleware",
    # Last: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kindnet.urls"
WSGI_APPLICATION = "kindnet.wsgi.application"
ASGI_APPLICATION = "kindnet.asgi.application"

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

# Widgets render through TEMPLATES, so that templates/django/forms/ may override one (the
# select, whose options are written inline: see that template).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# --- Database: SQLite file by default, DATABASE_URL=postgres://… for PostgreSQL ------
_DATABASE_URL = env_str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
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
    # IMMEDIATE takes the write lock when a transaction starts, so that a transaction that
    # read first waits for it too (a deferred one fails at once on its first write).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # No JIT compiler: the staff lists' plans are estimated costly enough to switch it on,
    # and compiling then costs more than running them (1,064 ms with JIT, 177 without).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: local memory by default, CACHE_URL=redis://… in production ---------------
try:
    CACHES = {
        "default": environ.Env.cache_url_config(
            env_str("CACHE_URL", default="locmemcache://kindnet")
        )
    }
except (ImproperlyConfigured, KeyError, ValueError) as exc:
    raise ImproperlyConfigured(f"CACHE_URL is not a valid cache URL: {exc}") from exc
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # A dead Redis must cost a request milliseconds, not the client's default of waiting
    # forever: public pages then do without the cache (crm.shared_cache).
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {
            "socket_connect_timeout": env_float("CACHE_CONNECT_TIMEOUT", default=0.5, minimum=0.05),
            "socket_timeout": env_float("CACHE_TIMEOUT", default=1.0, minimum=0.05),
        }
    )

# --- E-mail: printed on the console by default, EMAIL_URL=smtp+tls://… in production -
try:
    vars().update(environ.Env.email_url_config(env_str("EMAIL_URL", default="consolemail://")))
except (ImproperlyConfigured, KeyError, ValueError) as exc:
    raise ImproperlyConfigured(f"EMAIL_URL is not a valid e-mail URL: {exc}") from exc
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", default="Kindnet <network@kindnet.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Absolute address of this site, for links in e-mails sent outside a request.
SITE_URL = env_http_url("SITE_URL", default="http://127.0.0.1:8000")

# --- Staff accounts -------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
AUTHENTICATION_BACKENDS = [
    # Refuses a locked-out username or address before the password is even checked.
    "kindnet.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Only staff have accounts: sessions are a working day long, not Django's two weeks.
SESSION_COOKIE_AGE = env_int("STAFF_SESSION_HOURS", default=8, minimum=1, maximum=24 * 14) * 3600
STAFF_SECOND_FACTOR = env_choice(
    "STAFF_SECOND_FACTOR", default="privileged", choices=("privileged", "all-staff", "optional")
)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", default="Kindnet")
# django-axes: LOGIN_FAILURE_LIMIT failures lock the username, and (separately) the
# address, for LOGIN_LOCKOUT_MINUTES; a success resets the count.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", default=5, minimum=1)
AXES_COOLOFF_TIME = env_int("LOGIN_LOCKOUT_MINUTES", default=15, minimum=1) / 60
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "kindnet.client_address.request_client_address"
AXES_LOCKOUT_TEMPLATE = "kindnet/locked_out.html"
AXES_VERBOSE = False

# --- Languages and time ---------------------------------------------------------------
LANGUAGE_CODE = env_str("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", _("English")), ("it", _("Italian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", default="Europe/Rome")
USE_I18N = True
USE_TZ = True

# --- Files ----------------------------------------------------------------------------
STATIC_URL = "static/"
# Development serves static files straight from the apps (WHITENOISE_USE_FINDERS).
STATIC_ROOT = env_str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles") if PRODUCTION else "")
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
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG


def _static_file_headers(headers, path: str, url: str) -> None:
    """WhiteNoise answers before the middleware, so static files carry their own strict
    policy: an HTML or SVG file opened on its own runs no script and is framed by no one."""
    headers["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self' data:; style-src 'self'; font-src 'self'; "
        "frame-ancestors 'none'; sandbox"
    )
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"


WHITENOISE_ADD_HEADERS_FUNCTION = _static_file_headers
# Leaflet (the admin's coordinate map and the public map) comes from django-leaflet's
# static files. django-leaflet is not an installed app: its admin needs GeoDjango and GDAL,
# which Kindnet does not use; only its static directory is.
_leaflet_spec = importlib.util.find_spec("leaflet")
if _leaflet_spec is None or not _leaflet_spec.submodule_search_locations:
    raise ImproperlyConfigured("django-leaflet is not installed: run `make setup`.")
STATICFILES_DIRS = [
    ("leaflet", Path(_leaflet_spec.submodule_search_locations[0]) / "static" / "leaflet")
]
# Uploaded files (agreement PDFs) live outside the static tree and are served
# only through authenticated views.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
# Private files (council resolutions) have no URL at all: staff download them through
# an authenticated view only.
PRIVATE_ROOT = Path(env_str("PRIVATE_ROOT", default=str(VAR_DIR / "private")))

# --- Background tasks: run at once by default; TASKS_BACKEND=database queues them -----
_TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
    "dummy": "django_tasks.backends.dummy.DummyBackend",
}
TASKS_BACKEND = env_choice("TASKS_BACKEND", default="immediate", choices=tuple(_TASK_BACKENDS))
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASKS_BACKEND], "QUEUES": ["default"]}}

# --- Logging: JSON lines with the request id (LOG_FORMAT=text for a terminal) -------
LOG_FORMAT = env_choice(
    "LOG_FORMAT", default="json" if PRODUCTION else "text", choices=("json", "text")
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "kindnet.request_log.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "kindnet.request_log.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {
        "handlers": ["console"],
        "level": env_choice(
            "LOG_LEVEL",
            default="info",
            choices=("debug", "info", "warning", "error", "critical"),
        ).upper(),
    },
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # The immediate task backend would log two lines per geocoded member.
        "django_tasks": {"level": "WARNING"},
        # Lockouts are logged as warnings; axes' INFO lines repeat every login.
        "axes": {"level": "WARNING"},
        # One line per request comes from kindnet.request; Django's would repeat it.
        "django.server": {"level": "WARNING"},
        # A 4xx is the client's doing; 5xx still reach the log (django.request ERROR).
        "django.request": {"level": "ERROR"},
    },
}
# Errors (and their request id) go to Sentry when a DSN is given.
SENTRY_DSN = env_str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=KINDNET_ENV,
        send_default_pii=False,
        traces_sample_rate=env_float("SENTRY_TRACES_SAMPLE_RATE", default=0.0, maximum=1.0),
    )

# --- Health (/health/) ----------------------------------------------------------------
# The queue is "degraded" when its oldest waiting task is older than this (no worker?).
HEALTH_TASK_MAX_AGE_SECONDS = env_int("HEALTH_TASK_MAX_AGE_SECONDS", default=900, minimum=1)
HEALTH_DISK_MIN_FREE_MB = env_int("HEALTH_DISK_MIN_FREE_MB", default=1024, minimum=0)

# --- The network core (crm) -----------------------------------------------------------
AGREEMENT_REFERENCE_PREFIX = env_str("AGREEMENT_REFERENCE_PREFIX", default="IKM")
AGREEMENT_EXPIRING_DAYS = env_int("AGREEMENT_EXPIRING_DAYS", default=60, minimum=1)
# Reminders before an agreement (or a mayor's term) ends, in days; each sent once
# (`manage.py renewals`, daily).
AGREEMENT_REMINDER_DAYS = env_day_list("AGREEMENT_REMINDER_DAYS", default=[60, 30, 7])

# --- REST API (api) -------------------------------------------------------------------
API_MAX_PAGE_SIZE = env_int("API_MAX_PAGE_SIZE", default=200, minimum=1)
# The deepest row a staff list reaches, in the API and the admin, and how far it counts:
# OFFSET and COUNT grow with the rows they pass, filters narrow the rest.
LIST_MAX_ROWS = env_int("LIST_MAX_ROWS", default=20_000, minimum=1)
# How far past the asked page a list counts its rows ("more than N" beyond): the count
# costs these pages' rows, not the table's.
LIST_PAGES_AHEAD = env_int("LIST_PAGES_AHEAD", default=10, minimum=1)
# The admin lists' sidebar choices (chapters, sectors, regions, countries) are cached until
# the network changes, and at most this long (crm/sidebar.py).
SIDEBAR_CHOICES_SECONDS = env_int("SIDEBAR_CHOICES_SECONDS", default=300, minimum=1)
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
    "DEFAULT_THROTTLE_RATES": {},
    # Throttles read the client's address from REMOTE_ADDR, which kindnet.client_address
    # has decided (TRUSTED_PROXIES); 0 stops DRF believing X-Forwarded-For on its own.
    "NUM_PROXIES": 0,
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
    # Several models have a `status`; the join requests' one is named after its model.
    "ENUM_NAME_OVERRIDES": {
        "JoinRequestStatusEnum": "municipalities.models.JoinRequestStatus",
        "ActivityKindEnum": "activities.models.ActivityKind",
        "KindEnum": "crm.models.MemberKind",
    },
}
# The website's origins, e.g. https://www.kindness.example; only the public
# endpoints (map feed and schema) answer cross-origin requests.
CORS_ALLOWED_ORIGINS = env_origins("CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/api/(v1/map/|v1/impact/|schema/)"
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_EXPOSE_HEADERS = ["ETag", "Last-Modified", "Retry-After"]
# A website's own script may revalidate the map with its copy's validators (a 304).
CORS_ALLOW_HEADERS = (*default_cors_headers, "if-none-match", "if-modified-since")

# --- Geocoding (geocoding) ------------------------------------------------------------
# GEOCODERS is a chain tried in order; the default `offline` needs no network at all.
GEOCODER_NAMES = ("nominatim", "offline")
GEOCODERS = [name.lower() for name in env_list("GEOCODERS", default=["offline"])]
if not GEOCODERS or any(name not in GEOCODER_NAMES for name in GEOCODERS):
    raise ImproperlyConfigured(
        f"GEOCODERS must be a comma-separated list of {', '.join(GEOCODER_NAMES)}, "
        f"not {','.join(GEOCODERS)!r}."
    )
NOMINATIM_URL = env_str("NOMINATIM_URL", default="https://nominatim.openstreetmap.org")
GEOCODER_USER_AGENT = env_str("GEOCODER_USER_AGENT", default="")
GEOCODER_TIMEOUT = env_float("GEOCODER_TIMEOUT", default=5.0, minimum=0.1)
GEOCODER_MIN_DELAY_SECONDS = env_float("GEOCODER_MIN_DELAY_SECONDS", default=1.0)
GEOCODER_MAX_ATTEMPTS = env_int("GEOCODER_MAX_ATTEMPTS", default=5, minimum=1)
GEOCODER_RETRY_BACKOFF_SECONDS = env_float("GEOCODER_RETRY_BACKOFF_SECONDS", default=60.0)
GEOCODER_RATE_LIMITED_SECONDS = env_float("GEOCODER_RATE_LIMITED_SECONDS", default=60.0)
# "No such place" and "ambiguous" answers are remembered this long (0: never).
GEOCODER_NEGATIVE_CACHE_SECONDS = env_int("GEOCODER_NEGATIVE_CACHE_SECONDS", default=7 * 24 * 3600)
# manage.py geocode_sweep: members pending or failed for now longer than this are queued
# again, at most GEOCODER_SWEEP_DAILY_CAP times a day each, GEOCODER_SWEEP_BATCH per run;
# a geocoding task still running after GEOCODER_TASK_TIMEOUT_SECONDS lost its worker.
GEOCODER_SWEEP_AFTER_SECONDS = env_int("GEOCODER_SWEEP_AFTER_SECONDS", default=600)
GEOCODER_SWEEP_DAILY_CAP = env_int("GEOCODER_SWEEP_DAILY_CAP", default=6, minimum=1)
GEOCODER_SWEEP_BATCH = env_int("GEOCODER_SWEEP_BATCH", default=2000, minimum=1)
GEOCODER_TASK_TIMEOUT_SECONDS = env_int("GEOCODER_TASK_TIMEOUT_SECONDS", default=900, minimum=1)
# Countries whose places the offline gazetteer loads besides the chapters' own.
GAZETTEER_COUNTRIES = [
    code.upper() for code in env_list("GAZETTEER_COUNTRIES", default=["IT", "CH"])
]
if "nominatim" in GEOCODERS:
    # The same check the providers run when settings change at run time; it imports
    # nothing from the project.
    from geocoding.config import nominatim_config_check

    nominatim_config_check(
        url=NOMINATIM_URL,
        user_agent=GEOCODER_USER_AGENT,
        min_delay_seconds=GEOCODER_MIN_DELAY_SECONDS,
    )

# --- Join requests of municipalities (municipalities) ---------------------------------
JOIN_REQUEST_MAX_UPLOAD_MB = env_int("JOIN_REQUEST_MAX_UPLOAD_MB", default=10, minimum=1)
JOIN_REQUEST_RATE = env_rate("JOIN_REQUEST_RATE", default="5/hour")
JOIN_REQUEST_MIN_FILL_SECONDS = env_int("JOIN_REQUEST_MIN_FILL_SECONDS", default=3)
JOIN_SEARCH_RATE = env_rate("JOIN_SEARCH_RATE", default="60/minute")
# What the join form promises: the chapter writes within this many days (form, thank-you page).
JOIN_REQUEST_REVIEW_DAYS = env_int("JOIN_REQUEST_REVIEW_DAYS", default=14, minimum=1)

# --- People's data (crm.people, manage.py person / apply_retention) -------------------
# Rejected and withdrawn join requests, with their resolution PDFs, are deleted this many
# days after their decision (the privacy notice promises at most 24 months).
JOIN_REQUEST_RETENTION_DAYS = env_int(
    "JOIN_REQUEST_RETENTION_DAYS", default=730, minimum=1, maximum=730
)
# The version of the consent wording people agree to (map consent, privacy notice);
# stored with every consent event. Change it when the text changes.
CONSENT_WORDING_VERSION = env_str("CONSENT_WORDING_VERSION", default="2026-01")

# --- The public map (publicmap): /map/, /map/embed/ and the feed /api/v1/map/ ---------
# Browsers and proxies may keep the feed MAP_MAX_AGE seconds; the server keeps each
# answer MAP_CACHE_TIMEOUT seconds or until the network changes.
MAP_MAX_AGE = env_int("MAP_MAX_AGE", default=300)
MAP_CACHE_TIMEOUT = env_int("MAP_CACHE_TIMEOUT", default=3600, minimum=1)
# From this zoom on the feed returns every point on its own, never clusters.
MAP_CLUSTER_MAX_ZOOM = env_int("MAP_CLUSTER_MAX_ZOOM", default=17, maximum=20)
# The most features one answer of the feed holds; beyond, the server clusters on a coarser grid.
MAP_MAX_FEATURES = env_int("MAP_MAX_FEATURES", default=5000, minimum=100, maximum=50000)
# From this many members in an answer, clusters of low zooms come from a grid index rebuilt
# after the network changes (publicmap.models.MapGridCell), not from a scan of the members.
MAP_GRID_INDEX_FROM = env_int("MAP_GRID_INDEX_FROM", default=20000, minimum=1)
MAP_THROTTLE_RATE = env_rate("MAP_THROTTLE_RATE", default="600/minute")
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["map"] = MAP_THROTTLE_RATE
MAP_TILE_URL = env_http_url(
    "MAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png", empty_ok=True
)
if MAP_TILE_URL and not all(part in MAP_TILE_URL for part in ("{z}", "{x}", "{y}")):
    raise ImproperlyConfigured("MAP_TILE_URL must contain {z}, {x} and {y}.")
MAP_TILE_ATTRIBUTION = env_str(
    "MAP_TILE_ATTRIBUTION",
    default='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
    "contributors",
)
MAP_EMBED_ALLOWED_ORIGINS = env_origins("MAP_EMBED_ALLOWED_ORIGINS")
# Sites that may frame the join form (/join/embed/); unset, the map's.
JOIN_EMBED_ALLOWED_ORIGINS = (
    env_origins("JOIN_EMBED_ALLOWED_ORIGINS")
    if env_str("JOIN_EMBED_ALLOWED_ORIGINS", default="")
    else MAP_EMBED_ALLOWED_ORIGINS
)
# Without a centre and zoom in the URL, the map opens on this box (Italy and Switzerland).
MAP_DEFAULT_BOUNDS = env_floats(
    "MAP_DEFAULT_BOUNDS", default=[6.6, 37.8, 18.6, 47.6], shape="minLon,minLat,maxLon,maxLat"
)
_min_lon, _min_lat, _max_lon, _max_lat = MAP_DEFAULT_BOUNDS
if not (-180 <= _min_lon < _max_lon <= 180 and -90 <= _min_lat < _max_lat <= 90):
    raise ImproperlyConfigured(
        "MAP_DEFAULT_BOUNDS must be minLon,minLat,maxLon,maxLat with -180 <= minLon < maxLon "
        "<= 180 and -90 <= minLat < maxLat <= 90."
    )

# --- Impact (impact): programmes, measured change, the report, /api/v1/impact/ ----------
# No figure of a group smaller than this is shown broken down (report, exports, public API).
IMPACT_MIN_GROUP_SIZE = env_int("IMPACT_MIN_GROUP_SIZE", default=10, minimum=2, maximum=1000)
# Browsers and proxies may keep /api/v1/impact/ IMPACT_MAX_AGE seconds; the server keeps
# its answer IMPACT_CACHE_TIMEOUT seconds or until programmes or members change.
IMPACT_MAX_AGE = env_int("IMPACT_MAX_AGE", default=300)
IMPACT_CACHE_TIMEOUT = env_int("IMPACT_CACHE_TIMEOUT", default=3600, minimum=1)
IMPACT_THROTTLE_RATE = env_rate("IMPACT_THROTTLE_RATE", default="120/minute")
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["impact"] = IMPACT_THROTTLE_RATE
# --- Newsletter and mailings (mailings) -----------------------------------------------
# Sign-ups per client address (page and API, counted in the shared cache).
NEWSLETTER_SIGNUP_RATE = env_rate("NEWSLETTER_SIGNUP_RATE", default="10/hour")
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["newsletter"] = NEWSLETTER_SIGNUP_RATE
# How long the confirmation link works; sign-ups never confirmed are deleted after
# NEWSLETTER_UNCONFIRMED_DAYS by `manage.py purge_unconfirmed_subscribers` (daily cron).
NEWSLETTER_CONFIRM_DAYS = env_int("NEWSLETTER_CONFIRM_DAYS", default=7, minimum=1, maximum=60)
NEWSLETTER_UNCONFIRMED_DAYS = env_int(
    "NEWSLETTER_UNCONFIRMED_DAYS", default=30, minimum=NEWSLETTER_CONFIRM_DAYS, maximum=365
)
# Messages per background task (one connection to the e-mail server each).
MAILING_BATCH_SIZE = env_int("MAILING_BATCH_SIZE", default=500, minimum=1, maximum=10_000)
# The website may post sign-ups from the browser (CORS_ALLOWED_ORIGINS).
CORS_URLS_REGEX = r"^/api/(v1/map/|v1/impact/|v1/newsletter/|schema/)"
CORS_ALLOW_METHODS = [*CORS_ALLOW_METHODS, "POST"]
