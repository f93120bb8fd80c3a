from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField


class Chapter(models.Model):
    """A country chapter of the movement (Italy, Switzerland, …) that looks after its members."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    country = CountryField(
        _("country"), unique=True, help_text=_("The country this chapter looks after.")
    )
    email = models.EmailField(
        _("staff e-mail"),
        blank=True,
        help_text=_("Where notifications for this chapter's staff are sent."),
    )

    class Meta:
        verbose_name = _("chapter")
        verbose_name_plural = _("chapters")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Sector(models.Model):
    """An area of intervention of the movement (education, health, …), editable by staff."""

    slug = models.SlugField(_("code"), max_length=40, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=80)
    name_it = models.CharField(_("name (Italian)"), max_length=80)

    class Meta:
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")
        ordering = ["name_en"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_for(None)

    def name_for(self, language: str | None) -> str:
        """The sector's name in `language` (the active language when None), English as fallback."""
        from django.utils.translation import get_language

        language = (language or get_language() or "en")[:2]
        return self.name_it if language == "it" and self.name_it else self.name_en
