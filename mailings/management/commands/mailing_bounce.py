"""Record addresses that bounced (or were reported as spam): no mailing goes to them any
more, from the next batch on. For a provider's bounce report, or a webhook's relay:

    manage.py mailing_bounce --email anna@example.org [--email …] [--reason complained]
    manage.py mailing_bounce --file bounces.txt     (one address a line)
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email

from mailings.models import SuppressionReason
from mailings.services import address_suppress


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", action="append", default=[], help="An address (repeatable).")
        parser.add_argument("--file", help="A text file with one address a line.")
        parser.add_argument(
            "--reason",
            choices=[SuppressionReason.BOUNCED, SuppressionReason.COMPLAINED],
            default=SuppressionReason.BOUNCED,
        )

    def handle(self, *args, email: list[str], file: str | None, reason: str, **options) -> None:
        addresses = [e.strip() for e in email if e.strip()]
        if file:
            try:
                with open(file, encoding="utf-8") as handle:
                    addresses += [line.strip() for line in handle if line.strip()]
            except OSError as exc:
                raise CommandError(f"Cannot read {file}: {exc.strerror}.") from None
        if not addresses:
            raise CommandError("Give at least one --email or a --file.")
        bad = []
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                bad.append(address)
        if bad:
            raise CommandError(f"Not e-mail addresses (nothing recorded): {', '.join(bad)}")
        new = sum(
            address_suppress(email=a, reason=reason, source="manage.py mailing_bounce")
            for a in addresses
        )
        self.stdout.write(
            f"{new} addresses recorded as {reason}; {len(addresses) - new} already were."
        )
