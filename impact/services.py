"""Impact's workflows: awarding and withdrawing a recognition's title by its rule."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm.models import Member, Recognition
from impact.models import RecognitionRule
from impact.selectors import qualifying_members


@transaction.atomic
def recognition_award(
    *, rule: RecognitionRule, member: Member, awarded_on: datetime.date, reason: str
) -> Recognition:
    """Award `rule`'s title to `member` on `awarded_on`, if it qualifies on that day.

    Raises ValidationError (nothing written) when it does not qualify, already holds the
    title, or the reason is missing.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the award.")})
    if Recognition.objects.filter(
        member=member, title=rule.title, withdrawn_on__isnull=True
    ).exists():
        raise ValidationError(
            _("%(member)s already holds %(title)s.") % {"member": member, "title": rule.title}
        )
    if not qualifying_members(rule, awarded_on).filter(pk=member.pk).exists():
        raise ValidationError(
            _("%(member)s does not meet the criteria of %(title)s on %(day)s.")
            % {"member": member, "title": rule.title, "day": awarded_on.isoformat()}
        )
    recognition = Recognition(member=member, title=rule.title, awarded_on=awarded_on, note=reason)
    recognition.full_clean()
    recognition.save()
    return recognition


@transaction.atomic
def recognition_withdraw(
    *, recognition: Recognition, withdrawn_on: datetime.date, reason: str
) -> Recognition:
    """Withdraw a held title on `withdrawn_on` for `reason`; the record stays, dated."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the withdrawal.")})
    locked = Recognition.objects.select_for_update().get(pk=recognition.pk)
    if locked.withdrawn_on is not None:
        raise ValidationError(_("This title was already withdrawn."))
    locked.withdrawn_on = withdrawn_on
    locked.withdrawal_reason = reason
    locked.full_clean()
    locked.save(update_fields=["withdrawn_on", "withdrawal_reason"])
    return locked
