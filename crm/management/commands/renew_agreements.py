"""Renew the auto-renewing agreements that end within --days days (30 by default): each
gets its successor, starting the day after it ends. Safe to run every day.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from crm.commands import add_count, add_dry_run
from crm.services import agreements_auto_renew


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        add_count(
            parser,
            "--days",
            default=30,
            help="Renew agreements ending within this many days from today (default 30).",
        )
        add_dry_run(parser, help="Only list the agreements that would be renewed; change nothing.")

    def handle(self, *args, days: int, dry_run: bool, **options) -> None:
        if days < 0:
            raise CommandError("--days must be zero or more.")
        try:
            pairs = agreements_auto_renew(days=days, dry_run=dry_run)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        for agreement, successor in pairs:
            line = f"{agreement.reference} ({agreement.member}, ends {agreement.ends_on})"
            if successor is None:
                self.stdout.write(f"would renew {line}")
            else:
                self.stdout.write(
                    f"renewed {line} -> {successor.reference} "
                    f"({successor.starts_on} to {successor.ends_on})"
                )
        verb = "would be renewed" if dry_run else "renewed"
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(pairs)} agreement(s) ending within {days} days {verb}"
                + (" (dry run: nothing changed)." if dry_run else ".")
            )
        )
