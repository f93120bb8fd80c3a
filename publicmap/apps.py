from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicMapConfig(AppConfig):
    """The public member map: its GeoJSON feed, cache, page, embed and their files."""

    name = "publicmap"
    verbose_name = _("Public map")

    def ready(self) -> None:
        from publicmap import receivers  # noqa: F401  (connects them)
