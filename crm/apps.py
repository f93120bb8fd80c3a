from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Network")

    def ready(self) -> None:
        from crm import signals

        signals.connect()
        # Moves to the public map's app (its receiver of network_changed).
        from crm.services import map_feed_invalidate

        signals.network_changed.connect(
            lambda **kwargs: map_feed_invalidate(), dispatch_uid="map", weak=False
        )
