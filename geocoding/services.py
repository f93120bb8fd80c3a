"""The geocoding pipeline: which members, in which order, through fixed point, cache, providers.

Saving a member never calls a geocoder: `geocoding.receivers` (or a bulk workflow) calls
`members_geocode_enqueue`, which schedules one task after the transaction commits; the task
(or `manage.py geocode`) runs `members_geocode`.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from crm.models import KIND_APP_LABELS, GeocodeStatus, Member, MemberKind
from crm.signals import network_changed_send
from geocoding.cache import (
    CachedMiss,
    geocode_cache_get_many,
    geocode_cache_put,
    geocode_cache_put_miss,
)
from geocoding.claims import current_claim, query_claim, query_release
from geocoding.divisions import division_resolve
from geocoding.providers import ProviderChain, geocoder_chain
from geocoding.rate_limit import CLAIM_SLACK_SECONDS
from geocoding.result import (
    GeocodeQuery,
    GeocodeResult,
    GeocodingError,
    PlaceAmbiguous,
    ProviderPaused,
)

logger = logging.getLogger(__name__)

CHUNK_SIZE = 2000
#: How long a run waits at most for answers that other processes are getting.
WAIT_FOR_OTHERS_SECONDS = 600


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
    unplaced: int = 0  # ambiguous, or no place in the official list: staff place them
    postponed: int = 0  # not asked: the provider paused after an error; queued for later
    provider_calls: int = 0
    would_call: int = 0  # dry run: distinct queries a real run would send to providers
    retry_ids: list[int] = field(default_factory=list)
    postponed_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Outcome:
    result: GeocodeResult | None = None
    error: str = ""
    retryable: bool = False
    skipped: bool = False
    unplaced: bool = False  # ambiguous, or a code without a place: staff decide
    postponed: bool = False  # never asked (the provider paused): nothing is written


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


def _enqueue(
    ids: list[int],
    *,
    run_after: datetime.datetime | None = None,
    expected: dict[str, str] | None = None,
):
    from geocoding import tasks

    task = tasks.members_geocode_retry_task if expected is not None else tasks.members_geocode_task
    if run_after is not None:
        task = task.using(run_after=run_after)
    if expected is not None:
        task.enqueue(member_ids=ids, expected=expected)
    else:
        task.enqueue(member_ids=ids)


def member_geocode_query(*, member: Member) -> GeocodeQuery:
    """What providers are asked. Ambassadors are people: only their city ever leaves the
    database, so they are located at city precision and share the city's cache entry."""
    city_only = member.kind == MemberKind.AMBASSADOR
    country = str(member.country or "")
    # The province and region belong to the place (two Castros are two queries); known
    # ones in one canonical spelling, so "BG" and "Bergamo" share a cache entry.
    division = division_resolve(country=country, province=member.province, region=member.region)
    return GeocodeQuery(
        country=country,
        city=member.city.strip(),
        postal_code="" if city_only else member.postal_code.strip(),
        street="" if city_only else member.street.strip(),
        city_only=city_only,
        province=division.province_code or member.province.strip(),
        region=division.region if division.admin1 else member.region.strip(),
    )


def member_geocode_fingerprint(*, attempts: int, address: Sequence[str]) -> str:
    """What a retry expects to find: the failures so far at this address. A retry chain
    whose member moved (or was geocoded again meanwhile) finds another and stops."""
    digest = hashlib.sha256("|".join(address).encode()).hexdigest()[:16]
    return f"{attempts}:{digest}"


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
    expected: dict[str, str] | None = None,
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
    GEOCODER_MAX_ATTEMPTS failures, when the task backend can run tasks later. After a
    provider error the rest of the run is not asked (everyone pauses): those members are
    queued again for after the pause. `expected` (a retry's fingerprints by member id)
    leaves out members that moved or were geocoded since the retry was planned.
    """
    chain = chain or geocoder_chain()
    calls_before = chain.total_calls
    summary = GeocodeSummary()
    seen: dict[str, _Outcome] = {}
    ids = sorted({int(member_id) for member_id in member_ids})
    for start in range(0, len(ids), CHUNK_SIZE):
        chunk = ids[start : start + CHUNK_SIZE]
        members = _members_as_kind(chunk, statuses)
        if expected is not None:
            members = [
                m
                for m in members
                if expected.get(str(m.pk))
                == member_geocode_fingerprint(
                    attempts=m.geocode_attempts, address=m._address_snapshot()
                )
            ]
        summary.members += len(members)
        outcomes = _locate(members, chain, seen, summary, dry_run=dry_run)
        if not dry_run:
            _write(members, outcomes, summary)
        if progress:
            progress(len(chunk))
    summary.provider_calls = chain.total_calls - calls_before
    if summary.retry_ids and not dry_run:
        _schedule_retries(summary.retry_ids)
    if summary.postponed_ids and not dry_run:
        _schedule_postponed(summary.postponed_ids)
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
            outcomes[member.pk] = _fixed_outcome(fixed)
            summary.fixed += 1
            continue
        query = member_geocode_query(member=member)
        if query.is_empty():
            outcomes[member.pk] = _Outcome(skipped=True)
            continue
        queries[member.pk] = query
    cached = geocode_cache_get_many(
        keys={query.key for query in queries.values() if query.key not in seen}
    )
    to_ask: dict[str, GeocodeQuery] = {}
    for query in queries.values():
        if query.key in seen:
            summary.cached += 1
        elif query.key in cached:
            seen[query.key] = _cached_outcome(cached[query.key])
            summary.cached += 1
        elif dry_run:
            seen[query.key] = _Outcome()
            summary.would_call += 1
        elif query.key in to_ask:
            summary.cached += 1  # an earlier member of this run asks it
        else:
            to_ask[query.key] = query
    _ask_all(chain, to_ask, seen)
    return {**outcomes, **{pk: seen[query.key] for pk, query in queries.items()}}


def _fixed_outcome(fixed) -> _Outcome:
    if fixed.latitude is None or fixed.longitude is None:
        return _Outcome(error=fixed.problem[:300], unplaced=True)
    result = GeocodeResult(fixed.latitude, fixed.longitude, fixed.precision, fixed.source)
    return _Outcome(result=result)


def _cached_outcome(answer: GeocodeResult | CachedMiss) -> _Outcome:
    if isinstance(answer, CachedMiss):
        return _Outcome(error=answer.error, unplaced=answer.ambiguous)
    return _Outcome(result=answer)


def _claim_seconds() -> float:
    # Enough to look in the cache and reserve a slot; the rate limiter then stretches the
    # claim over the wait and the request. A dead holder's claim ends soon after.
    return settings.GEOCODER_TIMEOUT + CLAIM_SLACK_SECONDS


def _ask_all(chain: ProviderChain, to_ask: dict[str, GeocodeQuery], seen: dict) -> None:
    """Ask each query at most once across all processes: claim it, look in the cache again
    (another process may have just answered), ask, release. A query claimed by another
    process is waited for at the end (its answer lands in the cache). After a provider
    error, the rest is postponed rather than probed."""
    waiting: list[GeocodeQuery] = []
    paused = False
    for query in to_ask.values():
        if paused:
            seen[query.key] = _Outcome(postponed=True)
        elif not _ask_claimed(chain, query, seen):
            waiting.append(query)
        else:
            paused = seen[query.key].retryable
    # A live holder may wait long for its slot (its claim says how long); a dead one's
    # claim ends soon. The deadline only guards against a stuck database.
    deadline = time.monotonic() + _claim_seconds() + WAIT_FOR_OTHERS_SECONDS
    while waiting:
        for query in list(waiting):
            if paused:
                seen[query.key] = _Outcome(postponed=True)
            else:
                answer = geocode_cache_get_many(keys=[query.key]).get(query.key)
                if answer is not None:
                    seen[query.key] = _cached_outcome(answer)
                elif not _ask_claimed(chain, query, seen):
                    continue
                paused = seen[query.key].retryable
            waiting.remove(query)
        if waiting:
            if time.monotonic() > deadline:  # pragma: no cover - a stuck database
                for query in waiting:
                    seen[query.key] = _Outcome(postponed=True)
                return
            time.sleep(0.1)


def _ask_claimed(chain: ProviderChain, query: GeocodeQuery, seen: dict) -> bool:
    if not query_claim(key=query.key, seconds=_claim_seconds()):
        return False
    token = current_claim.set(query.key)
    try:
        answer = geocode_cache_get_many(keys=[query.key]).get(query.key)
        seen[query.key] = _cached_outcome(answer) if answer is not None else _ask(chain, query)
    finally:
        current_claim.reset(token)
        query_release(key=query.key)
    return True


def _ask(chain: ProviderChain, query: GeocodeQuery) -> _Outcome:
    try:
        result, cacheable = chain.geocode(query)
    except ProviderPaused:
        return _Outcome(postponed=True, retryable=True)  # nothing was sent
    except GeocodingError as exc:
        error = str(exc)[:300]
        if not exc.retryable:
            geocode_cache_put_miss(
                query=query, error=error, ambiguous=isinstance(exc, PlaceAmbiguous)
            )
        return _Outcome(
            error=error, retryable=exc.retryable, unplaced=isinstance(exc, PlaceAmbiguous)
        )
    if cacheable:
        geocode_cache_put(query=query, result=result)
    return _Outcome(result=result)


def _write(members: list[Member], outcomes: dict[int, _Outcome], summary: GeocodeSummary):
    """Write a chunk's outcomes: rows re-read under lock, one UPDATE per distinct outcome.

    A row set by hand, or whose address changed since it was located (it has a new task of
    its own), is left as it is; so is a postponed one (it is queued again).
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
            if outcome.postponed:
                summary.postponed += 1
                summary.postponed_ids.append(pk)
                continue
            groups.setdefault(id(outcome), []).append(pk)
            _count(pk, outcome, attempts + 1, summary)
        for pks in groups.values():
            Member.objects.filter(pk__in=pks).update(**_values(outcomes[pks[0]], now))
    if groups:
        # UPDATE sends no signal: new coordinates must still reach the public map feed.
        network_changed_send(
            sender=Member, member_ids=[pk for pks in groups.values() for pk in pks]
        )


def _values(outcome: _Outcome, now: datetime.datetime) -> dict:
    """The columns an outcome sets. `geocode_attempts` counts failures only; `updated_at`
    is when the sweep's clock starts."""
    if outcome.skipped:
        return {"geocode_status": GeocodeStatus.SKIPPED, "geocode_error": "", "updated_at": now}
    if outcome.unplaced:
        return {
            "latitude": None,
            "longitude": None,
            "geocode_status": GeocodeStatus.UNPLACED,
            "geocode_precision": "",
            "geocode_provider": "",
            "geocode_error": outcome.error,
            "updated_at": now,
        }
    if outcome.result is None:
        return {
            "geocode_status": GeocodeStatus.FAILED,
            "geocode_error": outcome.error,
            "geocode_attempts": F("geocode_attempts") + 1,
            "updated_at": now,
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
        "updated_at": now,
    }


def _count(pk: int, outcome: _Outcome, attempts: int, summary: GeocodeSummary) -> None:
    if outcome.skipped:
        summary.skipped += 1
    elif outcome.unplaced:
        summary.unplaced += 1
    elif outcome.result is not None:
        summary.ok += 1
    else:
        summary.failed += 1
        if outcome.retryable and attempts < settings.GEOCODER_MAX_ATTEMPTS:
            summary.retry_ids.append(pk)


def _task_backend_defers() -> bool:
    from django_tasks import default_task_backend

    return default_task_backend.supports_defer


def _schedule_retries(member_ids: list[int]) -> None:
    """Exponential backoff per failure count, if the task backend can defer tasks. Each
    retry carries its members' fingerprints: a member that moves meanwhile leaves the chain."""
    if not _task_backend_defers():
        logger.info(
            "Geocoding of %d members failed for now; the task backend cannot retry later, "
            "so `manage.py geocode_sweep` (or `geocode --failed`) will.",
            len(member_ids),
        )
        return
    base = settings.GEOCODER_RETRY_BACKOFF_SECONDS
    address_fields = Member().address_fields()
    rows = Member.objects.filter(pk__in=member_ids).values_list(
        "pk", "geocode_attempts", *address_fields
    )
    by_attempt: dict[int, dict[str, str]] = {}
    for pk, attempts, *address in rows:
        fingerprint = member_geocode_fingerprint(
            attempts=attempts, address=[str(value or "") for value in address]
        )
        by_attempt.setdefault(attempts, {})[str(pk)] = fingerprint
    now = timezone.now()
    for attempt, expected in sorted(by_attempt.items()):
        delay = base * 2 ** max(attempt - 1, 0)
        ids = sorted(int(pk) for pk in expected)
        _enqueue(ids, run_after=now + datetime.timedelta(seconds=delay), expected=expected)


def _schedule_postponed(member_ids: list[int]) -> None:
    """Members not asked because the provider paused: one task after the pause (the sweep
    picks them up when the backend cannot run tasks later)."""
    if not _task_backend_defers():
        return
    delay = max(settings.GEOCODER_RATE_LIMITED_SECONDS, settings.GEOCODER_RETRY_BACKOFF_SECONDS)
    _enqueue(sorted(member_ids), run_after=timezone.now() + datetime.timedelta(seconds=delay))
