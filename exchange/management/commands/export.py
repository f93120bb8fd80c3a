"""`manage.py export csv schools [--user alice] [--output file]`: the library's command with
Kindnet's resources and formats; people (ambassadors, contacts) need a permitted --user."""

from __future__ import annotations

import importlib

from django.core.management.base import CommandError

from crm.scope import scope_queryset
from exchange.commands import format_for, model_perm, resource_class_for, user_for

LibraryCommand = importlib.import_module("import_export.management.commands.export").Command


class Command(LibraryCommand):
    help = "Export schools, companies, … agreements or contacts as CSV, XLSX or JSON."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--user", help="Username whose permissions the export needs.")
        parser.add_argument("--output", help="Write to this file instead of standard output.")

    def handle(self, *args, **options) -> None:
        resource_class = resource_class_for(options["resource"])
        export_format = format_for(options["format"])
        perms = [model_perm(resource_class, "view")]
        people = getattr(resource_class, "export_permission", None)
        if people:
            perms.append(people)
            if not options.get("user"):
                raise CommandError(f"Exporting people needs --user with the permission {people}.")
        user = user_for(options.get("user"), perms=perms)
        resource = resource_class()
        # As in the admin: a user exports the rows of their chapters only.
        queryset = None if user is None else scope_queryset(resource.get_queryset(), user)
        data = export_format.export_data(resource.export(queryset=queryset))
        if not export_format.is_binary():
            data = data.encode(options.get("encoding") or "utf-8")
        if options.get("output"):
            with open(options["output"], "wb") as handle:
                handle.write(data)
        else:
            self.stdout.buffer.write(data)
