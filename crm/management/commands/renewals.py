"""The daily run of renewals and reminders; safe to run every day, and twice.

1. Auto-renewing agreements that ended (by today, or within --days) get their successor,
   as many periods as it takes after missed runs, with one notice each.
2. Reminders before an agreement ends, at AGREEMENT_REMINDER_DAYS (60, 30 and 7 days by
   default), to the chapter's staff and, where the agreement says so, to the member's
   primary contact; each threshold once per agreement.
3. What other apps register (crm/daily.py): a mayor's term that ends creates a
   re-confirmation follow-up and a reminder.
"""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from crm.commands import add_count, add_dry_run
from crm.daily import daily_duties_run
from crm.services import agreements_remind, agreements_renew_due


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        add_count(
            parser,
            "--days",
            default=0,
            help="Renew auto-renewing agreements this many days before they end "
            "(default 0: on the end date).",
        )
        add_dry_run(parser, help="Only print what would be renewed, reminded and created.")
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="Run as on this day (YYYY-MM-DD), e.g. to check a dry run ahead; today "
            "by default.",
        )

    def handle(self, *args, days: int, dry_run: bool, today, **options) -> None:
        if days < 0:
            raise CommandError("--days must be zero or more.")
        today = today or timezone.localdate()
        renewed = agreements_renew_due(today=today, days_ahead=days, dry_run=dry_run)
        reminded = agreements_remind(today=today, dry_run=dry_run)
        others = daily_duties_run(today=today, dry_run=dry_run)
        for line in [*renewed, *reminded, *others]:
            self.stdout.write(line)
        verb = "would be" if dry_run else ""
        summary = (
            f"{today}: {len(renewed)} agreement(s) {verb or 'were'} renewed, "
            f"{len(reminded)} reminder(s) {verb or 'were'} sent, "
            f"{len(others)} other action(s)"
        )
        self.stdout.write(
            self.style.SUCCESS(summary + (" (dry run: nothing changed)." if dry_run else "."))
        )
