"""`manage.py import schools file.csv [--dry-run] [--user alice] [--ignore-unknown-columns]`:
the library's command with Kindnet's resources by name, spreadsheet CSV, all-or-nothing, a
plain report, and a word on stderr while it waits for another import of the same kind."""

from __future__ import annotations

import importlib
import sys

from django.core.management.base import CommandError

from crm.commands import user_for
from exchange.commands import format_for, model_perm, resource_class_for
from exchange.formats import ImportFileError

LibraryCommand = importlib.import_module("import_export.management.commands.import").Command


class Command(LibraryCommand):
    help = (
        "Import a CSV or XLSX file: schools, companies, organisations, municipalities, "
        "ambassadors, agreements or contacts. Nothing is written if any row is invalid."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--user",
            help="Username recorded in the history as the importer (needs add and change).",
        )
        parser.add_argument(
            "--ignore-unknown-columns",
            action="store_true",
            help="Import even if the file has columns this kind does not know (they are "
            "listed, then left out); without it such a file imports nothing.",
        )

    def handle(self, *args, **options) -> None:
        resource_class = resource_class_for(options["resource"])
        file_name = options["import_file_name"]
        input_format = format_for(options.get("format"), file_name)
        user = user_for(
            options.get("user"),
            perms=[model_perm(resource_class, "add"), model_perm(resource_class, "change")],
        )
        if options["interactive"] and input("Import the file? [yes/no]: ") != "yes":
            raise CommandError("Import cancelled.")
        try:
            if file_name == "-":
                data = sys.stdin.buffer.read()
            else:
                with open(file_name, "rb") as handle:
                    data = handle.read()
            dataset = input_format.create_dataset(data)
        except (OSError, ImportFileError) as exc:
            raise CommandError(str(exc)) from exc
        dry_run = bool(options.get("dry_run"))
        result = resource_class().import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=False,
            user=user,
            file_name=file_name,
            ignore_unknown_columns=options["ignore_unknown_columns"],
            on_wait=self.say_waiting,
        )
        for warning in result.warnings():
            self.stderr.write(self.style.WARNING(warning))
        summary = result.summary()
        problems = result.problems()
        if problems:
            for problem in problems:
                self.stderr.write(self.style.ERROR(problem))
            raise CommandError(f"Nothing was imported ({summary}).")
        verb = "Dry run, nothing written" if dry_run else "Imported"
        self.stdout.write(self.style.SUCCESS(f"{verb}: {summary}."))

    def say_waiting(self, message: str) -> None:
        self.stderr.write(message)
        self.stderr.flush()
