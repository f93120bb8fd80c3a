"""Concurrent approvals on the default SQLite database: waiting, never "database is locked".

Makes a throwaway SQLite file with the settings of `make run` (WAL, a busy timeout,
`BEGIN IMMEDIATE`), creates N pending join requests, and approves them all at once from
N threads (one connection each, as N requests of a threaded server would). Each approval
reads, then writes several tables in one transaction: with SQLite's default deferred
transactions a transaction that read first fails at once on its first write when
another wrote meanwhile, whatever the busy timeout. `--deferred` runs the same with
Django's default transaction mode, to show the difference.

    .venv/bin/python bench/sqlite_concurrency.py [--requests 40] [--deferred] [--quick]

Last line: `RESULT approvals=… locked=… other_errors=… seconds=…`; exit 1 if any failed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--deferred", action="store_true", help="Django's default mode")
    parser.add_argument("--quick", action="store_true", help="CI's smoke run: 12 requests")
    args = parser.parse_args()
    count = 12 if args.quick else args.requests

    workdir = Path(tempfile.mkdtemp(prefix="kindnet-sqlite-"))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "kindnet.settings",
            "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
            "PRIVATE_ROOT": str(workdir / "private"),
            "EMAIL_URL": "dummymail://",
            "TASKS_BACKEND": "dummy",
        }
    )
    import django

    django.setup()
    from django.conf import settings

    if args.deferred:
        settings.DATABASES["default"]["OPTIONS"].pop("transaction_mode", None)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import OperationalError, connection

    from municipalities.models import JoinRequest
    from municipalities.services import join_request_approve
    from tests.factories import ChapterFactory, JoinRequestFactory

    call_command("migrate", verbosity=0)
    ChapterFactory(name="Italy", country="IT")
    admin = get_user_model().objects.create_superuser("bench", "bench@example.org", None)
    ids = [JoinRequestFactory().pk for _ in range(count)]
    connection.close()

    barrier = threading.Barrier(count)
    outcomes: list[str] = []
    lock = threading.Lock()

    def approve(pk: int) -> None:
        from django.db import connection as own

        join_request = JoinRequest.objects.get(pk=pk)
        barrier.wait()
        try:
            join_request_approve(join_request=join_request, by=admin)
            outcome = "ok"
        except OperationalError as exc:
            outcome = "locked" if "locked" in str(exc) else f"error: {exc}"
        except Exception as exc:  # reported, not hidden
            outcome = f"error: {type(exc).__name__}: {exc}"
        finally:
            own.close()
        with lock:
            outcomes.append(outcome)

    started = time.perf_counter()
    threads = [threading.Thread(target=approve, args=(pk,)) for pk in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started

    approved = JoinRequest.objects.filter(pk__in=ids, status="approved").count()
    locked = outcomes.count("locked")
    others = [o for o in outcomes if o not in {"ok", "locked"}]
    mode = "deferred" if args.deferred else "immediate"
    print(f"{count} concurrent approvals on SQLite ({mode} transactions, WAL, busy timeout)")
    for other in sorted(set(others)):
        print(f"  {other}")
    print(
        f"RESULT approvals={approved} locked={locked} other_errors={len(others)} "
        f"seconds={seconds:.2f}"
    )
    return 0 if approved == count else 1


if __name__ == "__main__":
    sys.exit(main())
