"""What the public map does when the core's network changes: drop its cached answers."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from crm.signals import network_changed
from publicmap.cache import map_feed_invalidate


@receiver(network_changed, dispatch_uid="publicmap-feed-invalidate")
def network_changed_invalidate_feed(sender: object, **kwargs: Any) -> None:
    # Any member may have entered or left the map, so every answer goes, whatever member_ids says.
    map_feed_invalidate()
