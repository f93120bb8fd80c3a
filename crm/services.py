"""Workflows on agreements that touch several rows: references and renewals."""

from __future__ import annotations

import datetime
from calendar import monthrange

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Agreement


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` moved by `months`, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, monthrange(year, month)[1]))


def period_end(*, starts_on: datetime.date, months: int) -> datetime.date:
    """The last day of a period of `months` that begins on `starts_on`.

    The day before the same day `months` later (1 Jan -> 31 Dec); when that day does
    not exist the period runs to the end of the month, so a month from 31 January
    ends on 28 (29) February and the next period starts on 1 March.
    """
    month_index = starts_on.month - 1 + months
    year, month = starts_on.year + month_index // 12, month_index % 12 + 1
    if starts_on.day > monthrange(year, month)[1]:
        return datetime.date(year, month, monthrange(year, month)[1])
    return add_months(starts_on, months) - datetime.timedelta(days=1)


@transaction.atomic
def agreement_renew(*, agreement: Agreement, signed_on: datetime.date | None = None) -> Agreement:
    """Create the successor of `agreement`, starting the day after it ends.

    Idempotent: an agreement already renewed returns its successor. Open-ended, draft
    and terminated (or due to be terminated) agreements cannot be renewed.
    """
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    successor = Agreement.objects.filter(renews=agreement).first()
    if successor is not None:
        return successor
    if agreement.ends_on is None:
        raise ValidationError(
            _("%(ref)s is open-ended: there is nothing to renew.") % {"ref": agreement.reference}
        )
    if agreement.terminated_on is not None:
        raise ValidationError(
            _("%(ref)s is terminated and cannot be renewed.") % {"ref": agreement.reference}
        )
    if agreement.signed_on is None:
        raise ValidationError(
            _("%(ref)s is a draft (not signed) and cannot be renewed.")
            % {"ref": agreement.reference}
        )
    starts_on = agreement.ends_on + datetime.timedelta(days=1)
    successor = Agreement(
        member_id=agreement.member_id,
        type=agreement.type,
        signed_on=signed_on or min(timezone.localdate(), starts_on),
        starts_on=starts_on,
        ends_on=period_end(starts_on=starts_on, months=agreement.renewal_months),
        auto_renew=agreement.auto_renew,
        renewal_months=agreement.renewal_months,
        signatories=agreement.signatories,
        renews=agreement,
    )
    successor.full_clean(exclude=["reference", "document"])
    successor.save()
    return successor


def agreements_auto_renew(
    *, days: int, day: datetime.date | None = None, dry_run: bool = False
) -> list[tuple[Agreement, Agreement | None]]:
    """Renew every auto-renewing agreement in force on `day` that ends within `days` days.

    Returns (agreement, successor) pairs; the successor is None on a dry run. Agreements
    renewed already, terminated or open-ended are not due, so running twice adds nothing.
    """
    due = list(
        Agreement.objects.due_for_renewal(days, day)
        .select_related("member")
        .order_by("ends_on", "reference")
    )
    if dry_run:
        return [(agreement, None) for agreement in due]
    return [(agreement, agreement_renew(agreement=agreement)) for agreement in due]
