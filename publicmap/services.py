"""The public map's one write: rebuilding its grid index."""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from publicmap.models import MapGridBuild, MapGridCell
from publicmap.selectors import map_grid_cells

#: The index's columns, in the order `map_grid_cells` selects them.
GRID_INDEX_COLUMNS = (
    "cell_x",
    "cell_y",
    "country",
    "kind",
    "chapter_id",
    "members",
    "lon_sum",
    "lat_sum",
    "west",
    "south",
    "east",
    "north",
    "first_id",
)


def map_grid_rebuild(*, version: float) -> int:
    """Rebuild the grid index from the members on the map and mark it built for the feed's
    `version` today; returns how many members it counts.

    One `INSERT … SELECT … GROUP BY` in the database. The row of `MapGridBuild` is locked
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
        sql, params = map_grid_cells().query.sql_with_params()
        table = connection.ops.quote_name(MapGridCell._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(c) for c in GRID_INDEX_COLUMNS)
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} ({columns}) {sql}", params)
        members = MapGridCell.objects.aggregate(total=Sum("members"))["total"] or 0
        state.version, state.day, state.members = version, today, members
        state.save()
    return members
