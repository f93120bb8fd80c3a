"""What `/health/` checks: the database, the shared cache, the task queue, the private disk.

Each check answers `ok`, `degraded` (the site works, worse: the cache is down, the
queue is late, the disk is filling) or `down` (the site cannot work: the database).
The overall status is the worst of them.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from crm.shared_cache import CacheUnavailable, cache_call

ORDER = {"ok": 0, "degraded": 1, "down": 2}
HEALTH_CACHE_KEY = "kindnet:health"


@dataclass
class HealthReport:
    checks: dict[str, dict] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return max((c["status"] for c in self.checks.values()), key=ORDER.get, default="ok")


def _database() -> dict:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error: the database is unusable
        return {"status": "down", "error": type(exc).__name__}
    return {"status": "ok", "ms": round((time.monotonic() - started) * 1000, 1)}


def _cache() -> dict:
    started = time.monotonic()
    try:
        cache_call(lambda: cache.set(HEALTH_CACHE_KEY, "ok", timeout=30), what="health")
        cache_call(lambda: cache.get(HEALTH_CACHE_KEY), what="health")
    except CacheUnavailable as exc:
        return {"status": "degraded", "error": type(exc.__cause__).__name__}
    return {
        "status": "ok",
        "backend": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
        "ms": round((time.monotonic() - started) * 1000, 1),
    }


def _tasks() -> dict:
    if settings.TASKS_BACKEND != "database":
        return {"status": "ok", "backend": settings.TASKS_BACKEND}
    from django_tasks_db.models import DBTaskResult

    try:
        ready = DBTaskResult.objects.ready()
        backlog = ready.count()
        oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    except Exception as exc:
        return {"status": "down", "error": type(exc).__name__}
    age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    late = age > settings.HEALTH_TASK_MAX_AGE_SECONDS
    return {
        "status": "degraded" if late else "ok",
        "backend": "database",
        "backlog": backlog,
        "oldest_age_s": round(age, 1),
        **({"hint": "is a db_worker running?"} if late else {}),
    }


def _private_disk() -> dict:
    root = settings.PRIVATE_ROOT
    path = root if root.exists() else root.parent
    try:
        usage = shutil.disk_usage(path)
    except OSError as exc:
        return {"status": "degraded", "error": type(exc).__name__}
    free_mb = usage.free // (1024 * 1024)
    return {
        "status": "degraded" if free_mb < settings.HEALTH_DISK_MIN_FREE_MB else "ok",
        "free_mb": free_mb,
    }


def health_report() -> HealthReport:
    return HealthReport(
        checks={
            "database": _database(),
            "cache": _cache(),
            "tasks": _tasks(),
            "private_files_disk": _private_disk(),
        }
    )
