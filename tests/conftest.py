"""The fixed cast of users and clients every test can call on.

- anonymous: no login;
- bob, the viewer: staff in the read-only group (view permissions only);
- charlie, chapter staff: staff with view/add/change/delete on the network;
  both work for all chapters (the chapter scope is tested in tests/test_roles.py);
- alice, the superuser.

Staff log in through `login_verified(client, user)`: the session also carries a proven
second factor (a TOTP device of the user's), as after the real login in production,
where superusers must have one (kindnet.second_factor). `client.force_login` alone gives
a superuser a session that only leads to the second-factor page.
"""

from __future__ import annotations

import sqlite3

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from crm.models import ChapterScope

# Browser fixtures (headless Chromium through Playwright): browser, page, demo_network, …
pytest_plugins = ["tests.browser"]

NETWORK_APPS = ["crm", "partners", "municipalities", "ambassadors"]


def _group(name: str, actions: tuple[str, ...]) -> Group:
    group, _ = Group.objects.get_or_create(name=name)
    perms = Permission.objects.filter(content_type__app_label__in=NETWORK_APPS).filter(
        codename__regex=r"^({})_".format("|".join(actions))
    )
    group.permissions.set(perms)
    return group


@pytest.fixture
def viewer(django_user_model):
    user = django_user_model.objects.create_user("bob", "bob@example.org", "pw", is_staff=True)
    user.groups.add(_group("Viewers", ("view",)))
    ChapterScope.objects.create(user=user, all_chapters=True)
    return user


@pytest.fixture
def chapter_staff(django_user_model):
    user = django_user_model.objects.create_user(
        "charlie", "charlie@example.org", "pw", is_staff=True
    )
    user.groups.add(_group("Chapter staff", ("view", "add", "change", "delete")))
    ChapterScope.objects.create(user=user, all_chapters=True)
    return user


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("alice", "alice@example.org", "pw")


def login_verified(client: Client, user) -> Client:
    """Log `user` in on `client` as if they had typed their password and a valid TOTP code."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _client_for(user) -> Client:
    return login_verified(Client(), user)


@pytest.fixture
def admin_client(django_user_model) -> Client:
    """pytest-django's `admin_client`, with the second factor a superuser must prove."""
    user = django_user_model.objects.create_superuser("admin", "admin@example.org", "password")
    return _client_for(user)


@pytest.fixture
def anonymous_client() -> Client:
    return Client()


@pytest.fixture
def viewer_client(viewer) -> Client:
    return _client_for(viewer)


@pytest.fixture
def staff_client(chapter_staff) -> Client:
    return _client_for(chapter_staff)


@pytest.fixture
def superuser_client(superuser) -> Client:
    return _client_for(superuser)


@pytest.fixture
def reference_data(db) -> dict:
    """The chapters (Italy, Switzerland) and sectors (education, health) files refer to."""
    from tests.factories import ChapterFactory, SectorFactory

    return {
        "IT": ChapterFactory(name="Italy", country="IT"),
        "CH": ChapterFactory(name="Switzerland", country="CH"),
        "education": SectorFactory(slug="education", name_en="Education", name_it="Istruzione"),
        "health": SectorFactory(slug="health", name_en="Health", name_it="Salute"),
    }


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request's language (Accept-Language
    through LocaleMiddleware) stays active in the thread after the test client's call."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: no map feed or throttle count from another test."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session", autouse=True)
def pristine_sqlite_database(django_db_setup, django_db_blocker, tmp_path_factory):
    """On SQLite, a file copy of the freshly migrated test database, taken before any test
    writes to it: tests that run the project's commands in other processes (which cannot
    see an in-memory database) start from a copy instead of migrating from scratch.
    None on PostgreSQL."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return None
    path = tmp_path_factory.mktemp("pristine") / "db.sqlite3"
    with django_db_blocker.unblock():
        connection.ensure_connection()
        target = sqlite3.connect(path)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
    return path


# --- Browser tests ---------------------------------------------------------------------
@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, with one request at a time on SQLite.

    On SQLite the server's threads share the test's in-memory connection. Two requests at
    once (a page asking for the map feed and the impact figures together) could deadlock
    inside Python's sqlite3 module: one thread, in a query, waits for the GIL to run a
    SQL function written in Python while holding the connection's mutex; the other holds
    the GIL and waits for that mutex. A lock around each request serialises them (on
    PostgreSQL each thread has its own connection, and requests stay concurrent).
    """
    import os
    import threading

    from pytest_django.live_server_helper import LiveServer

    address = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    server = LiveServer(address, start=False)
    if server.thread.connections_override:
        one_at_a_time = threading.Lock()
        serving = server.thread.static_handler

        class OneRequestAtATime(serving):
            def __call__(self, environ, start_response):
                with one_at_a_time:
                    return super().__call__(environ, start_response)

        server.thread.static_handler = OneRequestAtATime
    server.start()
    yield server
    server.stop()


# --- Geocoding (issue 3) ---------------------------------------------------------------
@pytest.fixture(scope="session")
def _gazetteer_loaded(django_db_setup, django_db_blocker) -> None:
    """IT and CH places loaded once per test database (committed, outside any test)."""
    from geocoding.gazetteer import gazetteer_load

    with django_db_blocker.unblock():
        gazetteer_load(countries=["IT", "CH"])


@pytest.fixture
def gazetteer(_gazetteer_loaded, db) -> None:
    """The offline gazetteer with Italy and Switzerland."""
    from geocoding.gazetteer import gazetteer_load
    from geocoding.models import GazetteerPlace

    if not GazetteerPlace.objects.filter(country="IT").exists():  # a transactional test flushed it
        gazetteer_load(countries=["IT", "CH"])


@pytest.fixture
def nominatim():
    """A fake Nominatim on a loopback port chosen by the system (see tests/nominatim_fake.py)."""
    from tests.nominatim_fake import FakeNominatim

    fake = FakeNominatim().start()
    yield fake
    fake.stop()


@pytest.fixture
def nominatim_settings(settings, nominatim):
    """GEOCODERS=nominatim pointed at the fake, with a short timeout and no delay."""
    settings.GEOCODERS = ["nominatim"]
    settings.NOMINATIM_URL = nominatim.url
    settings.GEOCODER_USER_AGENT = "kindnet-tests/1.0 (tests@kindnet.example)"
    settings.GEOCODER_TIMEOUT = 0.5
    settings.GEOCODER_MIN_DELAY_SECONDS = 0.0
    settings.GEOCODER_RATE_LIMITED_SECONDS = 0.0
    return settings


# --- Impact (issue 16) -------------------------------------------------------------------


@pytest.fixture
def impact_network(reference_data) -> dict:
    """A hand-made network whose every impact figure is known (tests/impact_network.py)."""
    from tests.impact_network import impact_network_create

    return impact_network_create(reference_data)
