"""The map is fresh across processes: a command's change shows in another process's next answer.

A real server (`manage.py runserver`) with the default cache settings (local memory, one
cache per process) serves the feed from its own cache; `manage.py import agreements`,
run as another process, ends an agreement; the server's very next answer leaves that
member out. The server and the commands use their own database (a SQLite file, or a
throwaway PostgreSQL database when the suite runs on PostgreSQL), not pytest-django's.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.utils import timezone

ROOT = Path(__file__).resolve().parent.parent
FEED = "/api/v1/map/"
COMMAND_TIMEOUT = 120  # seconds; a busy CI machine runs migrate slowly
SERVER_START_TIMEOUT = 60


def _postgres_name() -> str:
    """The suite's own database name (DATABASE_URL) + `_fresh`: one per checkout."""
    return urlsplit(os.environ.get("DATABASE_URL", "")).path.lstrip("/") + "_fresh"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_url() -> str:
    database = settings.DATABASES["default"]
    user = database.get("USER") or "postgres"
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    host = database.get("HOST") or "127.0.0.1"
    port = database.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{_postgres_name()}"


def _postgres_recreate(*, drop_only: bool = False) -> None:
    import psycopg

    database = settings.DATABASES["default"]
    with psycopg.connect(
        dbname="postgres",
        user=database.get("USER") or "postgres",
        password=database.get("PASSWORD") or None,
        host=database.get("HOST") or "127.0.0.1",
        port=database.get("PORT") or 5432,
        autocommit=True,
    ) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{_postgres_name()}" WITH (FORCE)')
        if not drop_only:
            connection.execute(f'CREATE DATABASE "{_postgres_name()}"')


@pytest.fixture
def laptop_env(tmp_path, pristine_sqlite_database) -> Iterator[dict[str, str]]:
    """The environment of `make run` on a laptop, with a database of its own (on SQLite,
    a copy of the suite's freshly migrated one: `migrate` then has nothing left to do)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "CACHE_", "PYTEST_", "DJANGO_"))
    }
    env["DJANGO_SETTINGS_MODULE"] = "kindnet.settings"
    env["PYTHONUNBUFFERED"] = "1"
    postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    if postgres:
        _postgres_recreate()
        env["DATABASE_URL"] = _postgres_url()
    else:
        shutil.copyfile(pristine_sqlite_database, tmp_path / "db.sqlite3")
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    try:
        yield env
    finally:
        if postgres:
            _postgres_recreate(drop_only=True)


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def network(laptop_env) -> dict[str, str]:
    """A migrated database with 20 located members active today; the environment to reach it."""
    manage(laptop_env, "migrate", "--noinput", "-v", "0")
    manage(laptop_env, "load_demo", "--members", "20")
    return laptop_env


@pytest.fixture
def server(network, tmp_path) -> Iterator[str]:
    """`manage.py runserver` on a free port; its base URL. Always stopped at the end."""
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=network,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"runserver stopped: {(tmp_path / 'server.log').read_text()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("runserver did not open its port in time")
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_a_command_in_another_process_shows_in_the_next_answer(network, server, tmp_path):
    status, first_headers, first = get(server + FEED)
    assert status == 200, first
    assert json.loads(first)["total"] == 20
    status, headers, warm = get(server + FEED)  # from the server's own cache now
    assert (status, headers["ETag"], warm) == (200, first_headers["ETag"], first)

    # The first synthetic school leaves the network, as an office would record it.
    today = timezone.localdate()
    starts_on = today - datetime.timedelta(days=30)
    rows = tmp_path / "agreements.csv"
    rows.write_text(
        "reference,member_kind,member,member_country,member_city,starts_on,"
        "terminated_on,termination_reason\n"
        f"SYN-00000001,school,Synthetic School 0,IT,Roma,{starts_on},{today},Left the network.\n"
    )
    output = manage(network, "import", "agreements", str(rows), "--noinput")
    assert "1 updated" in output, output

    status, headers, after = get(server + FEED)
    assert status == 200, after
    assert json.loads(after)["total"] == 19
    assert "Synthetic School 0" not in {
        feature["properties"].get("name") for feature in json.loads(after)["features"]
    }
    assert headers["ETag"] != first_headers["ETag"]
    status, _headers, _body = get(server + FEED, **{"If-None-Match": first_headers["ETag"]})
    assert status == 200
