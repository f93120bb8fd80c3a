"""Fuzz the REST API with schemathesis against /api/schema/ on a live server: no 5xx allowed.

    .venv/bin/python .ci/fuzz_api.py [--max-examples N] [--max-time SECONDS]

1. creates a throwaway database on the configured engine (DATABASE_URL: a temporary
   SQLite file, or `fuzz_<name>` on PostgreSQL), migrates it, loads the demo network
   and makes a superuser with an API token;
2. serves it with `manage.py runserver` on a free loopback port;
3. runs `schemathesis run` authenticated with that token (so writes are exercised
   too), checking only `not_a_server_error`, with a bounded number of examples;
4. stops the server and drops the database. Exits with schemathesis' status.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
SCHEMATHESIS = ROOT / ".venv" / "bin" / "schemathesis"  # a dev dependency (make setup)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict[str, str], *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(PYTHON), "manage.py", *args], cwd=ROOT, env=env, check=True, **kwargs
    )


def database_url(base: str, tmp: Path) -> tuple[str, str | None]:
    """A throwaway database URL and, on PostgreSQL, the name to create and drop."""
    if base.startswith(("postgres://", "postgresql://")):
        server, _, name = base.rpartition("/")
        fuzz_name = f"fuzz_{name.split('?')[0] or 'kindnet'}"
        return f"{server}/{fuzz_name}", fuzz_name
    return f"sqlite:///{tmp / 'fuzz.sqlite3'}", None


def postgres(base: str, sql: str) -> None:
    """Run one statement on the server's `postgres` database (to create or drop ours)."""
    server, _, _name = base.rpartition("/")
    env = {**os.environ, "DATABASE_URL": f"{server}/postgres"}
    code = (
        "from django.db import connection\n"
        "connection.ensure_connection()\n"
        "connection.connection.autocommit = True\n"
        f"connection.cursor().execute({sql!r})\n"
    )
    manage(env, "shell", "-v", "0", "-c", code)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=25)
    parser.add_argument("--max-time", type=int, default=240, help="seconds for the whole run")
    args = parser.parse_args()

    schemathesis = SCHEMATHESIS
    base = os.environ.get("DATABASE_URL", "sqlite:///db.sqlite3")
    with tempfile.TemporaryDirectory() as tmp:
        url, pg_name = database_url(base, Path(tmp))
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "TASKS_BACKEND": "dummy",  # no geocoding work behind every write
            "MAP_THROTTLE_RATE": "100000/minute",
            "DEBUG": "0",
        }
        if pg_name:
            postgres(base, f'DROP DATABASE IF EXISTS "{pg_name}"')
            postgres(base, f'CREATE DATABASE "{pg_name}"')
        server = None
        try:
            manage(env, "migrate", "--noinput", "-v", "0")
            manage(env, "load_demo")
            token = (
                manage(
                    env,
                    "shell",
                    "-c",
                    "from django.contrib.auth import get_user_model\n"
                    "from rest_framework.authtoken.models import Token\n"
                    "user = get_user_model().objects.create_superuser("
                    "'fuzz', 'fuzz@example.org', 'fuzz-password-not-used')\n"
                    "print(Token.objects.create(user=user).key)\n",
                    capture_output=True,
                    text=True,
                )
                .stdout.strip()
                .splitlines()[-1]
            )  # the shell may print its auto-imports first
            port = free_port()
            server = subprocess.Popen(
                [str(PYTHON), "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=open(Path(tmp) / "server.log", "w"),  # noqa: SIM115
            )
            schema = f"http://127.0.0.1:{port}/api/schema/"
            for _ in range(100):
                try:
                    urllib.request.urlopen(schema, timeout=2).close()
                    break
                except OSError:
                    time.sleep(0.2)
            result = subprocess.run(
                [
                    str(schemathesis),
                    "run",
                    schema,
                    "--checks",
                    "not_a_server_error",
                    "--header",
                    f"Authorization:Token {token}",
                    "--max-examples",
                    str(args.max_examples),
                    "--max-time",
                    str(args.max_time),
                    # One worker: with threads, hypothesis' ast.parse of lambda sources can
                    # hit CPython 3.11's "AST constructor recursion depth mismatch" race
                    # (fixed in 3.12), which schemathesis reports as a runtime error.
                    "--workers",
                    "1",
                    "--seed",
                    "4",
                    "--no-color",
                    "--request-timeout",
                    "30",
                ],
                cwd=tmp,
            )
            if result.returncode != 0:
                print((Path(tmp) / "server.log").read_text()[-20000:], file=sys.stderr)
            return result.returncode
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
            if pg_name:
                postgres(base, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
