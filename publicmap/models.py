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
