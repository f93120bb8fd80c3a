"""Settings read the environment; a bad value stops start-up with a message naming it.

Each case runs the settings module afresh (`runpy`) with an environment of its own, in
this interpreter: the same code `manage.py` runs, without the cost of a new interpreter.
`check --deploy` still runs `manage.py` in a process of its own, as a deployer would.
"""

from __future__ import annotations

import os
import runpy
import secrets
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VARIABLES = [
    "KINDNET_ENV",
    "SECRET_KEY",
    "DEBUG",
    "DATABASE_URL",
    "AGREEMENT_EXPIRING_DAYS",
    "TASKS_BACKEND",
    "ALLOWED_HOSTS",
    "CACHE_URL",
    "EMAIL_URL",
    "MAP_MAX_AGE",
    "MAP_CLUSTER_MAX_ZOOM",
    "MAP_MAX_FEATURES",
    "MAP_GRID_INDEX_FROM",
    "MAP_THROTTLE_RATE",
    "JOIN_REQUEST_RATE",
    "JOIN_SEARCH_RATE",
    "CORS_ALLOWED_ORIGINS",
    "LOG_LEVEL",
    "GEOCODER_TIMEOUT",
]
PRODUCTION_KEY = secrets.token_urlsafe(60)


def settings_module(**variables: str) -> dict:
    """The settings module run afresh with this environment (and nothing else of ours)."""
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    env.update(variables)
    with mock.patch.dict(os.environ, env, clear=True):
        return runpy.run_path(str(BASE_DIR / "kindnet" / "settings.py"))


def loaded(**variables: str) -> dict:
    module = settings_module(**variables)
    db = module["DATABASES"]["default"]
    return {
        "DEBUG": module["DEBUG"],
        "ENGINE": db["ENGINE"],
        "NAME": str(db["NAME"]),
        "SECRET_KEY": len(module["SECRET_KEY"]),
        "SECURE_SSL_REDIRECT": module.get("SECURE_SSL_REDIRECT", False),
        "SESSION_COOKIE_SECURE": module.get("SESSION_COOKIE_SECURE", False),
        "AGREEMENT_EXPIRING_DAYS": module["AGREEMENT_EXPIRING_DAYS"],
        "ALLOWED_HOSTS": module["ALLOWED_HOSTS"],
    }


def refused(**variables: str) -> str:
    with pytest.raises(ImproperlyConfigured) as caught:
        settings_module(**variables)
    return f"django.core.exceptions.ImproperlyConfigured: {caught.value}"


def test_defaults_work_on_a_laptop():
    values = loaded()
    assert values["DEBUG"] is False
    assert values["ENGINE"] == "django.db.backends.sqlite3"
    assert values["NAME"] == str(BASE_DIR / "db.sqlite3")
    assert values["SECRET_KEY"] >= 50
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["AGREEMENT_EXPIRING_DAYS"] == 60


def test_development_secret_key_is_kept_between_starts():
    loaded()
    key = (BASE_DIR / "var" / "secret_key").read_text().strip()
    assert len(key) >= 50
    loaded()
    assert (BASE_DIR / "var" / "secret_key").read_text().strip() == key


def test_debug_only_when_asked():
    assert loaded(DEBUG="1")["DEBUG"] is True
    assert loaded(DEBUG="false")["DEBUG"] is False
    assert "DEBUG must be a boolean" in refused(DEBUG="maybe")


def test_database_url_switches_to_postgresql():
    values = loaded(DATABASE_URL="postgres://kind:secret@db.example:5432/kindnet")
    assert (values["ENGINE"], values["NAME"]) == ("django.db.backends.postgresql", "kindnet")
    assert loaded(DATABASE_URL="sqlite:////tmp/other.sqlite3")["NAME"] == "/tmp/other.sqlite3"


@pytest.mark.parametrize(
    "url",
    ["nonsense", "mysql://kind:secret@db/kindnet", "postgres://kind:secret@db:5432/", "foo://x/y"],
)
def test_bad_database_url_is_refused_without_showing_the_password(url):
    message = refused(DATABASE_URL=url)
    assert "DATABASE_URL must be a PostgreSQL or SQLite URL" in message
    assert "secret" not in message


def test_kindnet_env_must_be_known():
    assert "KINDNET_ENV must be 'development' or 'production', not 'prod'" in refused(
        KINDNET_ENV="prod"
    )


def test_production_needs_a_long_secret_key():
    assert "SECRET_KEY must be set when KINDNET_ENV=production" in refused(KINDNET_ENV="production")
    assert "SECRET_KEY must be at least 50 characters" in refused(
        KINDNET_ENV="production", SECRET_KEY="short"
    )


def test_production_is_hardened():
    values = loaded(KINDNET_ENV="production", SECRET_KEY=PRODUCTION_KEY, ALLOWED_HOSTS="a.example")
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["ALLOWED_HOSTS"] == ["a.example"]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"AGREEMENT_EXPIRING_DAYS": "soon"}, "AGREEMENT_EXPIRING_DAYS must be a whole number"),
        ({"AGREEMENT_EXPIRING_DAYS": "0"}, "AGREEMENT_EXPIRING_DAYS must be at least 1"),
        ({"TASKS_BACKEND": "celery"}, "TASKS_BACKEND must be one of immediate, database, dummy"),
        ({"CACHE_URL": "nothing://x"}, "CACHE_URL is not a valid cache URL"),
        ({"MAP_MAX_AGE": "abc"}, "MAP_MAX_AGE must be a whole number, not 'abc'"),
        ({"MAP_CLUSTER_MAX_ZOOM": "-5"}, "MAP_CLUSTER_MAX_ZOOM must be at least 0, not -5"),
        ({"MAP_CLUSTER_MAX_ZOOM": "25"}, "MAP_CLUSTER_MAX_ZOOM must be at most 20, not 25"),
        ({"MAP_MAX_FEATURES": "50"}, "MAP_MAX_FEATURES must be at least 100, not 50"),
        ({"MAP_GRID_INDEX_FROM": "0"}, "MAP_GRID_INDEX_FROM must be at least 1, not 0"),
        ({"MAP_THROTTLE_RATE": "5/fortnight"}, "MAP_THROTTLE_RATE must look like '5/hour'"),
        ({"JOIN_REQUEST_RATE": "many"}, "JOIN_REQUEST_RATE must look like '5/hour'"),
        ({"CORS_ALLOWED_ORIGINS": "https://a.example/x"}, "CORS_ALLOWED_ORIGINS: 'https://a."),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL must be one of debug, info, warning"),
        ({"GEOCODER_TIMEOUT": "0"}, "GEOCODER_TIMEOUT must be at least 0.1"),
        ({"TRUSTED_PROXIES": "127.0.0.1,proxy"}, "TRUSTED_PROXIES: 'proxy' is not an IP"),
        ({"STAFF_SECOND_FACTOR": "never"}, "STAFF_SECOND_FACTOR must be one of privileged"),
        ({"STAFF_SESSION_HOURS": "0"}, "STAFF_SESSION_HOURS must be at least 1"),
        ({"LOGIN_FAILURE_LIMIT": "x"}, "LOGIN_FAILURE_LIMIT must be a whole number"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be one of json, text"),
    ],
)
def test_other_bad_values_name_their_variable(variables, message):
    assert message in refused(**variables)


def test_rates_are_read_alike_by_every_variable():
    """One rule for rates: what the map throttle accepts, the join form's limit accepts."""
    env = {"MAP_THROTTLE_RATE": "5/min", "JOIN_REQUEST_RATE": "5/min", "JOIN_SEARCH_RATE": "9/s"}
    assert settings_module(**env)["JOIN_REQUEST_RATE"] == "5/min"


def test_check_deploy_passes_with_production_settings():
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    env.update(KINDNET_ENV="production", SECRET_KEY=PRODUCTION_KEY, ALLOWED_HOSTS="a.example")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _redis_reachable() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_reachable(), reason="needs Redis on 127.0.0.1:6379 (CI has it)")
def test_the_documented_redis_cache_works():
    """CACHE_URL=redis://… is what the README tells production to use: its client is installed."""
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    env.update(CACHE_URL="redis://127.0.0.1:6379/15", DJANGO_SETTINGS_MODULE="kindnet.settings")
    script = (
        "import django; django.setup()\n"
        "from django.core.cache import cache\n"
        "cache.set('kindnet-test', 42, 5); print(cache.get('kindnet-test'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert (result.returncode, result.stdout.strip()) == (0, "42"), result.stderr
