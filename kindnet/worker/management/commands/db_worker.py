"""`manage.py db_worker`: django-tasks-db's worker, which outlives a lost database connection.

The library's worker exits when PostgreSQL drops its connection in the middle of a task (a
restart, a failover, `pg_terminate_backend`): recording the task's failure raises again on
the dead connection, and the queue waits until someone restarts the worker. This one closes
the connection, waits --interval (at least a second), records the interrupted task as
failed on a new connection (geocode_sweep queues its members again) and goes on. Any other
error still stops it, as before.
"""

from __future__ import annotations

import logging
import time
import uuid

from django.db import DatabaseError, connection
from django_tasks_db.compat import task_finished, task_started
from django_tasks_db.management.commands import db_worker as library
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger("django_tasks_db")


class Command(library.Command):
    help = library.Command.help + "; it reconnects when the database drops its connection"

    def handle(self, **options) -> None:
        running: dict[str, str] = {}

        def started(sender, task_result, **kwargs) -> None:
            running["id"] = task_result.id

        def finished(sender, task_result, **kwargs) -> None:
            running.pop("id", None)

        task_started.connect(started, weak=False)
        task_finished.connect(finished, weak=False)
        try:
            while True:
                try:
                    return super().handle(**options)
                except DatabaseError as error:
                    if not _connection_lost():
                        raise
                    # At least a second: a database that is down for a while is asked
                    # once a second, not in a tight loop (--interval may be 0).
                    wait = max(1.0, options["interval"])
                    logger.warning(
                        "Lost the database connection (%s): reconnecting in %s s.",
                        str(error).strip() or type(error).__name__,
                        wait,
                    )
                    connection.close()
                    time.sleep(wait)
                    _record_interrupted(running.pop("id", None), error)
        finally:
            task_started.disconnect(started)
            task_finished.disconnect(finished)


def _connection_lost() -> bool:
    if connection.connection is None:
        return True
    try:
        return not connection.is_usable()
    except DatabaseError:
        return True


def _record_interrupted(task_id: str | uuid.UUID | None, error: DatabaseError) -> None:
    """What the library meant to write when the connection failed under it. If the
    database is still away, the next round of the worker finds out and waits again."""
    if task_id is None:
        return
    try:
        task = DBTaskResult.objects.filter(pk=task_id, status="RUNNING").first()
        if task is not None:
            task.set_failed(error)
    except DatabaseError:
        connection.close()
