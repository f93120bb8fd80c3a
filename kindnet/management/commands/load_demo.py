"""Load the demo network (Italian and Swiss schools, companies, organisations,
municipalities, ambassadors with agreements in every status). Safe to run twice. With
--members N, add N synthetic members for benchmarks instead.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from crm.commands import add_count
from kindnet.demo import DemoLoader, synthetic_network_create


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        add_count(
            parser,
            "--members",
            default=0,
            help="Add this many synthetic, already located members (for benchmarks).",
        )

    def handle(self, *args, members: int, **options) -> None:
        if members < 0:
            self.stderr.write(self.style.ERROR("--members must be zero or more."))
            raise SystemExit(2)
        if members:
            made = synthetic_network_create(members=members)
            self.stdout.write(self.style.SUCCESS(f"Added {made} synthetic members."))
            return
        counts = DemoLoader().load()
        if counts:
            summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
            self.stdout.write(self.style.SUCCESS(f"Demo network loaded: {summary}."))
        else:
            self.stdout.write("Demo network already loaded: nothing to add.")
