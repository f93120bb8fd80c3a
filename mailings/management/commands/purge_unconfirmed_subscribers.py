"""Delete newsletter sign-ups never confirmed within NEWSLETTER_UNCONFIRMED_DAYS days (the
sign-up page promises it). Safe to run every day, and twice at once."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from crm.commands import add_dry_run
from mailings.services import subscribers_unconfirmed_purge


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        add_dry_run(parser, help="Only count what is due; delete nothing.")

    def handle(self, *args, dry_run: bool, **options) -> None:
        count = subscribers_unconfirmed_purge(dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(
            f"Sign-ups unconfirmed for {settings.NEWSLETTER_UNCONFIRMED_DAYS} days: {count} {verb}."
        )
