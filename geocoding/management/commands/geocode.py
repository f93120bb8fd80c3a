"""Geocode members now, in this process, through the configured GEOCODERS (cache first, one
provider call per distinct place, at the configured rate). Members whose coordinates
were set by hand are never touched.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from crm.commands import add_dry_run
from crm.models import GeocodeStatus, Member
from geocoding.services import members_geocode, members_to_geocode


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--pending", action="store_true", help="Members not geocoded yet (the default)."
        )
        which.add_argument(
            "--failed", action="store_true", help="Members whose geocoding failed: try again."
        )
        which.add_argument(
            "--all", action="store_true", help="Every member except those set by hand."
        )
        which.add_argument(
            "--member", type=int, action="append", metavar="ID", help="This member (repeatable)."
        )
        add_dry_run(parser, help="Say what would happen: no provider call, nothing written.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, **options) -> None:
        if options["member"]:
            ids = sorted(set(options["member"]))
            missing = set(ids) - set(Member.objects.filter(pk__in=ids).values_list("pk", flat=True))
            if missing:
                raise CommandError(
                    f"No member with id {', '.join(str(pk) for pk in sorted(missing))}."
                )
        elif options["all"]:
            ids = members_to_geocode()
        elif options["failed"]:
            ids = members_to_geocode(statuses=[GeocodeStatus.FAILED])
        else:
            ids = members_to_geocode(statuses=[GeocodeStatus.PENDING])
        dry_run = options["dry_run"]
        show_bar = not options["no_progress"] and options["verbosity"] > 0
        # The raw stream: tqdm redraws with carriage returns, which OutputWrapper would break.
        with tqdm(
            total=len(ids), unit="member", file=self.stderr._out, disable=not show_bar or not ids
        ) as bar:
            summary = members_geocode(member_ids=ids, dry_run=dry_run, progress=bar.update)
        if dry_run:
            self.stdout.write(
                f"Dry run: {summary.members} members to geocode, {summary.manual} set by hand "
                f"(left alone), {summary.fixed} placed by rule, {summary.cached} answered by the "
                f"cache, {summary.would_call} distinct places to ask the providers. Nothing "
                "was written."
            )
            return
        line = (
            f"Geocoded {summary.members} members: {summary.ok} ok, {summary.failed} failed, "
            f"{summary.unplaced} to place by hand, {summary.skipped} skipped (no address), "
            f"{summary.manual} set by hand (left alone); {summary.cached} from cache, "
            f"{summary.fixed} placed by rule, {summary.provider_calls} provider calls."
        )
        if summary.postponed:
            line += (
                f" {summary.postponed} postponed: the provider paused after an error; "
                "they are queued for later (or `manage.py geocode_sweep` picks them up)."
            )
        problems = summary.failed or summary.unplaced or summary.postponed
        style = self.style.WARNING if problems else self.style.SUCCESS
        self.stdout.write(style(line))
