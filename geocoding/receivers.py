"""Members waiting for coordinates are queued after the commit; the rules live in Member.save()."""

from __future__ import annotations

from crm.signals import members_moved
from geocoding.services import members_geocode_enqueue


def members_moved_received(sender, member_ids, **kwargs) -> None:
    members_geocode_enqueue(member_ids=list(member_ids))


members_moved.connect(members_moved_received, dispatch_uid="geocoding.members_moved")
