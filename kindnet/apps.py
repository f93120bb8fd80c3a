from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KindnetConfig(AppConfig):
    """The project itself: settings, URLs, demo data and the set-up commands of `make run`."""

    name = "kindnet"
    verbose_name = _("Kindnet")
