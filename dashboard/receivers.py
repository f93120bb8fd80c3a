"""What the dashboard does when the core's network changes: drop its cached figures."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from crm.signals import network_changed
from dashboard.cache import figures_invalidate


@receiver(network_changed, dispatch_uid="dashboard-figures-invalidate")
def network_changed_invalidate_figures(sender: object, **kwargs: Any) -> None:
    figures_invalidate()
