"""`manage.py export csv schools [--user alice] [--output file]`: the library's command with
Kindnet's resources and formats; people (ambassadors, contacts) need a permitted --user."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator

from django.core.management.base import CommandError

from crm.commands import user_for
from crm.scope import scope_queryset
from exchange.commands import format_for, model_perm, resource_class_for
from exchange.export import export_stream


def transcode(chunks: Iterable[bytes], encoding: str) -> Iterator[bytes]:
    """UTF-8 chunks (each ends at a row) in another encoding, without the byte order mark."""
    for chunk in chunks:
        try:
            yield chunk.decode("utf-8").removeprefix("\ufeff").encode(encoding)
        except (LookupError, UnicodeEncodeError) as exc:
            raise CommandError(f"Cannot write the export as {encoding}: {exc}.") from exc


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
        queryset = resource.get_queryset()
        if user is not None:
            queryset = scope_queryset(queryset, user)
        # Written as it is read, a chunk at a time (exchange/export.py): memory stays flat.
        chunks = export_stream(resource, queryset, export_format)
        encoding = (options.get("encoding") or "utf-8").lower().replace("_", "-")
        if not export_format.is_binary() and encoding not in ("utf-8", "utf8"):
            chunks = transcode(chunks, encoding)
        if options.get("output"):
            with open(options["output"], "wb") as handle:
                handle.writelines(chunks)
        else:
            self.stdout.buffer.writelines(chunks)
