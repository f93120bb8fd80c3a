"""The core's own signals: what other apps listen to instead of being called by name.

The core never imports a feature app. It translates Django's model signals into two
domain signals, and bulk writes that bypass `save()` (imports, geocoding's UPDATEs)
send them themselves:

- `network_changed(member_ids=…)`: members, their agreements, recognitions or sectors
  changed; `member_ids` names the members concerned, or is None when a change touches
  members at large (a sector renamed). The public map drops its cached answers.
- `members_moved(member_ids=…)`: members were created, got a new address, or may now be
  placed from better data (a municipality linked to the official list); most wait for
  coordinates (`Member.geocoding_due`). Geocoding queues them after the commit.
"""

from __future__ import annotations

from collections.abc import Collection

from django.apps import apps
from django.db import transaction
from django.db.models import FileField
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import Signal

from crm.models import Agreement, Chapter, Member, Recognition, Sector
from crm.sidebar import sidebar_invalidate
from crm.storage import private_storage

network_changed = Signal()
members_moved = Signal()


def network_changed_send(*, sender: object, member_ids: Collection[int] | None) -> None:
    network_changed.send(sender=sender, member_ids=member_ids)


def members_moved_send(*, sender: object, member_ids: Collection[int]) -> None:
    if member_ids:
        members_moved.send(sender=sender, member_ids=member_ids)


def _model_changed(sender, instance=None, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    if isinstance(instance, Member):
        member_ids = [instance.pk]
    elif isinstance(instance, Agreement | Recognition):
        member_ids = [instance.member_id]
    else:
        member_ids = None
    network_changed_send(sender=sender, member_ids=member_ids)


def _member_saved(sender, instance: Member, raw: bool = False, **kwargs) -> None:
    if not raw and instance.geocoding_due:
        members_moved_send(sender=sender, member_ids=[instance.pk])


def _private_files_delete(sender, instance=None, **kwargs) -> None:
    """A deleted row takes its private files with it (an agreement's PDF, a resolution), by
    whatever path it was deleted (admin, API, cascade, retention, erasure), once the
    deletion has committed: a rolled back deletion keeps its file."""
    fields = [
        field.name
        for field in sender._meta.concrete_fields
        if isinstance(field, FileField) and field.storage is private_storage
    ]
    names = {getattr(instance, name).name for name in fields}
    history = getattr(sender, "history", None)
    if fields and history is not None:
        # Files it held before (a replaced PDF) are named by its history rows only.
        for row in history.filter(id=instance.pk).values_list(*fields):
            names.update(row)
    names = sorted(name for name in names if name)
    if names:
        transaction.on_commit(lambda: [private_storage.delete(name) for name in names])


def connect() -> None:
    """Translate the model signals of every model whose change others care about."""
    members = [model for model in apps.get_models() if issubclass(model, Member)]
    for model in [*members, Agreement, Recognition, Sector]:
        uid = f"{model._meta.label}"
        post_save.connect(_model_changed, sender=model, dispatch_uid=f"changed-save-{uid}")
        post_delete.connect(_model_changed, sender=model, dispatch_uid=f"changed-delete-{uid}")
    for model in members:
        post_save.connect(_member_saved, sender=model, dispatch_uid=f"moved-{model._meta.label}")
    m2m_changed.connect(
        _model_changed, sender=Member.sectors.through, dispatch_uid="changed-member-sectors"
    )
    # The admin lists' sidebar choices: members' regions and countries, sectors, chapters.
    network_changed.connect(sidebar_invalidate, dispatch_uid="sidebar-network")
    post_save.connect(sidebar_invalidate, sender=Chapter, dispatch_uid="sidebar-chapter-save")
    post_delete.connect(sidebar_invalidate, sender=Chapter, dispatch_uid="sidebar-chapter-del")
    for model in apps.get_models():
        # A history row names the file of its record; only the record's deletion removes it.
        if hasattr(model, "instance_type"):
            continue
        if any(
            isinstance(field, FileField) and field.storage is private_storage
            for field in model._meta.concrete_fields
        ):
            post_delete.connect(
                _private_files_delete, sender=model, dispatch_uid=f"files-{model._meta.label}"
            )
