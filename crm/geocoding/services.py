"""The geocoding pipeline: which members, in which order, through fixed point, cache, providers.

Saving a member never calls a geocoder: `crm.geocoding.signals` (or a bulk workflow) calls
`members_geocode_enqueue`, which schedules one task after the transaction commits; the task
(or `manage.py geocode`) runs `members_geocode`.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from crm.geocoding.cache import geocode_cache_get_many, geocode_cache_put
from crm.geocoding.providers import ProviderChain, geocoder_chain
from crm.geocoding.result import GeocodeQuery, GeocodeResult, GeocodingError
from crm.models import KIND_APP_LABELS, GeocodeStatus, Member
from crm.signals import network_changed_send

logger = logging.getLogger(__name__)

CHUNK_SIZE = 2000


@dataclass
class GeocodeSummary:
    """What a run did; printed by `manage.py geocode`, returned by the tasks."""

    members: int = 0
    ok: int = 0
    failed: int = 0
    skipped: int = 0
    manual: int = 0  # set by hand, left alone
    cached: int = 0  # answered by the cache (or by an earlier member of the same run)
    fixed: int = 0  # placed by Member.geocode_fixed_point()
    provider_calls: int = 0
    would_call: int = 0  # dry run: distinct queries a real run would send to providers
    retry_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Outcome:
    result: GeocodeResult | None = None
    error: str = ""
    retryable: bool = False
    skipped: bool = False


def members_geocode_enqueue(*, member_ids: Iterable[int]) -> None:
    """Schedule geocoding of `member_ids` as ONE background task, after the surrounding
    transaction commits (at once when there is none).

    The entry point for every workflow that creates or moves members: the save signal, bulk
    imports, join-request approval, the admin action. It never calls a geocoder itself and
    never fails the caller's save: if enqueuing fails after the commit, it is logged and the
    members stay `pending` for `manage.py geocode`. Members set by hand are left alone when
    the task runs.
    """
    ids = sorted({int(member_id) for member_id in member_ids})
    if ids:
        transaction.on_commit(partial(_enqueue, ids), robust=True)


def _enqueue(ids: list[int], *, run_after: datetime.datetime | None = None, retry: bool = False):
    from crm.geocoding import tasks

    task = tasks.members_geocode_retry_task if retry else tasks.members_geocode_task
    if run_after is not None:
        task = task.using(run_after=run_after)
    task.enqueue(member_ids=ids)


def members_to_geocode(*, statuses: Sequence[str] | None = None) -> list[int]:
    """Ids of members in `statuses` (every status but manual when None), oldest first."""
    members = Member.objects.exclude(geocode_status=GeocodeStatus.MANUAL)
    if statuses is not None:
        members = members.filter(geocode_status__in=statuses)
    return list(members.order_by("pk").values_list("pk", flat=True))


def members_geocode(
    *,
    member_ids: Iterable[int],
    statuses: Sequence[str] | None = None,
    dry_run: bool = False,
    chain: ProviderChain | None = None,
    progress: Callable[[int], None] | None = None,
) -> GeocodeSummary:
    """Geocode the given members (only those in `statuses`, when given); never `manual` ones.

    Order of questions per member: its `geocode_fixed_point()`, the result cache (one query
    per chunk), then the provider chain, once per distinct query in the run. Providers are
    called outside any transaction; each chunk's results are written in one transaction,
    each row only if it is still not manual and its address is still the one located.
    Transient failures are retried later with exponential backoff, up to
    GEOCODER_MAX_ATTEMPTS attempts, when the task backend can run tasks later.
    """
    chain = chain or geocoder_chain()
    calls_before = chain.total_calls
    summary = GeocodeSummary()
    seen: dict[str, _Outcome] = {}
    ids = sorted({int(member_id) for member_id in member_ids})
    for start in range(0, len(ids), CHUNK_SIZE):
        chunk = ids[start : start + CHUNK_SIZE]
        members = _members_as_kind(chunk, statuses)
        summary.members += len(members)
        outcomes = _locate(members, chain, seen, summary, dry_run=dry_run)
        if not dry_run:
            _write(members, outcomes, summary)
        if progress:
            progress(len(chunk))
    summary.provider_calls = chain.total_calls - calls_before
    if summary.retry_ids and not dry_run:
        _schedule_retries(summary.retry_ids)
    return summary


def _members_as_kind(ids: list[int], statuses: Sequence[str] | None) -> list[Member]:
    """Each member as its own kind (so kinds may override the hook): one query per kind."""
    rows = Member.objects.filter(pk__in=ids)
    if statuses is not None:
        rows = rows.filter(geocode_status__in=statuses)
    by_kind: dict[str, list[int]] = {}
    for pk, kind in rows.values_list("pk", "kind"):
        by_kind.setdefault(kind, []).append(pk)
    members: list[Member] = []
    for kind, pks in by_kind.items():
        model = apps.get_model(KIND_APP_LABELS[kind], kind)
        members.extend(model.objects.filter(pk__in=pks))
    return sorted(members, key=lambda member: member.pk)


def _locate(
    members: list[Member],
    chain: ProviderChain,
    seen: dict[str, _Outcome],
    summary: GeocodeSummary,
    *,
    dry_run: bool,
) -> dict[int, _Outcome]:
    outcomes: dict[int, _Outcome] = {}
    queries: dict[int, GeocodeQuery] = {}
    for member in members:
        if member.geocode_status == GeocodeStatus.MANUAL:
            summary.manual += 1
            continue
        fixed = member.geocode_fixed_point()
        if fixed is not None:
            outcomes[member.pk] = _Outcome(result=fixed)
            summary.fixed += 1
            continue
        query = member.geocode_query()
        if query.is_empty():
            outcomes[member.pk] = _Outcome(skipped=True)
            continue
        queries[member.pk] = query
    cached = geocode_cache_get_many(
        keys={query.key for query in queries.values() if query.key not in seen}
    )
    for pk, query in queries.items():
        if query.key in seen:
            summary.cached += 1
        elif query.key in cached:
            seen[query.key] = _Outcome(result=cached[query.key])
            summary.cached += 1
        elif dry_run:
            seen[query.key] = _Outcome()
            summary.would_call += 1
        else:
            seen[query.key] = _ask(chain, query)
        outcomes[pk] = seen[query.key]
    return outcomes


def _ask(chain: ProviderChain, query: GeocodeQuery) -> _Outcome:
    try:
        result, cacheable = chain.geocode(query)
    except GeocodingError as exc:
        return _Outcome(error=str(exc)[:300], retryable=exc.retryable)
    if cacheable:
        geocode_cache_put(query=query, result=result)
    return _Outcome(result=result)


def _write(members: list[Member], outcomes: dict[int, _Outcome], summary: GeocodeSummary):
    """Write a chunk's outcomes: rows re-read under lock, one UPDATE per distinct outcome.

    A row set by hand, or whose address changed since it was located (it has a new task of
    its own), is left as it is.
    """
    located = {m.pk: m._address_snapshot() for m in members if m.pk in outcomes}
    if not located:
        return
    now = timezone.now()
    address_fields = Member().address_fields()
    groups: dict[int, list[int]] = {}
    with transaction.atomic():
        rows = (
            Member.objects.select_for_update()
            .filter(pk__in=located)
            .values_list("pk", "geocode_status", "geocode_attempts", *address_fields)
        )
        for pk, status, attempts, *address in rows:
            current = tuple(str(value or "") for value in address)
            if status == GeocodeStatus.MANUAL or current != located[pk]:
                continue
            outcome = outcomes[pk]
            groups.setdefault(id(outcome), []).append(pk)
            _count(pk, outcome, attempts + 1, summary)
        for pks in groups.values():
            Member.objects.filter(pk__in=pks).update(**_values(outcomes[pks[0]], now))
    if groups:
        # UPDATE sends no signal: new coordinates must still reach the public map feed.
        network_changed_send(sender=Member, member_ids=None)


def _values(outcome: _Outcome, now: datetime.datetime) -> dict:
    if outcome.skipped:
        return {"geocode_status": GeocodeStatus.SKIPPED, "geocode_error": ""}
    if outcome.result is None:
        return {
            "geocode_status": GeocodeStatus.FAILED,
            "geocode_error": outcome.error,
            "geocode_attempts": F("geocode_attempts") + 1,
        }
    result = outcome.result
    return {
        "latitude": result.lat,
        "longitude": result.lon,
        "geocode_status": GeocodeStatus.OK,
        "geocode_precision": result.precision,
        "geocode_provider": result.provider,
        "geocoded_at": now,
        "geocode_error": "",
        "geocode_attempts": F("geocode_attempts") + 1,
    }


def _count(pk: int, outcome: _Outcome, attempts: int, summary: GeocodeSummary) -> None:
    if outcome.skipped:
        summary.skipped += 1
    elif outcome.result is not None:
        summary.ok += 1
    else:
        summary.failed += 1
        if outcome.retryable and attempts < settings.GEOCODER_MAX_ATTEMPTS:
            summary.retry_ids.append(pk)


def _schedule_retries(member_ids: list[int]) -> None:
    """Exponential backoff per attempt count, if the task backend can defer tasks."""
    from django_tasks import default_task_backend

    if not default_task_backend.supports_defer:
        logger.info(
            "Geocoding of %d members failed for now; the task backend cannot retry later, "
            "so `manage.py geocode --failed` will.",
            len(member_ids),
        )
        return
    base = settings.GEOCODER_RETRY_BACKOFF_SECONDS
    attempts = dict(Member.objects.filter(pk__in=member_ids).values_list("pk", "geocode_attempts"))
    by_attempt: dict[int, list[int]] = {}
    for pk in member_ids:
        by_attempt.setdefault(attempts.get(pk, 1), []).append(pk)
    now = timezone.now()
    for attempt, pks in sorted(by_attempt.items()):
        delay = base * 2 ** max(attempt - 1, 0)
        _enqueue(pks, run_after=now + datetime.timedelta(seconds=delay), retry=True)
