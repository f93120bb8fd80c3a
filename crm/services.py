"""Workflows on agreements that touch several rows: references and renewals."""

from __future__ import annotations

import datetime
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Agreement, AgreementStatus
from crm.selectors import MAP_FEED_VERSION_KEY


def agreement_next_reference(*, year: int) -> str:
    """The next free reference of `year`, e.g. IKM-2026-0042.

    Callers save inside the unique constraint on `reference`, so a race between two
    staff members ends in an IntegrityError rather than in two equal references.
    """
    prefix = f"{settings.AGREEMENT_REFERENCE_PREFIX}-{year}-"
    last = (
        Agreement.objects.filter(reference__startswith=prefix)
        .order_by("-reference")
        .values_list("reference", flat=True)
        .first()
    )
    number = int(last.rsplit("-", 1)[1]) + 1 if last and last.rsplit("-", 1)[1].isdigit() else 1
    return f"{prefix}{number:04d}"


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` moved by `months`, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last_day in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last_day))
        except ValueError:
            continue
    raise AssertionError("unreachable")


@transaction.atomic
def agreement_renew(*, agreement: Agreement, signed_on: datetime.date | None = None) -> Agreement:
    """Create the successor of `agreement`, starting the day after it ends.

    Idempotent: an agreement already renewed returns its successor. Open-ended and
    terminated agreements cannot be renewed.
    """
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    successor = Agreement.objects.filter(renews=agreement).first()
    if successor is not None:
        return successor
    if agreement.ends_on is None:
        raise ValidationError(
            _("%(ref)s is open-ended: there is nothing to renew.") % {"ref": agreement.reference}
        )
    if agreement.status_on() in (AgreementStatus.TERMINATED, AgreementStatus.DRAFT):
        raise ValidationError(
            _("%(ref)s is %(status)s and cannot be renewed.")
            % {"ref": agreement.reference, "status": agreement.get_status_display().lower()}
        )
    starts_on = agreement.ends_on + datetime.timedelta(days=1)
    successor = Agreement(
        member_id=agreement.member_id,
        type=agreement.type,
        signed_on=signed_on or min(timezone.localdate(), starts_on),
        starts_on=starts_on,
        ends_on=add_months(starts_on, agreement.renewal_months) - datetime.timedelta(days=1),
        auto_renew=agreement.auto_renew,
        renewal_months=agreement.renewal_months,
        signatories=agreement.signatories,
        renews=agreement,
    )
    successor.full_clean(exclude=["reference", "document"])
    successor.save()
    return successor


def map_feed_invalidate() -> None:
    """Make every cached answer of the public map feed stale (they are keyed by this version).

    Called by signals when a member, agreement, recognition or sector changes; bulk
    writes that bypass signals (imports, `members_bulk_create`) call it themselves.
    """
    # Never go backwards, even if two workers' clocks disagree slightly.
    previous = cache.get(MAP_FEED_VERSION_KEY) or 0.0
    cache.set(MAP_FEED_VERSION_KEY, max(time.time(), float(previous) + 0.001), timeout=None)
