"""Field shapes that several models share, named for what they mean."""

from __future__ import annotations

from typing import Any

from django.db import models


def optional_link(
    to: Any, *, verbose_name: str, related_name: str, help_text: str = "", one_to_one: bool = False
) -> models.ForeignKey:
    """A link that may be empty and is emptied, not cascaded, when its target is deleted:
    a sponsor, the official list entry of a request, the agreement one renews."""
    field = models.OneToOneField if one_to_one else models.ForeignKey
    return field(
        to,
        verbose_name=verbose_name,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name=related_name,
        help_text=help_text,
    )
