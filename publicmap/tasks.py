"""Background tasks of the public map: thin wrappers around its services."""

from __future__ import annotations

from django_tasks import task

from publicmap.services import map_grid_rebuild


@task()
def map_grid_rebuild_task(*, version: float) -> int:
    """Rebuild the grid index for the feed's `version` (skipped if already built for it)."""
    return map_grid_rebuild(version=version)
