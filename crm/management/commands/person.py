"""Everything stored about one person, or its erasure (GDPR / Swiss FADP):

  manage.py person export --email anna@example.org [--output anna.json] [--user dpo]
  manage.py person erase --email anna@example.org [--noinput] [--user dpo]

`export` writes JSON: every row that names the person (members, contacts, join requests,
consent events, history, the admin's log). `erase` anonymises the person everywhere, history
included, keeps the rows (so counts stay right) and records that an erasure happened.
Both are recorded as accesses to personal data, with --user as who (it needs the
permission crm.process_personal_data).
"""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email

from crm.commands import user_for
from crm.people import person_erase, person_export, person_rows_find

PERMISSION = "crm.process_personal_data"


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["export", "erase"])
        parser.add_argument("--email", required=True, help="The person's e-mail (any case).")
        parser.add_argument("--output", help="export: write to this file instead of stdout.")
        parser.add_argument(
            "--user", help=f"Who asks (recorded); needs the permission {PERMISSION}."
        )
        parser.add_argument(
            "--noinput", "--no-input", action="store_true", help="erase: do not ask to confirm."
        )

    def handle(self, *args, action: str, email: str, **options) -> None:
        try:
            validate_email(email.strip())
        except ValidationError as exc:
            raise CommandError(f"--email: {email!r} is not an e-mail address.") from exc
        user = user_for(options.get("user"), perms=[PERMISSION])
        if action == "export":
            data = json.dumps(person_export(email=email, by=user), indent=2, default=str)
            if options.get("output"):
                with open(options["output"], "w", encoding="utf-8") as handle:
                    handle.write(data)
                self.stderr.write(f"Written to {options['output']}.")
            else:
                self.stdout.write(data)
            return
        found = person_rows_find(email=email)
        if not found.rows and not found.mentions:
            raise CommandError(f"Nothing is stored about {email}: nothing to erase.")
        if not options["noinput"]:
            answer = input(
                f"Erase {email} from {found.count} rows in {found.tables} tables? "
                "This cannot be undone. Type 'yes': "
            )
            if answer.strip().lower() != "yes":
                raise CommandError("Nothing erased.")
        changed = person_erase(email=email, by=user)
        for table, count in sorted(changed.items()):
            self.stdout.write(f"{table}: {count} rows anonymised")
        self.stdout.write(f"Erased: {sum(changed.values())} rows in {len(changed)} tables.")
