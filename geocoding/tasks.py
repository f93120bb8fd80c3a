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
def members_geocode_retry_task(*, member_ids: list[int]) -> dict:
    """A backoff retry: only those still failed (a moved member has its own new task)."""
    return members_geocode(member_ids=member_ids, statuses=[GeocodeStatus.FAILED]).as_dict()
