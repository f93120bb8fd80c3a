"""What `manage.py import` and `manage.py export` share: resources by name, formats."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError
from import_export.command_utils import get_resource_class
from import_export.formats import base_formats

from exchange.formats import SpreadsheetCSV, SpreadsheetXLSX
from exchange.registry import resource_for_model, resource_for_name

FORMATS = {"csv": SpreadsheetCSV, "xlsx": SpreadsheetXLSX, "json": base_formats.JSON}


def resource_class_for(name: str) -> type:
    """A resource by short name ("schools"), by model ("partners.School") or by dotted path."""
    resource = resource_for_name(name)
    if resource is None and name.count(".") == 1:
        # A model path gets Kindnet's resource for that model, never a bare generated one.
        resource = resource_for_model(name)
    return resource or get_resource_class(name)


def format_for(name: str | None, file_name: str | None = None):
    """The format named, or the one the file's extension says (csv, xlsx, json)."""
    key = (name or Path(file_name or "").suffix.lstrip(".")).lower()
    if key not in FORMATS:
        raise CommandError(
            f"Unknown format {name or file_name!r}: use one of {', '.join(sorted(FORMATS))}."
        )
    return FORMATS[key]()


def model_perm(resource_class, action: str) -> str:
    opts = resource_class._meta.model._meta
    return f"{opts.app_label}.{action}_{opts.model_name}"
