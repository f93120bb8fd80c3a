"""The public map's own data: only the version of its feed."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class MapFeedVersion(models.Model):
    """When the network last changed as far as the public map is concerned (a UNIX time).

    One row (primary key 1). It exists because the default cache is local memory, one per
    process: a version kept there is not seen by `manage.py import`, a task worker or the
    other web processes, so the feed could lag behind their changes by up to
    MAP_CACHE_TIMEOUT. The database is shared by every process in every set-up.
    `publicmap.cache` uses this row unless the cache itself is shared (Redis, …).
    """

    ROW = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=ROW)
    version = models.FloatField(_("version"), default=0.0)

    class Meta:
        verbose_name = _("map feed version")
        verbose_name_plural = _("map feed versions")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="publicmap_feed_version_one_row")
        ]

    def __str__(self) -> str:
        return f"{self.version:.6f}"


class MapGridBuild(models.Model):
    """For which feed version and day the grid index (`MapGridCell`) was built, and how many
    members it counts. One row (primary key 1); the index is used only while both match."""

    ROW = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=ROW)
    version = models.FloatField(_("feed version"), default=0.0)
    day = models.DateField(_("day"), null=True)
    members = models.PositiveIntegerField(_("members"), default=0)

    class Meta:
        verbose_name = _("map grid build")
        verbose_name_plural = _("map grid builds")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="publicmap_grid_build_one_row")
        ]

    def __str__(self) -> str:
        return f"{self.version:.6f} {self.day} {self.members}"


class MapGridCell(models.Model):
    """The members of the public map in one cell of the cluster grid at one of the index's
    zooms (GRID_INDEX_ZOOMS), per kind, country and chapter: the per-zoom index of large
    networks. A cluster of a zoom is a sum of the rows of the next index zoom at or above
    it, so a world view reads hundreds of rows, not a million members. Rebuilt from the
    members (`publicmap.services.map_grid_rebuild`)."""

    zoom = models.PositiveSmallIntegerField()
    cell_x = models.IntegerField()
    cell_y = models.IntegerField()
    kind = models.CharField(max_length=20)
    country = models.CharField(max_length=2)
    chapter_id = models.BigIntegerField(null=True)
    members = models.PositiveIntegerField()
    lon_sum = models.FloatField()
    lat_sum = models.FloatField()
    west = models.FloatField()
    south = models.FloatField()
    east = models.FloatField()
    north = models.FloatField()
    first_id = models.BigIntegerField()

    class Meta:
        verbose_name = _("map grid cell")
        verbose_name_plural = _("map grid cells")
        indexes = [
            models.Index(fields=["zoom", "cell_y", "cell_x"], name="publicmap_grid_cell_zyx")
        ]

    def __str__(self) -> str:
        return f"{self.cell_x},{self.cell_y} {self.kind} {self.country}: {self.members}"
