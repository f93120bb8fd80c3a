"""Bulk creation of members of any kind.

Django's bulk_create refuses multi-table subclasses, so this inserts the member
rows first (their ids come back through RETURNING on PostgreSQL and SQLite) and
then the kind's own rows, two INSERTs per batch whatever the number of members.
Used by the demo loader, the synthetic networks of the benchmarks and imports.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, models, transaction
from django.utils import timezone

from crm.models import Chapter, Member


@transaction.atomic
def members_bulk_create(
    members: Sequence[Member], *, batch_size: int = 2000, normalized: bool = False
) -> list[Member]:
    """Insert `members` (all of one kind) and return them with their primary keys set.

    Signals do not fire (as with bulk_create); callers enqueue geocoding themselves.
    `normalized=True`: the caller already ran `normalize()` on every member and changed
    nothing since (imports validate first), so it is not run a second time.
    """
    if not members:
        return []
    model = type(members[0])
    if any(type(member) is not model for member in members):
        raise TypeError("members_bulk_create takes members of a single kind at a time.")
    now = timezone.now()
    # save() takes the chapter from the country; one query does it for the whole batch.
    chapters = dict(Chapter.objects.values_list("country", "pk"))
    parents = []
    for member in members:
        if not normalized:
            member.normalize()
        member.kind = model.KIND or member.kind
        if member.chapter_id is None:
            member.chapter_id = chapters.get(str(member.country))
        member.created_at = member.created_at or now
        member.updated_at = now
        parents.append(
            Member(**{f.attname: getattr(member, f.attname) for f in Member._meta.concrete_fields})
        )
    Member.objects.bulk_create(parents, batch_size=batch_size)
    for member, parent in zip(members, parents, strict=True):
        member.pk = member.id = parent.pk
        member._state.adding = False
        member._state.db = parent._state.db
    if model is not Member:
        _insert_child_rows(model, members, batch_size=batch_size)
    return list(members)


def _insert_child_rows(model: type[models.Model], rows: Sequence[Member], *, batch_size: int):
    fields = list(model._meta.local_concrete_fields)
    manager = model._base_manager
    # Stay under the database's limit of query parameters (SQLite's is the lowest).
    connection = connections[manager.db]
    batch_size = max(1, min(batch_size, connection.ops.bulk_batch_size(fields, rows)))
    for start in range(0, len(rows), batch_size):
        manager._insert(rows[start : start + batch_size], fields=fields, raw=True)
