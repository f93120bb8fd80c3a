"""Widgets that read human values from a spreadsheet cell and write them back.

Lookups (chapters, sectors) are loaded once per import by `load()`, which the
resource calls in `before_import`, so a file of 50,000 rows costs the same queries
as a file of five. Every error is a ValueError in plain words with the cell's value.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _
from import_export import widgets

from crm.models import Chapter, Sector
from crm.names import place_name_normalize

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y")
SECTOR_SEPARATORS = re.compile(r"\s*;\s*")


def cell_text(value: object) -> str:
    """A cell as trimmed text; whole numbers that Excel stored as floats lose their '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class TextWidget(widgets.CharWidget):
    """Text, trimmed; numbers typed into a text column (codes, postal codes) kept as typed."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("coerce_to_string", True)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)

    def clean(self, value, row=None, **kwargs) -> str:
        return cell_text(value)


class WholeNumberWidget(widgets.IntegerWidget):
    def clean(self, value, row=None, **kwargs) -> int | None:
        text = cell_text(value).replace("'", "").replace(" ", "")
        if not text:
            return None
        if not text.isdigit():
            raise ValueError(_("“%(value)s” is not a whole number.") % {"value": cell_text(value)})
        return int(text)


class DayWidget(widgets.DateWidget):
    """Dates as ISO (2026-03-31) or as Italians and Swiss write them (31/03/2026, 31.03.2026)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)

    def clean(self, value, row=None, **kwargs) -> datetime.date | None:
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        text = cell_text(value)
        if not text:
            return None
        for fmt in DATE_FORMATS:
            try:
                return datetime.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        raise ValueError(
            _("“%(value)s” is not a date; write it as 2026-03-31 or 31/03/2026.") % {"value": text}
        )


class YesNoWidget(widgets.BooleanWidget):
    """Booleans as people type them: yes/no, sì/no, true/false, 1/0, x; empty keeps the default."""

    TRUE = {"1", "yes", "y", "si", "sì", "true", "x", "ja", "oui", "vero"}
    FALSE = {"0", "no", "n", "false", "nein", "non", "falso"}

    def clean(self, value, row=None, **kwargs) -> bool | None:
        if isinstance(value, bool):
            return value
        text = cell_text(value).lower()
        if not text:
            return None
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValueError(_("“%(value)s” is not yes or no.") % {"value": cell_text(value)})

    def render(self, value, obj=None, **kwargs) -> str:
        return "" if value is None else ("yes" if value else "no")


class ChoiceWidget(TextWidget):
    """A choice by its code or its label, in English or Italian ("primary", "Scuola primaria")."""

    def __init__(self, choices: Iterable[tuple[str, object]], **kwargs) -> None:
        super().__init__(**kwargs)
        self.choices = list(choices)
        self._by_text: dict[str, str] | None = None

    def _index(self) -> dict[str, str]:
        if self._by_text is None:
            index: dict[str, str] = {}
            for value, label in self.choices:
                index[place_name_normalize(value)] = value
                for language in ("en", "it"):
                    with translation.override(language):
                        index.setdefault(place_name_normalize(str(label)), value)
            self._by_text = index
        return self._by_text

    def clean(self, value, row=None, **kwargs) -> str:
        text = cell_text(value)
        if not text:
            return ""
        found = self._index().get(place_name_normalize(text))
        if found is None:
            raise ValueError(
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": text, "choices": ", ".join(v for v, _label in self.choices)}
            )
        return found


class ChapterWidget(widgets.ForeignKeyWidget):
    """A chapter by its name ("Italy") or its country code ("IT"), looked up once per import."""

    def __init__(self, **kwargs) -> None:
        super().__init__(Chapter, **kwargs)
        self.by_text: dict[str, Chapter] | None = None
        self.by_country: dict[str, Chapter] = {}

    def load(self) -> None:
        chapters = list(Chapter.objects.all())
        self.by_country = {str(c.country): c for c in chapters}
        self.by_text = {place_name_normalize(c.name): c for c in chapters}
        self.by_text.update({code.lower(): c for code, c in self.by_country.items()})

    def clean(self, value, row=None, **kwargs) -> Chapter | None:
        text = cell_text(value)
        if not text:
            return None
        if self.by_text is None:
            self.load()
        chapter = self.by_text.get(place_name_normalize(text))
        if chapter is None:
            known = ", ".join(f"{c.name} ({code})" for code, c in sorted(self.by_country.items()))
            raise ValueError(
                _("No chapter is called “%(value)s”; known chapters: %(known)s.")
                % {"value": text, "known": known or _("none yet")}
            )
        return chapter

    def render(self, value: Chapter | None, obj=None, **kwargs) -> str:
        return value.name if value else ""


class SectorsWidget(widgets.ManyToManyWidget):
    """Sectors by English or Italian name or code, separated by ';' (or ',').

    A whole cell that names one sector wins over splitting it, so a sector whose name
    holds a comma still reads back.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(Sector, separator="; ", **kwargs)
        self.by_text: dict[str, Sector] | None = None

    def load(self) -> None:
        index: dict[str, Sector] = {}
        for sector in Sector.objects.all():
            for text in (sector.slug, sector.name_en, sector.name_it):
                if text:
                    index.setdefault(place_name_normalize(text), sector)
        self.by_text = index

    def clean(self, value, row=None, **kwargs) -> list[Sector]:
        text = cell_text(value)
        if not text:
            return []
        if self.by_text is None:
            self.load()
        whole = self.by_text.get(place_name_normalize(text))
        if whole is not None:
            return [whole]
        parts = SECTOR_SEPARATORS.split(text) if ";" in text else text.split(",")
        found, unknown = [], []
        for part in (p.strip() for p in parts):
            if not part:
                continue
            sector = self.by_text.get(place_name_normalize(part))
            if sector is None:
                unknown.append(part)
            elif sector not in found:
                found.append(sector)
        if unknown:
            known = sorted({s.name_en for s in self.by_text.values()})
            raise ValueError(
                _("Unknown sector %(unknown)s; known sectors: %(known)s.")
                % {
                    "unknown": ", ".join(f"“{u}”" for u in unknown),
                    "known": ", ".join(known) or _("none yet"),
                }
            )
        return found

    def render(self, value, obj=None, **kwargs) -> str:
        if value is None:
            return ""
        sectors = value.all() if isinstance(value, models.Manager) else value
        return "; ".join(sorted(s.name_en for s in sectors))


class CountryWidget(TextWidget):
    """A country by ISO code ("IT", "CHE") or by name in English or Italian ("Svizzera")."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._cache: dict[str, str] = {}

    def clean(self, value, row=None, **kwargs) -> str:
        text = cell_text(value)
        if not text:
            return ""
        if text not in self._cache:
            from django_countries import countries

            code = countries.alpha2(text) if len(text) <= 3 else ""
            for language in ("en", "it"):
                code = code or countries.by_name(text, language=language)
            if not code:
                raise ValueError(
                    _("“%(value)s” is not a country; write its code, e.g. IT or CH.")
                    % {"value": text}
                )
            self._cache[text] = code
        return self._cache[text]

    def render(self, value, obj=None, **kwargs) -> str:
        return getattr(value, "code", value) or ""


class StaffUserWidget(widgets.ForeignKeyWidget):
    """A staff user by username (any case); the usernames are loaded once per import."""

    def __init__(self, **kwargs) -> None:
        super().__init__(get_user_model(), field="username", **kwargs)
        self.by_name: dict[str, object] | None = None

    def load(self) -> None:
        self.by_name = {
            user.username.lower(): user
            for user in get_user_model().objects.filter(is_staff=True, is_active=True)
        }

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return None
        if self.by_name is None:
            self.load()
        user = self.by_name.get(text.lower())
        if user is None:
            raise ValueError(
                _("“%(value)s” is not the username of active staff.") % {"value": text}
            )
        return user

    def render(self, value, obj=None, **kwargs) -> str:
        return value.get_username() if value else ""
