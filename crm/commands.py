"""Options that several management commands share, added the same way everywhere.

Each `add_…` function adds one option to a command's parser; the command keeps its own
help text, which says what the option means for it. `user_for` is the `--user` a command
acts as (import, export, person). The module imports nothing but Django,
so every app's commands may use it.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser


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


def user_for(username: str | None, *, perms: list[str]):
    """The staff user the command acts as, after checking `perms`; None when not given."""
    if not username:
        return None
    try:
        user = get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist as exc:
        raise CommandError(f"No user {username!r}.") from exc
    missing = [perm for perm in perms if not user.has_perm(perm)]
    if not user.is_active or missing:
        raise CommandError(f"{username} may not do this: missing {', '.join(missing)}.")
    return user
