"""What staff did with a member (activities) and what they still have to do (follow-ups)."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from pathlib import PurePath

from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm.storage import private_storage
from crm.validators import PAST_DATE_VALIDATORS, PLANNED_DATE_VALIDATORS, text_fields_clean

#: What an attachment may be: documents and pictures that staff keep of a meeting.
ATTACHMENT_EXTENSIONS = ["pdf", "png", "jpg", "jpeg", "docx", "xlsx", "odt", "ods", "txt"]
ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024


class ActivityKind(models.TextChoices):
    MEETING = "meeting", _("Meeting")
    CALL = "call", _("Call")
    EMAIL = "email", _("E-mail")
    VISIT = "visit", _("Visit")
    WORKSHOP = "workshop", _("Workshop")


def activity_attachment_path(activity: Activity, filename: str) -> str:
    """A generated name in the private storage (the original name is kept in a field)."""
    extension = PurePath(filename).suffix.lower()[:6]
    return f"activities/{timezone.now():%Y}/{uuid.uuid4().hex}{extension}"


class Activity(models.Model):
    """A meeting, call, e-mail, visit or workshop with a member: when, who, what was said."""

    member = models.ForeignKey(
        "crm.Member",
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="activities",
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=ActivityKind.choices, default=ActivityKind.MEETING
    )
    happened_on = models.DateField(
        _("date"), default=timezone.localdate, validators=PAST_DATE_VALIDATORS
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        help_text=_("Who met, called or wrote; you, when left empty."),
    )
    summary = models.TextField(_("summary"), help_text=_("What was said or decided."))
    contacts = models.ManyToManyField(
        "crm.Contact",
        verbose_name=_("contacts involved"),
        blank=True,
        related_name="activities",
        help_text=_("The member's contacts who took part."),
    )
    attachment = models.FileField(
        _("attachment"),
        upload_to=activity_attachment_path,
        storage=private_storage,
        max_length=200,
        blank=True,
        validators=[FileExtensionValidator(ATTACHMENT_EXTENSIONS)],
        help_text=_(
            "Minutes, a letter, a photo: PDF, image, office document or text, up to 20 MB."
        ),
    )
    attachment_name = models.CharField(
        _("attachment's name"), max_length=200, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["attachment_name"])

    CHAPTER_LOOKUP = "member__chapter"

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-happened_on", "-id"]
        indexes = [models.Index(fields=["member", "-happened_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.happened_on:%Y-%m-%d}"

    def clean_fields(self, exclude=None) -> None:
        text_fields_clean(self)
        super().clean_fields(exclude=exclude)


class FollowUpQuerySet(models.QuerySet):
    def open(self) -> FollowUpQuerySet:
        return self.filter(done_on__isnull=True)

    def due_on_or_before(self, day: datetime.date) -> FollowUpQuerySet:
        """Open follow-ups due on `day` or earlier, the longest overdue first."""
        return self.open().filter(due_on__lte=day).order_by("due_on", "id")


class FollowUp(models.Model):
    """Something to do about a member by a date, for someone; done or still open.

    `origin` marks a follow-up that Kindnet created itself (a mayor's term that ends): one
    per member and origin, so a job run twice, or twice at once, creates it once.
    """

    member = models.ForeignKey(
        "crm.Member",
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="follow_ups",
    )
    title = models.CharField(_("what to do"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    due_on = models.DateField(_("due on"), validators=PLANNED_DATE_VALIDATORS)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_ups",
        help_text=_("Who does it; you, when left empty."),
    )
    done_on = models.DateField(
        _("done on"),
        null=True,
        blank=True,
        validators=PAST_DATE_VALIDATORS,
        help_text=_("Empty while it is still to do."),
    )
    activity = models.ForeignKey(
        Activity,
        verbose_name=_("after the activity"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_ups",
    )
    origin = models.CharField(
        _("created by Kindnet for"),
        max_length=60,
        blank=True,
        editable=False,
        help_text=_("Set on follow-ups Kindnet creates itself, e.g. mayor-term-ends:2027-06-01."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()
    objects = FollowUpQuerySet.as_manager()

    CHAPTER_LOOKUP = "member__chapter"

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["done_on", "due_on", "id"]
        indexes = [
            # "My follow-ups" and the dashboard: open ones of one person by due date.
            models.Index(fields=["assignee", "done_on", "due_on"]),
            models.Index(fields=["member", "due_on"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "origin"],
                condition=~Q(origin=""),
                name="follow_up_one_per_origin",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def clean_fields(self, exclude=None) -> None:
        text_fields_clean(self)
        super().clean_fields(exclude=exclude)

    def is_overdue_on(self, day: datetime.date) -> bool:
        return self.done_on is None and self.due_on < day


def attachment_size_check(upload) -> None:
    """Refuse an attachment larger than ATTACHMENT_MAX_BYTES before anything is stored."""
    from django.core.exceptions import ValidationError

    if upload is not None and getattr(upload, "size", 0) > ATTACHMENT_MAX_BYTES:
        raise ValidationError(_("The attachment is larger than 20 MB."), code="too_large")


def activity_contacts_check(member_id: int | None, contacts: Iterable) -> None:
    """Only the member's own contacts can have taken part in its activity."""
    from django.core.exceptions import ValidationError

    strangers = [str(c) for c in contacts if member_id is not None and c.member_id != member_id]
    if strangers:
        raise ValidationError(
            {
                "contacts": _("%(names)s: not a contact of this member.")
                % {"names": ", ".join(strangers)}
            }
        )
