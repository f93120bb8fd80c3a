"""Delete what the privacy notice says is kept no longer: rejected and withdrawn join
requests decided more than JOIN_REQUEST_RETENTION_DAYS days ago, with their resolution PDFs,
their history and their consent records. Safe to run every day, and twice at once: each
run deletes what is due and still there.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from crm.commands import add_dry_run
from municipalities.services import join_requests_retention_apply


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        add_dry_run(parser, help="Only count what is due; delete nothing.")

    def handle(self, *args, dry_run: bool, **options) -> None:
        references = join_requests_retention_apply(dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        for reference in references:
            self.stdout.write(f"{verb} join request {reference}")
        self.stdout.write(f"Join requests past retention: {len(references)} {verb}.")
