"""Geocoding heals itself: the periodic sweep, dead workers' tasks, retry chains that end
when a member moves, pauses that hold for every worker."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from crm.models import GeocodeStatus, Member
from geocoding.services import members_geocode
from tests.factories import SchoolFactory
from tests.test_geocoding import reload
from tests.test_map_freshness import laptop_env  # noqa: F401 (a fixture: a database of its own)

pytestmark = pytest.mark.django_db


@pytest.fixture
def deferred_tasks(settings):
    """A task backend that keeps what is enqueued (and accepts run_after)."""
    from django_tasks import default_task_backend

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()
    return default_task_backend


def _age(members, seconds: int = 3600) -> None:
    Member.objects.filter(pk__in=[m.pk for m in members]).update(
        updated_at=timezone.now() - datetime.timedelta(seconds=seconds)
    )


def _sweep() -> str:
    out = StringIO()
    call_command("geocode_sweep", stdout=out)
    return out.getvalue()


def test_sweep_recovers_every_member_after_an_outage_longer_than_the_retry_budget(
    nominatim, nominatim_settings, django_capture_on_commit_callbacks
):
    nominatim_settings.GEOCODER_MAX_ATTEMPTS = 2
    nominatim.mode = "500"
    schools = [SchoolFactory(city=city, street="") for city in ("Roma", "Milano", "Bologna")]
    for _ in range(2):  # the whole retry budget spent while the server is down
        members_geocode(member_ids=[s.pk for s in schools])
    # The first failure paused the provider: the others were postponed, not probed.
    assert {reload(s).geocode_status for s in schools} <= {GeocodeStatus.FAILED, "pending"}
    assert len(nominatim.searches()) == 2

    nominatim.mode = "ok"
    assert "Queued 0 members" in _sweep()  # not overdue yet
    _age(schools)
    with django_capture_on_commit_callbacks(execute=True):
        assert "Queued 3 members again" in _sweep()
    assert {reload(s).geocode_status for s in schools} == {GeocodeStatus.OK}
    assert "Queued 0 members" in _sweep()  # idempotent


def test_sweep_has_a_daily_cap_per_member(nominatim, nominatim_settings):
    nominatim_settings.GEOCODER_SWEEP_DAILY_CAP = 2
    nominatim_settings.GEOCODER_SWEEP_AFTER_SECONDS = 0
    nominatim.mode = "500"
    school = SchoolFactory(city="Roma", street="")
    for expected in ("Queued 1 members", "Queued 1 members", "1 reached today's cap"):
        _age([school])
        assert expected in _sweep()


CREATE_EIGHT = """
from crm.bulk import members_bulk_create
from geocoding.services import members_geocode_enqueue
from partners.models import School
schools = members_bulk_create([
    School(name=f"Scuola {n}", school_code=f"KILL{n:05d}", street="", postal_code="",
           city=f"Killtown {n}", province="", region="", country="IT")
    for n in range(8)
])
members_geocode_enqueue(member_ids=[s.pk for s in schools])
"""


#: The towns of CREATE_EIGHT, as the fake Nominatim places them.
KILLTOWNS = {f"killtown {n}": (45.0 + n / 10, 9.0) for n in range(8)}


def _worker_env(base: dict[str, str], fake, **overrides: str) -> dict[str, str]:
    """The production set-up of geocoding (a database queue, Nominatim) against `fake`."""
    return {
        **base,
        "TASKS_BACKEND": "database",
        "GEOCODERS": "nominatim",
        "NOMINATIM_URL": fake.url,
        "GEOCODER_USER_AGENT": "kindnet-tests/1.0 (tests@kindnet.example)",
        "GEOCODER_MIN_DELAY_SECONDS": "0.15",
        "GEOCODER_SWEEP_AFTER_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        **overrides,
    }


def _located(env: dict[str, str]) -> int:
    """Members located in the database of `env`, read without starting Django again."""
    url = env["DATABASE_URL"]
    sql = "SELECT count(*) FROM crm_member WHERE geocode_status = 'ok'"
    if url.startswith("sqlite:///"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            return connection.execute(sql).fetchone()[0]
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as connection:
        return connection.execute(sql).fetchone()[0]


def test_a_worker_killed_mid_batch_is_taken_over_and_its_members_geocoded(laptop_env):  # noqa: F811
    """Real processes: a `db_worker` is killed with SIGKILL in the middle of its batch; the
    sweep takes its task over and queues its members; the next worker geocodes them all."""
    import signal
    import subprocess
    import sys
    import time

    from tests.nominatim_fake import FakeNominatim
    from tests.test_map_freshness import ROOT, manage

    fake = FakeNominatim(cities=KILLTOWNS).start()
    env = _worker_env(laptop_env, fake, GEOCODER_TIMEOUT="1", GEOCODER_TASK_TIMEOUT_SECONDS="1")
    try:
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "shell", "-v", "0", "-c", CREATE_EIGHT)
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--no-startup-delay"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while len(fake.searches()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        worker.send_signal(signal.SIGKILL)  # mid-batch: nothing written yet
        worker.wait(timeout=10)
        assert len(fake.searches()) < 8 and _located(env) == 0

        # The task started before its first request: GEOCODER_TASK_TIMEOUT_SECONDS (1 s) later
        # it is overdue.
        time.sleep(max(0.0, fake.searches()[0].at + 1.2 - time.monotonic()))
        out = manage(env, "geocode_sweep")
        assert "Queued 8 members again" in out
        assert "1 tasks of dead workers taken over" in out
        manage(env, "db_worker", "--batch", "--no-startup-delay")
        assert _located(env) == 8
    finally:
        fake.stop()
    # What the dead worker had asked came from the cache: each town asked once (at most
    # one more if it died between an answer and storing it).
    towns = [request.params["city"] for request in fake.searches()]
    assert set(towns) == {f"Killtown {n}" for n in range(8)}
    assert len(towns) <= 9


def test_moving_a_member_ends_its_old_retry_chain(nominatim, nominatim_settings, deferred_tasks):
    nominatim.mode = "500"
    school = SchoolFactory(city="Roma")
    members_geocode(member_ids=[school.pk])
    [old_retry] = deferred_tasks.results
    school = reload(school).specific()
    school.city, school.province = "Milano", "MI"
    school.save()  # a new address: a new chain
    members_geocode(member_ids=[school.pk])
    calls = len(nominatim.searches())
    old_retry.task.call(**old_retry.kwargs)
    assert len(nominatim.searches()) == calls  # the old chain asked nothing
    assert reload(school).geocode_attempts == 1


def test_a_stale_admin_form_keeps_the_coordinates_found_meanwhile(superuser_client):
    from tests.test_geocoding_admin import _change_form_data

    school = SchoolFactory(city="Roma")
    url = f"/admin/partners/school/{school.pk}/change/"
    data = _change_form_data(superuser_client.get(url))  # opened while pending
    # Geocoding finishes while the form is open.
    Member.objects.filter(pk=school.pk).update(
        latitude=41.9, longitude=12.5, geocode_status=GeocodeStatus.OK
    )
    data["name"] = "Renamed while open"
    response = superuser_client.post(url, data)
    assert response.status_code == 302, response.content[:3000]
    school = reload(school)
    assert school.name == "Renamed while open"
    assert (school.coordinates, school.geocode_status) == ((41.9, 12.5), GeocodeStatus.OK)


# --- A pause that holds ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "expected_pause"),
    [(["429:1"], 1.0), (["429:"], 0.6)],  # Retry-After: 1 s; none: GEOCODER_RATE_LIMITED_SECONDS
)
def test_nothing_is_sent_during_a_pause_by_any_geocoder(
    nominatim, nominatim_settings, script, expected_pause
):
    import time

    from geocoding.providers import geocoder_chain
    from geocoding.result import GeocodeQuery, ProviderRateLimited

    nominatim_settings.GEOCODER_RATE_LIMITED_SECONDS = 0.6
    nominatim.script = list(script)
    with pytest.raises(ProviderRateLimited, match="HTTP 429"):
        geocoder_chain().geocode(GeocodeQuery(country="IT", city="Roma"))
    # Other geocoders (as other processes: their own limiter, the shared table) send nothing
    # while the pause holds, however often they try.
    deadline = time.monotonic() + expected_pause - 0.15
    while time.monotonic() < deadline:
        with pytest.raises(ProviderRateLimited, match="paused"):
            geocoder_chain().geocode(GeocodeQuery(country="IT", city="Milano"))
        time.sleep(0.1)
    time.sleep(0.3)
    geocoder_chain().geocode(GeocodeQuery(country="IT", city="Milano"))
    first, second = (request.at for request in nominatim.searches())
    assert second - first >= expected_pause


def test_after_a_429_the_rest_of_the_batch_is_postponed_not_probed(
    nominatim, nominatim_settings, deferred_tasks
):
    nominatim_settings.GEOCODER_RATE_LIMITED_SECONDS = 120
    nominatim.script = ["429:"]
    schools = [SchoolFactory(city=city, street="") for city in ("Roma", "Milano", "Bologna")]
    before = timezone.now()
    summary = members_geocode(member_ids=[s.pk for s in schools])
    assert len(nominatim.searches()) == 1  # the first query only
    assert (summary.failed, summary.postponed) == (1, 2)
    assert [reload(s).geocode_status for s in schools[1:]] == ["pending", "pending"]
    assert [reload(s).geocode_attempts for s in schools] == [1, 0, 0]
    later = [r for r in deferred_tasks.results if r.task.name == "members_geocode_task"]
    assert [r.kwargs["member_ids"] for r in later] == [[s.pk for s in schools[1:]]]
    assert (later[0].task.run_after - before).total_seconds() >= 119


def test_a_worker_whose_database_connection_is_cut_mid_task_goes_on(laptop_env):  # noqa: F811
    """Real processes on PostgreSQL: the database drops every connection (a restart, a
    failover) while the worker geocodes. The worker stays up, records its task as failed,
    and geocodes the members that the sweep queues again; then the database refuses
    connections for a while, and the worker waits for it."""
    import subprocess
    import sys
    import time

    import psycopg

    from tests.nominatim_fake import FakeNominatim
    from tests.test_map_freshness import ROOT, manage

    url = laptop_env["DATABASE_URL"]
    if not url.startswith("postgres"):
        pytest.skip("a connection cut by the server: PostgreSQL only")
    url = url.replace("postgres://", "postgresql://", 1)
    fake = FakeNominatim(cities=KILLTOWNS).start()
    env = _worker_env(laptop_env, fake, GEOCODER_TIMEOUT="2")
    worker = None
    try:
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "shell", "-v", "0", "-c", CREATE_EIGHT)
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--no-startup-delay", "--interval", "0.2"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 60
        while len(fake.searches()) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        database = url.rsplit("/", 1)[1]
        with psycopg.connect(url, autocommit=True) as admin:
            cut = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [database],
            ).fetchone()[0]
        assert cut >= 1  # the worker's connection, mid-task

        deadline = time.monotonic() + 30
        while _task_statuses(url).get("RUNNING") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert worker.poll() is None, worker.communicate()[0]
        assert _task_statuses(url) == {"FAILED": 1}
        assert _located(env) < 8

        out = manage(env, "geocode_sweep")
        assert f"Queued {8 - _located(env)} members again" in out
        deadline = time.monotonic() + 30
        while _located(env) < 8 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _located(env) == 8
        assert worker.poll() is None

        # The database refuses every connection for a while (a restart that takes time):
        # the worker keeps asking, once a second, and serves the queue when it is back.
        server = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                [database],
            )
            time.sleep(2.5)
            assert worker.poll() is None
            admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
        manage(env, "shell", "-v", "0", "-c", CREATE_ONE_MORE)
        deadline = time.monotonic() + 30
        while _located(env) < 9 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _located(env) == 9
        assert worker.poll() is None
    finally:
        fake.stop()
        if worker is not None:
            worker.terminate()
            log = worker.communicate(timeout=30)[0]
    # (The interrupted task's own failure may be logged with its traceback: when the task
    # closed the dead connection itself, the library records the failure as usual.)
    assert log.count("Lost the database connection") >= 2


CREATE_ONE_MORE = """
from crm.bulk import members_bulk_create
from geocoding.services import members_geocode_enqueue
from partners.models import School
[school] = members_bulk_create([
    School(name="Scuola dopo", school_code="KILL99999", street="", postal_code="",
           city="Killtown 1", province="", region="", country="IT")
])
members_geocode_enqueue(member_ids=[school.pk])
"""


def _task_statuses(url: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT status, count(*) FROM django_tasks_database_dbtaskresult GROUP BY status "
            "HAVING status <> 'SUCCESSFUL'"
        ).fetchall()
    return dict(rows)
