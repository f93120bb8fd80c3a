"""A mayor's term that ends: the membership must be re-confirmed by the new council.

Part of the daily `manage.py renewals` (registered in MunicipalitiesConfig.ready through
crm/daily.py). For each member municipality whose mayor's term ends within the largest
reminder threshold (AGREEMENT_REMINDER_DAYS), or ended lately while no run happened, one
follow-up is created (due on the term's end, for a staff member of the chapter) and the
chapter's staff get one reminder. The follow-up's origin names the term's end, so a
second run, or two at once, create and send nothing more; a new term end means a new one.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from activities.services import follow_up_create_once
from crm.scope import chapter_staff, user_mail_language
from crm.services import Recipient, notice_email_send
from municipalities.models import Municipality

ORIGIN_PREFIX = "mayor-term-ends"

logger = logging.getLogger(__name__)


def mayor_terms_reconfirm(*, today: datetime.date, dry_run: bool = False) -> list[str]:
    """Create the re-confirmation follow-ups that are due and send their reminders; one
    line per follow-up created (or due, on a dry run)."""
    window = datetime.timedelta(days=max(settings.AGREEMENT_REMINDER_DAYS or [60]))
    municipalities = list(
        Municipality.objects.active_on(today)
        .filter(term_ends_on__gte=today - window, term_ends_on__lte=today + window)
        .select_related("chapter")
        .order_by("term_ends_on", "name")
    )
    planned = set(
        Municipality.objects.filter(
            pk__in=[m.pk for m in municipalities],
            follow_ups__origin__startswith=f"{ORIGIN_PREFIX}:",
        ).values_list("pk", "follow_ups__origin")
    )
    lines = []
    staff_by_chapter: dict[int | None, list] = {}
    for municipality in municipalities:
        origin = f"{ORIGIN_PREFIX}:{municipality.term_ends_on:%Y-%m-%d}"
        if (municipality.pk, origin) in planned:
            continue
        line = f"{municipality.name}: mayor's term ends {municipality.term_ends_on}"
        if dry_run:
            lines.append(f"would plan a re-confirmation follow-up for {line}")
            continue
        if municipality.chapter_id not in staff_by_chapter:
            staff_by_chapter[municipality.chapter_id] = chapter_staff(municipality.chapter_id)
        staff = staff_by_chapter[municipality.chapter_id]
        with translation.override(settings.LANGUAGE_CODE):
            title = _("Re-confirm the membership: the mayor's term ends on %(day)s") % {
                "day": municipality.term_ends_on.isoformat()
            }
        follow_up, created = follow_up_create_once(
            member=municipality,
            origin=origin,
            title=title,
            due_on=municipality.term_ends_on,
            assignee=staff[0] if staff else None,
            notes=_("Created by Kindnet: a new council may not confirm the membership."),
        )
        if not created:
            continue  # another run created it a moment ago, and sends its reminder
        context = {
            "municipality": municipality,
            "follow_up": follow_up,
            "admin_url": settings.SITE_URL
            + reverse("admin:activities_followup_change", args=[follow_up.pk]),
        }
        try:
            sent = notice_email_send(
                template="municipalities/email/{lang}/mayor_term_staff",
                context=context,
                recipients=[Recipient(u.email, user_mail_language(u), True) for u in staff],
            )
            outcome = f"{len(sent)} recipient(s)"
        except Exception:  # the follow-up stands; the reminder is only logged as failed
            logger.exception("Could not send the mayor's term reminder of %s", municipality.name)
            outcome = "reminder failed"
        lines.append(f"planned a re-confirmation follow-up for {line}: {outcome}")
    return lines
