"""Signals of the shared core: they only mark the public map feed stale, nothing else."""

from __future__ import annotations

from django.apps import apps
from django.db.models.signals import m2m_changed, post_delete, post_save

from crm.models import Agreement, Member, Recognition, Sector
from crm.services import map_feed_invalidate


def map_feed_changed(sender, **kwargs) -> None:
    map_feed_invalidate()


def connect() -> None:
    """Watch every model whose change can show on the public map."""
    members = [model for model in apps.get_models() if issubclass(model, Member)]
    for model in [*members, Agreement, Recognition, Sector]:
        post_save.connect(map_feed_changed, sender=model, dispatch_uid=f"map-save-{model}")
        post_delete.connect(map_feed_changed, sender=model, dispatch_uid=f"map-delete-{model}")
    m2m_changed.connect(
        map_feed_changed, sender=Member.sectors.through, dispatch_uid="map-member-sectors"
    )
