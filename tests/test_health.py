"""/health/: a short answer for anyone, each check's details for staff."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone


@pytest.mark.django_db
def test_anyone_gets_the_short_answer(client: Client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["Cache-Control"].startswith("max-age=0")


def test_staff_see_every_check(superuser_client, settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path
    checks = superuser_client.get("/health/").json()["checks"]
    assert set(checks) == {"database", "cache", "tasks", "private_files_disk"}
    assert {check["status"] for check in checks.values()} == {"ok"}
    assert checks["private_files_disk"]["free_mb"] > 0


def test_a_late_task_queue_is_degraded_with_its_backlog_and_age(superuser_client, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS_BACKEND = "database"
    settings.HEALTH_TASK_MAX_AGE_SECONDS = 600
    task = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="geocoding.tasks.geocode_members",
        backend_name="default",
        queue_name="default",
        run_after=timezone.now() - datetime.timedelta(hours=1),
    )
    DBTaskResult.objects.filter(pk=task.pk).update(
        enqueued_at=timezone.now() - datetime.timedelta(minutes=30)
    )

    response = superuser_client.get("/health/")
    tasks = response.json()["checks"]["tasks"]
    assert response.json()["status"] == "degraded"
    assert response.status_code == 200  # still in service: only a dead database is a 503
    assert tasks["backlog"] == 1
    assert 1790 < tasks["oldest_age_s"] < 1900
    assert tasks["hint"] == "is a db_worker running?"


def test_production_refuses_to_start_without_collectstatic(settings, tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    from kindnet.wsgi import static_files_require

    settings.PRODUCTION = True
    settings.STATIC_ROOT = str(tmp_path)
    with pytest.raises(ImproperlyConfigured, match=r"run `manage\.py collectstatic --noinput`"):
        static_files_require()
    (tmp_path / "staticfiles.json").write_text('{"paths": {}, "version": "1.1"}')
    static_files_require()
