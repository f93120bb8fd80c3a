from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm.storage import private_storage
from crm.validators import (
    PLANNED_DATE_VALIDATORS,
    DateNotAfterValidator,
    date_not_before_1990,
    text_fields_clean,
)

from .fields import optional_link


class AgreementType(models.TextChoices):
    MEMBERSHIP = "membership", _("Membership")
    PARTNERSHIP = "partnership", _("Partnership")
    PATRONAGE = "patronage", _("Patronage")
    AMBASSADOR_CHARTER = "ambassador_charter", _("Ambassador charter")
    MOU = "mou", _("Memorandum of understanding")


class AgreementStatus(models.TextChoices):
    """Derived from the dates, never stored (see Agreement.status_on)."""

    DRAFT = "draft", _("Draft")
    SIGNED = "signed", _("Signed, not started")
    ACTIVE = "active", _("Active")
    EXPIRING = "expiring", _("Expiring")
    EXPIRED = "expired", _("Expired")
    TERMINATED = "terminated", _("Terminated")


#: The terms of an agreement as signed, in the order forms and files show them; the API's
#: agreement fields and the import columns include them.
AGREEMENT_TERMS_FIELDS = (
    "signed_on",
    "starts_on",
    "ends_on",
    "auto_renew",
    "renewal_months",
    "signatories",
)


def expiring_days() -> int:
    return settings.AGREEMENT_EXPIRING_DAYS


def in_force_on(day: datetime.date) -> Q:
    """The condition of an agreement in force on `day`: signed, started, not ended."""
    return (
        Q(signed_on__isnull=False, starts_on__lte=day)
        & (Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        & (Q(terminated_on__isnull=True) | Q(terminated_on__gt=day))
    )


def not_started_on(day: datetime.date) -> Q:
    """The condition of a signed agreement that starts after `day` (and was not withdrawn)."""
    return Q(signed_on__isnull=False, starts_on__gt=day, terminated_on__isnull=True)


class AgreementQuerySet(models.QuerySet):
    def next_reference(self, *, year: int) -> str:
        """The next free reference of `year`, e.g. IKM-2026-0042.

        Callers save inside the unique constraint on `reference`, so a race between two
        staff members ends in an IntegrityError (which `Agreement.save` retries) rather
        than in two equal references.
        """
        prefix = f"{settings.AGREEMENT_REFERENCE_PREFIX}-{year}-"
        # Longest first, so that 10000 comes after 9999 (a plain text order would not).
        last = (
            self.filter(reference__startswith=prefix)
            .order_by(Length("reference").desc(), "-reference")
            .values_list("reference", flat=True)
            .first()
        )
        number = last.rsplit("-", 1)[1] if last else ""
        return f"{prefix}{int(number) + 1 if number.isdigit() else 1:04d}"

    def active_on(self, day: datetime.date | None = None) -> AgreementQuerySet:
        """Agreements in force on `day` (today by default): signed, started, not ended."""
        return self.filter(in_force_on(day or timezone.localdate()))

    def expiring_within(self, days: int, day: datetime.date | None = None) -> AgreementQuerySet:
        """Agreements active on `day` whose end falls within the next `days` days."""
        day = day or timezone.localdate()
        return self.active_on(day).filter(
            ends_on__isnull=False, ends_on__lte=day + datetime.timedelta(days=days)
        )

    def due_for_renewal(self, days: int, day: datetime.date | None = None) -> AgreementQuerySet:
        """Auto-renewing agreements ending within `days` days that have no successor yet."""
        return self.expiring_within(days, day).filter(
            auto_renew=True, terminated_on__isnull=True, renewed_by__isnull=True
        )

    def with_status(self, day: datetime.date | None = None) -> AgreementQuerySet:
        """Annotate `current_status` in SQL with the same rules as Agreement.status_on."""
        day = day or timezone.localdate()
        horizon = day + datetime.timedelta(days=expiring_days())
        when = models.When
        return self.annotate(
            current_status=models.Case(
                when(terminated_on__lte=day, then=models.Value(AgreementStatus.TERMINATED)),
                when(signed_on__isnull=True, then=models.Value(AgreementStatus.DRAFT)),
                when(starts_on__gt=day, then=models.Value(AgreementStatus.SIGNED)),
                when(ends_on__lt=day, then=models.Value(AgreementStatus.EXPIRED)),
                when(ends_on__lte=horizon, then=models.Value(AgreementStatus.EXPIRING)),
                default=models.Value(AgreementStatus.ACTIVE),
                output_field=models.CharField(),
            )
        )

    def with_status_in(self, statuses: list[str], day: datetime.date | None = None):
        """Agreements in any of `statuses` on `day`, annotated like `with_status()`.

        The filter is written on the dates themselves, not on the CASE, so that the
        database can use their indexes and evaluates the CASE for the returned rows only.
        """
        day = day or timezone.localdate()
        wanted = Q(pk__in=[])
        for status in statuses:
            wanted |= agreement_status_q(status, day)
        return self.with_status(day).filter(wanted)


def agreement_status_q(status: str, day: datetime.date) -> Q:
    """The rows whose status on `day` is `status`: Agreement.status_on as a WHERE clause."""
    horizon = day + datetime.timedelta(days=expiring_days())
    standing = Q(terminated_on__isnull=True) | Q(terminated_on__gt=day)
    running = standing & Q(signed_on__isnull=False, starts_on__lte=day)
    return {
        AgreementStatus.TERMINATED: Q(terminated_on__lte=day),
        AgreementStatus.DRAFT: standing & Q(signed_on__isnull=True),
        AgreementStatus.SIGNED: standing & Q(signed_on__isnull=False, starts_on__gt=day),
        AgreementStatus.EXPIRED: running & Q(ends_on__lt=day),
        AgreementStatus.EXPIRING: running & Q(ends_on__gte=day, ends_on__lte=horizon),
        AgreementStatus.ACTIVE: running & (Q(ends_on__isnull=True) | Q(ends_on__gt=horizon)),
    }.get(status, Q(pk__in=[]))


def agreement_document_path(agreement: Agreement, filename: str) -> str:
    """A generated name in the private storage: a reference is easy to guess, a UUID is not."""
    return f"agreements/{timezone.now():%Y}/{uuid.uuid4().hex}.pdf"


class Agreement(models.Model):
    """A membership agreement of any member, with a status derived from its dates."""

    member = models.ForeignKey(
        "crm.Member",
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="agreements",
    )
    reference = models.CharField(
        _("reference"),
        max_length=30,
        unique=True,
        blank=True,
        help_text=_("Generated when left empty, e.g. IKM-2026-0001."),
    )
    type = models.CharField(
        _("type"), max_length=20, choices=AgreementType.choices, default=AgreementType.MEMBERSHIP
    )
    signed_on = models.DateField(
        _("signed on"),
        null=True,
        blank=True,
        help_text=_("Empty while the agreement is a draft."),
        validators=[
            date_not_before_1990,
            DateNotAfterValidator(message=_("The signing date cannot be in the future.")),
        ],
    )
    starts_on = models.DateField(_("starts on"), validators=PLANNED_DATE_VALIDATORS)
    ends_on = models.DateField(
        _("ends on"),
        null=True,
        blank=True,
        help_text=_("Empty for an open-ended agreement."),
        validators=PLANNED_DATE_VALIDATORS,
    )
    auto_renew = models.BooleanField(_("renews automatically"), default=False)
    renewal_months = models.PositiveSmallIntegerField(
        _("renewal period (months)"),
        default=12,
        help_text=_("How long each renewal lasts."),
    )
    signatories = models.TextField(
        _("signatories"), blank=True, help_text=_("Who signed, one per line.")
    )
    remind_member = models.BooleanField(
        _("remind the member"),
        default=False,
        help_text=_(
            "Send the reminders before the end, and the renewal notice, to the member's "
            "primary contact too (the chapter's staff always get them)."
        ),
    )
    document = models.FileField(
        _("signed document (PDF)"),
        upload_to=agreement_document_path,
        storage=private_storage,
        max_length=200,
        blank=True,
        validators=[FileExtensionValidator(["pdf"])],
    )
    terminated_on = models.DateField(
        _("terminated on"), null=True, blank=True, validators=PLANNED_DATE_VALIDATORS
    )
    termination_reason = models.TextField(_("termination reason"), blank=True)
    renews = optional_link(
        "self",
        verbose_name=_("renews"),
        related_name="renewed_by",
        help_text=_("The agreement this one follows on from."),
        one_to_one=True,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()
    objects = AgreementQuerySet.as_manager()

    CHAPTER_LOOKUP = "member__chapter"

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["-starts_on", "reference"]
        indexes = [
            models.Index(fields=["-starts_on", "reference"]),  # the list's order
            # Agreements ending soon (the dashboard, the expiring filter, renewals): a
            # range of end dates, not a scan of every agreement.
            models.Index(fields=["ends_on"], name="crm_agreement_ends_on_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="agreement_ends_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
            models.CheckConstraint(
                condition=Q(terminated_on__isnull=True) | ~Q(termination_reason=""),
                name="agreement_termination_has_reason",
                violation_error_message=_("Give a reason for the termination."),
            ),
            models.CheckConstraint(
                condition=Q(renewal_months__gte=1),
                name="agreement_renewal_period_positive",
                violation_error_message=_("The renewal period must be at least one month."),
            ),
        ]

    def __str__(self) -> str:
        return self.reference or str(_("New agreement"))

    #: How many fresh references save() tries when another one was taken meanwhile.
    REFERENCE_ATTEMPTS = 5

    def save(self, *args, **kwargs) -> None:
        if self.reference:
            super().save(*args, **kwargs)
            return
        year = (self.signed_on or self.starts_on).year
        for attempt in range(1, self.REFERENCE_ATTEMPTS + 1):
            self.reference = Agreement.objects.next_reference(year=year)
            try:
                # A savepoint, so a lost race leaves the outer transaction usable.
                with transaction.atomic(using=kwargs.get("using")):
                    super().save(*args, **kwargs)
                return
            except IntegrityError:
                # Two staff members saving at once can both read the same last number;
                # retry only for that clash, never for a broken constraint of our own.
                taken = Agreement.objects.filter(reference=self.reference).exists()
                self.reference = ""
                if not taken or attempt == self.REFERENCE_ATTEMPTS:
                    raise

    def clean_fields(self, exclude=None) -> None:
        text_fields_clean(self)
        super().clean_fields(exclude=exclude)

    def clean(self) -> None:
        errors = {}
        # starts_on is None when its own field failed; that error is reported already.
        if self.terminated_on and self.starts_on and self.terminated_on < self.starts_on:
            errors["terminated_on"] = _("An agreement cannot end before it starts.")
        if errors:
            raise ValidationError(errors)

    def status_on(self, day: datetime.date | None = None) -> str:
        """The agreement's status on `day`, from its dates alone."""
        day = day or timezone.localdate()
        if self.terminated_on and self.terminated_on <= day:
            return AgreementStatus.TERMINATED
        if self.signed_on is None:
            return AgreementStatus.DRAFT
        if self.starts_on > day:
            return AgreementStatus.SIGNED
        if self.ends_on and self.ends_on < day:
            return AgreementStatus.EXPIRED
        if self.ends_on and self.ends_on <= day + datetime.timedelta(days=expiring_days()):
            return AgreementStatus.EXPIRING
        return AgreementStatus.ACTIVE

    @property
    def status(self) -> str:
        """Today's status; taken from the `with_status()` annotation when the query made one."""
        return self.__dict__.get("current_status") or self.status_on()

    def get_status_display(self) -> str:
        return AgreementStatus(self.status).label

    def is_active_on(self, day: datetime.date | None = None) -> bool:
        return self.status_on(day) in (AgreementStatus.ACTIVE, AgreementStatus.EXPIRING)


class AgreementNoticeKind(models.TextChoices):
    REMINDER = "reminder", _("Reminder before the end")
    RENEWED = "renewed", _("Renewal notice")


class AgreementNotice(models.Model):
    """A reminder or renewal notice sent about an agreement: one row per agreement, kind and
    threshold (days before the end). The row is written before the e-mail leaves, so two
    runs of the daily command at once cannot both send it (the unique index decides)."""

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.CASCADE, related_name="notices"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=AgreementNoticeKind.choices)
    days_before = models.PositiveSmallIntegerField(
        _("days before the end"), default=0, help_text=_("The threshold that was reached.")
    )
    ends_on = models.DateField(_("about the end on"))
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    recipients = models.TextField(_("sent to"), blank=True, help_text=_("One address per line."))

    CHAPTER_LOOKUP = "agreement__member__chapter"

    class Meta:
        verbose_name = _("agreement notice")
        verbose_name_plural = _("agreement notices")
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "kind", "days_before"], name="agreement_notice_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agreement} · {self.get_kind_display()} · {self.days_before}"
