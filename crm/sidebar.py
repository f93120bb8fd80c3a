"""The choices of the admin lists' sidebars, kept in the shared cache until they change.

A member list's sidebar asks the database for its chapters, sectors, regions and
countries at every page, whatever filter is chosen: four statements, as many as the list
itself. They change rarely, so they are cached per list, chapter scope and language, under
a version that any change of the network (`network_changed`, which imports send too) or
of a chapter replaces: a new region shows at the next page. `SIDEBAR_CHOICES_SECONDS`
bounds what a change nobody announced (a raw SQL fix) could leave stale. An unreachable
cache costs the statements again, never the page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.utils import translation

from crm.scope import chapter_scope_key
from crm.shared_cache import VersionedCache

T = TypeVar("T")


_sidebar = VersionedCache("sidebar", timeout=lambda: settings.SIDEBAR_CHOICES_SECONDS)


def sidebar_choices(request, model, name: str, compute: Callable[[], T]) -> T:
    """`compute()` for this list (`model`), sidebar filter `name`, the user's chapters and
    the page's language, from the cache when it holds it."""
    scope = chapter_scope_key(request.user)
    key = f"{model._meta.label_lower}:{name}:{scope}:{translation.get_language()}"
    return _sidebar.cached(key, compute)


def sidebar_invalidate(**kwargs) -> None:
    """Every list's cached choices go (a receiver of the core's change signals). A page
    read between a change and its commit may cache the choices as they were before it:
    `SIDEBAR_CHOICES_SECONDS` bounds that."""
    _sidebar.invalidate()
