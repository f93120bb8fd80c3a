"""The former name of `manage.py renewals`, kept for existing cron tables: the same run
(renewals with catch-up, reminders, mayors' terms), the same options."""

from __future__ import annotations

from crm.management.commands.renewals import Command as RenewalsCommand


class Command(RenewalsCommand):
    help = RenewalsCommand.help
