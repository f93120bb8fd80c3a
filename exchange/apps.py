from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    """Bulk import and export of the network: resources, formats, widgets, commands."""

    name = "exchange"
    verbose_name = _("Import and export")
