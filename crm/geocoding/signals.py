"""Saving a member only enqueues geocoding, after the commit; the rules live in Member.save()."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from crm.geocoding.services import members_geocode_enqueue
from crm.models import Member


@receiver(post_save, dispatch_uid="crm.geocoding.member_saved")
def member_saved(sender, instance, raw: bool = False, **kwargs) -> None:
    if raw or not isinstance(instance, Member):
        return
    if getattr(instance, "_geocode_wanted", False):
        instance._geocode_wanted = False
        members_geocode_enqueue(member_ids=[instance.pk])
