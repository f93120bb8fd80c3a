from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .member import GeocodePrecision


class GeocodeCacheEntry(models.Model):
    """A provider's answer to one normalised query, shared by every worker and kept across
    restarts: members at the same address (or, for ambassadors, in the same city) cost one
    provider call in total."""

    key = models.CharField(_("key"), max_length=64, unique=True, help_text=_("SHA-256 of query."))
    query = models.CharField(_("normalised query"), max_length=600)
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    precision = models.CharField(_("precision"), max_length=12, choices=GeocodePrecision.choices)
    provider = models.CharField(_("source"), max_length=40)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("geocoding cache entry")
        verbose_name_plural = _("geocoding cache entries")
        ordering = ["query"]

    def __str__(self) -> str:
        return self.query


class GeocoderThrottle(models.Model):
    """The next free request slot of one provider, as seconds since the epoch.

    Every worker process reserves its slot here with one atomic UPDATE, so the whole
    application stays under the provider's rate limit, not each process on its own.
    """

    name = models.CharField(_("provider"), max_length=200, primary_key=True)
    next_slot = models.FloatField(_("next free slot"), default=0.0)

    class Meta:
        verbose_name = _("geocoder throttle")
        verbose_name_plural = _("geocoder throttles")

    def __str__(self) -> str:
        return self.name
