from __future__ import annotations

from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    """Bulk import and export of the network: resources, formats, widgets, commands."""

    name = "exchange"
    verbose_name = _("Import and export")

    def ready(self) -> None:
        # Each app's resources register themselves, by name and kind, when imported.
        autodiscover_modules("resources")
