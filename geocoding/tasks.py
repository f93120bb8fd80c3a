"""Background tasks of geocoding: thin wrappers that take member ids, never objects."""

from __future__ import annotations

from django_tasks import task

from crm.models import GeocodeStatus
from geocoding.services import members_geocode


@task()
def members_geocode_task(*, member_ids: list[int]) -> dict:
    """Geocode these members (all but those set by hand)."""
    return members_geocode(member_ids=member_ids).as_dict()


@task()
def members_geocode_retry_task(
    *, member_ids: list[int], expected: dict[str, str] | None = None
) -> dict:
    """A backoff retry: only those still failed at the address and failure count it was
    planned for (a moved member has a new chain of its own)."""
    return members_geocode(
        member_ids=member_ids, statuses=[GeocodeStatus.FAILED], expected=expected
    ).as_dict()
