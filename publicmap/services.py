"""The public map's one write: rebuilding its grid index."""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from publicmap.models import MapGridBuild, MapGridCell
from publicmap.selectors import GRID_INDEX_ZOOMS, GRID_ROW_COLUMNS, map_grid_cells


def map_grid_rebuild(*, version: float) -> int:
    """Rebuild the grid index from the members on the map and mark it built for the feed's
    `version` today; returns how many members it counts.

    One `INSERT … SELECT … GROUP BY` of the members for the finest zoom of the index, then
    one per coarser zoom from the rows of the finest. The row of `MapGridBuild` is locked
    first: a second rebuild for the same version waits, then finds it done. Readers keep
    seeing the previous index (and its previous version, which they no longer use) until
    the commit. The version must have been read before this call, so that a change made
    meanwhile leaves the index marked with an older version: out of date, never wrong.
    """
    today = timezone.localdate()
    with transaction.atomic():
        MapGridBuild.objects.bulk_create([MapGridBuild()], ignore_conflicts=True)
        state = MapGridBuild.objects.select_for_update().get(pk=MapGridBuild.ROW)
        if state.version == version and state.day == today:
            return state.members
        MapGridCell.objects.all().delete()
        table = connection.ops.quote_name(MapGridCell._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(c) for c in ("zoom", *GRID_ROW_COLUMNS))
        for zoom in reversed(GRID_INDEX_ZOOMS):
            sql, params = map_grid_cells(zoom).query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute(f"INSERT INTO {table} ({columns}) {sql}", params)
        finest = MapGridCell.objects.filter(zoom=GRID_INDEX_ZOOMS[-1])
        members = finest.aggregate(total=Sum("members"))["total"] or 0
        state.version, state.day, state.members = version, today, members
        state.save()
    return members
