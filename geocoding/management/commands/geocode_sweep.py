"""Queue again the members whose geocoding is overdue, and take over geocoding tasks whose
worker died. Run it every few minutes from cron or a systemd timer: it is idempotent,
bounded (GEOCODER_SWEEP_BATCH members per run, GEOCODER_SWEEP_DAILY_CAP times a day per
member) and two runs at once do the work once.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from geocoding.sweep import geocode_sweep


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options) -> None:
        summary = geocode_sweep()
        if summary.busy:
            self.stdout.write("Another geocode_sweep is running: nothing to do.")
            return
        self.stdout.write(
            f"Queued {summary.queued} members again; {summary.capped} reached today's cap; "
            f"{summary.tasks_taken_over} tasks of dead workers taken over."
        )
