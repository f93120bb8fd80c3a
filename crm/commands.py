"""Options that several management commands share, added the same way everywhere.

Each function adds one option to a command's parser; the command keeps its own help
text, which says what the option means for it. The module imports nothing but Django,
so every app's commands may use it.
"""

from __future__ import annotations

from django.core.management.base import CommandParser


def add_count(parser: CommandParser, name: str, *, default: int, help: str) -> None:
    """A whole number, such as `--days` or `--members`; the command refuses negatives."""
    parser.add_argument(name, type=int, default=default, help=help)


def add_dry_run(parser: CommandParser, *, help: str) -> None:
    """`--dry-run`: say what would happen, change nothing."""
    parser.add_argument("--dry-run", action="store_true", help=help)


def add_if_empty(parser: CommandParser, *, help: str) -> None:
    """`--if-empty`: skip what is already loaded (used by `make run`)."""
    parser.add_argument("--if-empty", action="store_true", help=help)


def add_countries(parser: CommandParser, *, help: str, default: str | None = None) -> None:
    """`--countries`: comma-separated ISO codes."""
    parser.add_argument("--countries", default=default, help=help)
