"""Geocoding: pipeline, providers against a real loopback Nominatim, cache, retries, command,
admin. Distances are checked in kilometres with the haversine formula."""

from __future__ import annotations

import itertools
import math
import time

import pytest

from crm.models import FixedPoint, GeocodeStatus, Member
from geocoding.models import GeocodeCacheEntry
from geocoding.providers import geocoder_chain
from geocoding.services import members_geocode, members_geocode_enqueue
from tests.factories import AmbassadorFactory, MunicipalityFactory, SchoolFactory
from tests.on_commit import geocoding_batches

pytestmark = pytest.mark.django_db

ROME = (41.8933, 12.4829)


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 6371 * 2 * math.asin(math.sqrt(h))


def reload(member: Member) -> Member:
    return Member.objects.get(pk=member.pk)


# --- The pipeline with the default (offline) geocoder ---------------------------------------


def test_creating_a_member_geocodes_it_after_commit_offline(
    gazetteer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        school = SchoolFactory(
            city="Milano", province="MI", region="", street="Via Dante 5", postal_code="20121"
        )
        assert reload(school).geocode_status == GeocodeStatus.PENDING  # nothing before commit
    assert len(geocoding_batches(callbacks)) == 1
    school = reload(school)
    assert school.geocode_status == GeocodeStatus.OK
    assert (school.geocode_precision, school.geocode_provider) == ("city", "offline")
    assert km(school.coordinates, (45.4643, 9.1895)) < 5
    assert school.geocode_attempts == 0 and school.geocoded_at is not None


def test_changing_the_address_geocodes_again_and_other_edits_do_not(
    gazetteer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        school = SchoolFactory(city="Roma")
    school = SchoolFactory._meta.model.objects.get(pk=school.pk)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        school.name = "Renamed"
        school.save()
    assert geocoding_batches(callbacks) == []
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        school.city = "Lugano"
        school.country = "CH"
        school.save()
    assert len(geocoding_batches(callbacks)) == 1
    school = reload(school)
    assert school.geocode_status == GeocodeStatus.OK
    assert km(school.coordinates, (46.0101, 8.96)) < 5


def test_enqueue_schedules_one_task_for_a_batch_after_commit(
    gazetteer, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from django_tasks import default_task_backend, task_backends

    task_backends._settings = None  # re-read TASKS
    try:
        schools = SchoolFactory.create_batch(3, geocode_status=GeocodeStatus.OK)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            members_geocode_enqueue(member_ids=[s.pk for s in schools] + [schools[0].pk])
        assert default_task_backend.results == []  # nothing before the commit
        for callback in callbacks:
            callback()
        [result] = default_task_backend.results
        assert result.task.name == "members_geocode_task"
        assert result.kwargs == {"member_ids": sorted(s.pk for s in schools)}
    finally:
        task_backends._settings = None


def test_manual_coordinates_are_never_overwritten(gazetteer, django_capture_on_commit_callbacks):
    school = SchoolFactory(
        city="Roma", latitude=45.0, longitude=7.0, geocode_status=GeocodeStatus.MANUAL
    )
    with django_capture_on_commit_callbacks(execute=True):
        school.city = "Milano"
        school.save()
        members_geocode_enqueue(member_ids=[school.pk])
    summary = members_geocode(member_ids=[school.pk])
    school = reload(school)
    assert (school.latitude, school.longitude, school.geocode_status) == (45.0, 7.0, "manual")
    assert summary.manual == 1 and summary.provider_calls == 0


def test_fixed_point_hook_is_asked_first(gazetteer, monkeypatch):
    from municipalities.models import Municipality

    town = MunicipalityFactory(city="Roma")
    monkeypatch.setattr(
        Municipality,
        "geocode_fixed_point",
        lambda self: FixedPoint(40.0, 15.0, "city", "istat"),
        raising=False,
    )
    summary = members_geocode(member_ids=[town.pk])
    town = reload(town)
    assert (town.latitude, town.longitude, town.geocode_provider) == (40.0, 15.0, "istat")
    assert summary.fixed == 1 and summary.provider_calls == 0


def test_base_member_has_no_fixed_point():
    assert Member().geocode_fixed_point() is None


def test_member_without_any_address_is_skipped(gazetteer):
    school = SchoolFactory(city="", street="", postal_code="")
    summary = members_geocode(member_ids=[school.pk])
    assert reload(school).geocode_status == GeocodeStatus.SKIPPED
    assert summary.skipped == 1 and summary.provider_calls == 0


def test_unknown_city_fails_offline_with_a_clear_error(gazetteer):
    school = SchoolFactory(city="Atlantide")
    members_geocode(member_ids=[school.pk])
    school = reload(school)
    assert school.geocode_status == GeocodeStatus.FAILED
    assert school.geocode_error == "no place called “Atlantide” in Lazio in the offline gazetteer"
    assert school.coordinates is None


# --- Nominatim on loopback ------------------------------------------------------------------


def test_nominatim_success_at_address_precision(nominatim, nominatim_settings):
    school = SchoolFactory(city="Roma", street="Via Roma 1", postal_code="00184")
    summary = members_geocode(member_ids=[school.pk])
    school = reload(school)
    assert school.geocode_status == GeocodeStatus.OK
    assert (school.geocode_precision, school.geocode_provider) == ("address", "nominatim")
    assert km(school.coordinates, ROME) < 3
    [request] = nominatim.searches()
    assert request.params["street"] == "Via Roma 1"
    assert request.params["city"] == "Roma"
    assert request.params["postalcode"] == "00184"
    assert request.params["countrycodes"] == "it"
    assert request.headers["User-Agent"] == "kindnet-tests/1.0 (tests@kindnet.example)"
    assert summary.provider_calls == 1 and summary.ok == 1


def test_cache_hits_make_no_call(nominatim, nominatim_settings):
    first, second = SchoolFactory.create_batch(2, city="Roma", street="Via Roma 1")
    members_geocode(member_ids=[first.pk])
    summary = members_geocode(member_ids=[second.pk])
    assert len(nominatim.searches()) == 1
    assert summary.cached == 1 and summary.provider_calls == 0
    assert reload(second).coordinates == reload(first).coordinates
    assert GeocodeCacheEntry.objects.count() == 1


def test_same_place_spelt_differently_shares_the_cache(nominatim, nominatim_settings):
    a = SchoolFactory(city="Genève", country="CH", street="Rue du Rhône 1", postal_code="")
    b = SchoolFactory(city="GENEVE", country="CH", street="rue du rhone 1", postal_code="")
    summary = members_geocode(member_ids=[a.pk, b.pk])
    assert summary.provider_calls == 1 and summary.cached == 1
    assert reload(a).coordinates == reload(b).coordinates


def test_no_result_fails_cleanly_and_is_not_retried(nominatim, nominatim_settings):
    nominatim.mode = "empty"
    school = SchoolFactory(city="Roma", street="Via Inesistente 9", postal_code="00100")
    summary = members_geocode(member_ids=[school.pk])
    school = reload(school)
    assert school.geocode_status == GeocodeStatus.FAILED
    assert school.geocode_error == (
        "Nominatim found no place for “Via Inesistente 9, 00100 Roma (RM), Lazio, IT”"
    )
    assert summary.retry_ids == []


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("slow", "did not answer within 0.5 s"),
        ("500", "failed (HTTP Error 500: Internal Server Error)"),
        ("429", "refused: too many requests (HTTP 429)"),
    ],
)
def test_provider_errors_fail_with_a_clear_message(nominatim, nominatim_settings, mode, error):
    nominatim.mode = mode
    school = SchoolFactory(city="Roma")
    summary = members_geocode(member_ids=[school.pk])
    school = reload(school)
    assert school.geocode_status == GeocodeStatus.FAILED
    assert school.geocode_error == f"Nominatim at {nominatim.url} {error}"
    assert school.coordinates is None and school.geocode_attempts == 1
    assert summary.retry_ids == [school.pk]


def test_ambassador_is_located_at_city_precision_and_street_never_sent(
    nominatim, nominatim_settings
):
    ambassador = AmbassadorFactory(city="Milano", street="Via Segreta 7", postal_code="20121")
    members_geocode(member_ids=[ambassador.pk])
    ambassador = reload(ambassador)
    assert ambassador.geocode_precision == "city"
    assert ambassador.coordinates == (45.4643, 9.1895)  # the city's centre, as the fake says
    [request] = nominatim.searches()
    assert "street" not in request.params and "postalcode" not in request.params
    assert "Segreta" not in request.raw_query and "20121" not in request.raw_query


def test_chain_falls_back_to_offline_when_nominatim_fails(gazetteer, nominatim, nominatim_settings):
    nominatim_settings.GEOCODERS = ["nominatim", "offline"]
    nominatim.mode = "500"
    school = SchoolFactory(city="Lugano", country="CH", street="Via Nassa 1")
    summary = members_geocode(member_ids=[school.pk])
    school = reload(school)
    assert (school.geocode_status, school.geocode_provider) == ("ok", "offline")
    assert school.geocode_precision == "city"
    assert km(school.coordinates, (46.0101, 8.96)) < 5
    assert summary.provider_calls == 2
    # Nominatim failed only for now: the fallback answer is not cached for everyone.
    assert GeocodeCacheEntry.objects.count() == 0


def test_chain_configuration_is_checked():
    from django.core.exceptions import ImproperlyConfigured
    from django.test import override_settings

    with (
        override_settings(GEOCODERS=["nominatim"], GEOCODER_USER_AGENT=""),
        pytest.raises(ImproperlyConfigured, match="GEOCODER_USER_AGENT must be set"),
    ):
        geocoder_chain()


# --- Rate limit: spacing, shared between processes, 429 slows everyone ----------------------


def test_calls_are_spaced_by_the_configured_delay(nominatim, nominatim_settings):
    nominatim_settings.GEOCODER_MIN_DELAY_SECONDS = 0.2
    members = [SchoolFactory(city=city, street="") for city in ("Roma", "Milano", "Bologna")]
    members_geocode(member_ids=[m.pk for m in members])
    times = [request.at for request in nominatim.searches()]
    assert len(times) == 3
    # Measured where the fake receives them: allow a little network jitter.
    assert all(b - a >= 0.17 for a, b in itertools.pairwise(times))


def test_rate_limit_is_shared_by_separate_geocoders(nominatim, nominatim_settings):
    """Two chains have separate in-process limiters, like two worker processes: the slot
    reserved in the database still spaces their calls."""
    from geocoding.result import GeocodeQuery

    nominatim_settings.GEOCODER_MIN_DELAY_SECONDS = 0.3
    first, second = geocoder_chain(), geocoder_chain()
    first.geocode(GeocodeQuery(country="IT", city="Roma"))
    second.geocode(GeocodeQuery(country="IT", city="Milano"))
    a, b = (request.at for request in nominatim.searches())
    assert b - a >= 0.25  # without the shared slot: a few milliseconds


def test_a_429_slows_down_the_whole_queue(nominatim, nominatim_settings):
    from geocoding.result import GeocodeQuery, ProviderRateLimited

    nominatim_settings.GEOCODER_RATE_LIMITED_SECONDS = 0.4
    nominatim.script = ["429"]
    with pytest.raises(ProviderRateLimited):
        geocoder_chain().geocode(GeocodeQuery(country="IT", city="Roma"))
    # Another worker (its own limiter) sends nothing during the pause...
    with pytest.raises(ProviderRateLimited, match="paused"):
        geocoder_chain().geocode(GeocodeQuery(country="IT", city="Milano"))
    assert len(nominatim.searches()) == 1
    time.sleep(0.45)  # ...and asks again once it is over
    result, _cacheable = geocoder_chain().geocode(GeocodeQuery(country="IT", city="Milano"))
    a, b = (request.at for request in nominatim.searches())
    assert b - a >= 0.35
    assert result.provider == "nominatim"


# --- Retries with backoff --------------------------------------------------------------------


@pytest.fixture
def deferred_tasks(settings):
    """A task backend that keeps what is enqueued (and accepts run_after), for inspection."""
    from django_tasks import default_task_backend

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()
    return default_task_backend


def test_transient_failures_are_retried_later_with_growing_backoff(
    nominatim, nominatim_settings, deferred_tasks
):
    from django.utils import timezone

    nominatim_settings.GEOCODER_RETRY_BACKOFF_SECONDS = 60
    nominatim_settings.GEOCODER_MAX_ATTEMPTS = 3
    nominatim.mode = "500"
    school = SchoolFactory(city="Roma")
    before = timezone.now()
    members_geocode(member_ids=[school.pk])
    [retry] = deferred_tasks.results
    assert retry.task.name == "members_geocode_retry_task"
    assert retry.kwargs["member_ids"] == [school.pk]
    assert retry.kwargs["expected"][str(school.pk)].startswith("1:")
    assert 59 <= (retry.task.run_after - before).total_seconds() <= 65

    retry.task.call(**retry.kwargs)  # second attempt fails too: twice the wait
    second = deferred_tasks.results[-1]
    assert 119 <= (second.task.run_after - before).total_seconds() <= 130
    assert reload(school).geocode_attempts == 2

    deferred_tasks.clear()
    second.task.call(**second.kwargs)  # third and last attempt: no more retries
    assert deferred_tasks.results == []
    school = reload(school)
    assert (school.geocode_status, school.geocode_attempts) == ("failed", 3)

    nominatim.mode = "ok"  # an explicit run still works once the server is back
    members_geocode(member_ids=[school.pk], statuses=[GeocodeStatus.FAILED])
    assert reload(school).geocode_status == GeocodeStatus.OK


def test_retry_task_leaves_members_that_are_no_longer_failed(
    nominatim, nominatim_settings, deferred_tasks
):
    from geocoding.tasks import members_geocode_retry_task

    school = SchoolFactory(city="Roma", geocode_status=GeocodeStatus.OK, latitude=1, longitude=2)
    members_geocode_retry_task.call(member_ids=[school.pk])
    assert nominatim.searches() == []
    assert reload(school).coordinates == (1, 2)


# --- A dead geocoder never breaks a save ------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_dead_geocoder_saves_fail_cleanly_and_geocode_failed_fixes_them(
    nominatim_settings, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    from tests.nominatim_fake import FakeNominatim

    port = _free_port()
    nominatim_settings.NOMINATIM_URL = f"http://127.0.0.1:{port}"
    with django_capture_on_commit_callbacks(execute=True):
        school = SchoolFactory(city="Roma", street="Via Roma 1")
        ambassador = AmbassadorFactory(city="Milano")
    for member in (reload(school), reload(ambassador)):
        assert member.geocode_status == GeocodeStatus.FAILED
        assert member.geocode_error == (
            f"Nominatim at http://127.0.0.1:{port} is unreachable ([Errno 111] Connection refused)"
        )

    server = FakeNominatim(port=port).start()
    try:
        out = _call(call_command, "geocode", "--failed")
    finally:
        server.stop()
    assert "Geocoded 2 members: 2 ok, 0 failed" in out
    assert "2 provider calls" in out
    assert {m.geocode_status for m in Member.objects.all()} == {GeocodeStatus.OK}


def _call(call_command, *args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, "--no-progress", stdout=out, stderr=StringIO())
    return out.getvalue()


# --- manage.py geocode -------------------------------------------------------------------------


def test_geocode_command_pending_by_default_with_summary(gazetteer):
    from django.core.management import call_command

    pending = [
        *SchoolFactory.create_batch(3, city="Roma"),
        SchoolFactory(city="Lugano", country="CH"),
    ]
    failed = SchoolFactory(city="Milano", province="MI", geocode_status=GeocodeStatus.FAILED)
    out = _call(call_command, "geocode")
    assert out.strip() == (
        "Geocoded 4 members: 4 ok, 0 failed, 0 to place by hand, 0 skipped (no address), "
        "0 set by hand (left alone); 2 from cache, 0 placed by rule, 2 provider calls."
    )
    assert {reload(m).geocode_status for m in pending} == {GeocodeStatus.OK}
    assert reload(failed).geocode_status == GeocodeStatus.FAILED


def test_geocode_command_failed_all_member_and_dry_run(gazetteer):
    from django.core.management import call_command

    ok = SchoolFactory(city="Roma", geocode_status=GeocodeStatus.OK, latitude=1, longitude=1)
    failed = SchoolFactory(city="Milano", province="MI", geocode_status=GeocodeStatus.FAILED)
    manual = SchoolFactory(
        city="Roma", geocode_status=GeocodeStatus.MANUAL, latitude=2, longitude=2
    )

    out = _call(call_command, "geocode", "--all", "--dry-run")
    assert out.strip() == (
        "Dry run: 2 members to geocode, 0 set by hand (left alone), 0 placed by rule, "
        "0 answered by the cache, 2 distinct places to ask the providers. Nothing was written."
    )
    assert reload(failed).geocode_status == GeocodeStatus.FAILED
    assert reload(ok).coordinates == (1, 1)

    assert "Geocoded 1 members: 1 ok" in _call(call_command, "geocode", "--failed")
    assert reload(failed).geocode_status == GeocodeStatus.OK

    assert "Geocoded 2 members: 2 ok" in _call(call_command, "geocode", "--all")
    assert km(reload(ok).coordinates, ROME) < 5
    assert reload(manual).coordinates == (2, 2)

    out = _call(call_command, "geocode", "--member", str(manual.pk))
    assert "1 set by hand (left alone)" in out
    assert reload(manual).coordinates == (2, 2)


def test_geocode_command_rejects_unknown_member_and_mixed_flags(db):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="No member with id 999999"):
        _call(call_command, "geocode", "--member", "999999")
    with pytest.raises(CommandError, match="not allowed with argument"):
        _call(call_command, "geocode", "--failed", "--all")


# --- The production queue ----------------------------------------------------------------


# serialized_rollback: the chapters and sectors of the data migrations come back afterwards.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_database_queue_and_db_worker_retry_a_transient_failure(nominatim, nominatim_settings):
    """The production set-up: TASKS_BACKEND=database, `manage.py db_worker`, real commits."""
    from io import StringIO

    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    nominatim_settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    nominatim_settings.GEOCODER_RETRY_BACKOFF_SECONDS = 0  # due at once, for the test
    nominatim_settings.GEOCODER_RATE_LIMITED_SECONDS = 0  # and no pause after the 500
    nominatim.script = ["500"]  # the first request fails, the next ones succeed
    school = SchoolFactory(city="Roma")  # committed: the task is queued, not run
    assert reload(school).geocode_status == GeocodeStatus.PENDING
    assert list(DBTaskResult.objects.values_list("task_path", "status")) == [
        ("geocoding.tasks.members_geocode_task", "READY")
    ]
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO())
    assert sorted(DBTaskResult.objects.values_list("task_path", "status")) == [
        ("geocoding.tasks.members_geocode_retry_task", "SUCCESSFUL"),
        ("geocoding.tasks.members_geocode_task", "SUCCESSFUL"),
    ]
    school = reload(school)
    assert (school.geocode_status, school.geocode_attempts) == ("ok", 1)  # failures only
    assert len(nominatim.searches()) == 2


def test_geocode_command_shows_a_progress_bar(gazetteer):
    from io import StringIO

    from django.core.management import call_command

    SchoolFactory.create_batch(3, city="Roma")
    err = StringIO()
    call_command("geocode", stdout=StringIO(), stderr=err)
    assert "100%" in err.getvalue() and "3/3" in err.getvalue()


# --- Settings -----------------------------------------------------------------------------------


def _manage_check(**env) -> tuple[int, str]:
    import os
    import subprocess
    import sys

    from django.conf import settings

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": "sqlite:///:memory:", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"GEOCODERS": "nominatim"},
            "GEOCODER_USER_AGENT must be set when GEOCODERS includes nominatim",
        ),
        ({"GEOCODERS": "nominatim,google"}, "GEOCODERS must be a comma-separated list of"),
        ({"GEOCODER_TIMEOUT": "soon"}, "GEOCODER_TIMEOUT must be a number"),
        (
            {"GEOCODERS": "nominatim", "GEOCODER_USER_AGENT": "kindnet/1 (a@b.example)"}
            | {"GEOCODER_MIN_DELAY_SECONDS": "0.2"},
            "GEOCODER_MIN_DELAY_SECONDS must be at least 1.0 with the public Nominatim",
        ),
        (
            {"GEOCODERS": "nominatim", "GEOCODER_USER_AGENT": "kindnet/1 (a@b.example)"}
            | {"NOMINATIM_URL": "nominatim.example.org"},
            "NOMINATIM_URL must look like https://nominatim.example.org",
        ),
    ],
)
def test_bad_geocoding_settings_stop_start_up_with_a_clear_message(env, message):
    code, output = _manage_check(**env)
    assert code != 0
    assert message in output


def test_nominatim_in_production_wants_a_background_worker():
    env = {"GEOCODERS": "nominatim,offline", "GEOCODER_USER_AGENT": "kindnet/1 (a@b.example)"}
    code, output = _manage_check(**env, TASKS_BACKEND="immediate")
    assert code == 0 and "kindnet.W301" in output
    code, output = _manage_check(**env, TASKS_BACKEND="database")
    assert code == 0 and "kindnet.W301" not in output
