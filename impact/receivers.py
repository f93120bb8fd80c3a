"""What impact does when its figures may have changed: drop the cached public answer."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from crm.signals import network_changed
from impact.cache import impact_invalidate
from impact.models import Delivery, Measurement, Programme


@receiver(network_changed, dispatch_uid="impact-figures-invalidate")
def network_changed_invalidate(sender: object, **kwargs: Any) -> None:
    # Members by kind and country, and whether a member's card may list programmes.
    impact_invalidate()


def _impact_changed(sender: object, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        impact_invalidate()


for _model in (Programme, Delivery, Measurement):
    post_save.connect(_impact_changed, sender=_model, dispatch_uid=f"impact-save-{_model.__name__}")
    post_delete.connect(
        _impact_changed, sender=_model, dispatch_uid=f"impact-delete-{_model.__name__}"
    )
m2m_changed.connect(
    _impact_changed, sender=Programme.sectors.through, dispatch_uid="impact-programme-sectors"
)
