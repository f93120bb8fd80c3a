"""What the network does (programmes), where and for whom (deliveries at members), what
changes (measurements, aggregated only) and which titles it earns (recognition rules)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from crm.models import MemberKind
from crm.validators import PAST_DATE_VALIDATORS, PLANNED_DATE_VALIDATORS


class ProgrammeType(models.TextChoices):
    WORKSHOP = "workshop", _("Workshop")
    COURSE = "course", _("Course")
    TRAINING = "training", _("Training")
    CAMPAIGN = "campaign", _("Awareness campaign")
    FESTIVAL = "festival", _("Festival")
    STUDY = "study", _("Scientific study")
    OTHER = "other", _("Other")


class ParticipantKind(models.TextChoices):
    """Whom a delivery reaches; each is a column of `Delivery` (summed by the database)."""

    STUDENTS = "students", _("Students")
    TEACHERS = "teachers", _("Teachers")
    HEALTH_WORKERS = "health_workers", _("Health workers")
    EMPLOYEES = "employees", _("Employees")
    CITIZENS = "citizens", _("Citizens")


#: The participant columns of a delivery, in the order of `ParticipantKind`.
PARTICIPANT_FIELDS: tuple[str, ...] = tuple(kind.value for kind in ParticipantKind)


class Programme(models.Model):
    """Something the movement runs (a course, a campaign, a study), delivered at members."""

    name = models.CharField(_("name"), max_length=200)
    programme_type = models.CharField(_("type"), max_length=20, choices=ProgrammeType.choices)
    sectors = models.ManyToManyField(
        "crm.Sector", verbose_name=_("sectors"), blank=True, related_name="programmes"
    )
    chapter = models.ForeignKey(
        "crm.Chapter",
        verbose_name=_("chapter"),
        on_delete=models.PROTECT,
        related_name="programmes",
        help_text=_("The chapter that runs the programme; its staff manage it."),
    )
    starts_on = models.DateField(_("starts on"), validators=PLANNED_DATE_VALIDATORS)
    ends_on = models.DateField(
        _("ends on"),
        null=True,
        blank=True,
        validators=PLANNED_DATE_VALIDATORS,
        help_text=_("Left empty for a programme that runs on."),
    )
    description = models.TextField(_("public description"), blank=True)
    accreditation = models.CharField(
        _("accreditation"),
        max_length=200,
        blank=True,
        help_text=_('E.g. "Accredited training course for teachers".'),
    )
    accredited_by = models.CharField(
        _("accrediting body"),
        max_length=200,
        blank=True,
        help_text=_("E.g. the Ministry of Education."),
    )
    accredited_on = models.DateField(
        _("accredited on"), null=True, blank=True, validators=PAST_DATE_VALIDATORS
    )
    target_participants = models.PositiveIntegerField(
        _("target participants"),
        null=True,
        blank=True,
        help_text=_("How many people the programme aims to reach (e.g. 6,000)."),
    )
    target_kind = models.CharField(
        _("kind of participants"),
        max_length=20,
        choices=ParticipantKind.choices,
        blank=True,
        help_text=_("Whom the target counts; left empty, every participant counts."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    CHAPTER_LOOKUP = "chapter"

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["-starts_on", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["chapter", "name"],
                name="programme_name_unique_per_chapter",
                violation_error_message=_("This chapter already has a programme of this name."),
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="programme_ends_after_start",
                violation_error_message=_("A programme cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(accredited_on__isnull=True) | ~Q(accredited_by=""),
                name="programme_accreditation_has_body",
                violation_error_message=_("Name the body that gave the accreditation."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Delivery(models.Model):
    """A programme held at (or joined by) a member: when, how many sessions, whom it reached.

    Participants are counted by kind, never named: a delivery holds no personal data.
    """

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="deliveries"
    )
    member = models.ForeignKey(
        "crm.Member", verbose_name=_("member"), on_delete=models.CASCADE, related_name="deliveries"
    )
    started_on = models.DateField(_("started on"), validators=PAST_DATE_VALIDATORS)
    ended_on = models.DateField(
        _("ended on"), null=True, blank=True, validators=PAST_DATE_VALIDATORS
    )
    sessions = models.PositiveIntegerField(_("sessions held"), default=1)
    students = models.PositiveIntegerField(_("students"), default=0)
    teachers = models.PositiveIntegerField(_("teachers"), default=0)
    health_workers = models.PositiveIntegerField(_("health workers"), default=0)
    employees = models.PositiveIntegerField(_("employees"), default=0)
    citizens = models.PositiveIntegerField(_("citizens"), default=0)

    CHAPTER_LOOKUP = "member__chapter"

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-started_on", "pk"]
        indexes = [models.Index(fields=["started_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "member", "started_on"],
                name="delivery_unique_per_member_and_start",
                violation_error_message=_(
                    "This programme already has a delivery at this member starting that day."
                ),
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="delivery_ends_after_start",
                violation_error_message=_("A delivery cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme} · {self.member} ({self.started_on:%Y-%m-%d})"

    @property
    def participants(self) -> int:
        return sum(getattr(self, name) for name in PARTICIPANT_FIELDS)


class Instrument(models.Model):
    """A named measure of kindness (the B-Kind Test, …) and the range of its scores."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    scale_min = models.FloatField(_("lowest score"), default=0)
    scale_max = models.FloatField(_("highest score"), default=100)

    class Meta:
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scale_max__gt=F("scale_min")),
                name="instrument_scale_increasing",
                violation_error_message=_("The highest score must be above the lowest."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Measurement(models.Model):
    """The aggregate result of an instrument at one delivery: how many answered, the mean
    score before and after, their spread. Never an individual's answers."""

    delivery = models.ForeignKey(
        Delivery,
        verbose_name=_("delivery"),
        on_delete=models.CASCADE,
        related_name="measurements",
    )
    instrument = models.ForeignKey(
        Instrument,
        verbose_name=_("instrument"),
        on_delete=models.PROTECT,
        related_name="measurements",
    )
    measured_on = models.DateField(_("measured on"), validators=PAST_DATE_VALIDATORS)
    respondents = models.PositiveIntegerField(_("respondents"), validators=[MinValueValidator(1)])
    mean_before = models.FloatField(_("mean score before"))
    mean_after = models.FloatField(_("mean score after"))
    sd_before = models.FloatField(_("standard deviation before"), validators=[MinValueValidator(0)])
    sd_after = models.FloatField(_("standard deviation after"), validators=[MinValueValidator(0)])

    CHAPTER_LOOKUP = "delivery__member__chapter"

    class Meta:
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        ordering = ["-measured_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(respondents__gte=1),
                name="measurement_has_respondents",
                violation_error_message=_("At least one person must have answered."),
            ),
            models.CheckConstraint(
                condition=Q(sd_before__gte=0, sd_after__gte=0),
                name="measurement_sd_not_negative",
                violation_error_message=_("A standard deviation cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} · {self.delivery} (n={self.respondents})"

    def clean(self) -> None:
        """Means inside the instrument's scale, a spread no wider than the scale allows."""
        if self.instrument_id is None:
            return
        low, high = self.instrument.scale_min, self.instrument.scale_max
        errors = {}
        for name in ("mean_before", "mean_after"):
            value = getattr(self, name)
            if value is not None and not low <= value <= high:
                errors[name] = _("Outside the instrument's scale (%(low)g to %(high)g).") % {
                    "low": low,
                    "high": high,
                }
        for name in ("sd_before", "sd_after"):
            value = getattr(self, name)
            if value is not None and value > high - low:
                errors[name] = _("Wider than the instrument's whole scale.")
        if errors:
            raise ValidationError(errors)


class RecognitionRule(models.Model):
    """What a member must have done to hold a recognition's title ("Kind School"): its
    kind, an active agreement, programmes delivered recently. Evaluated by
    `impact.selectors.recognition_standing`."""

    title = models.CharField(
        _("title"),
        max_length=120,
        unique=True,
        help_text=_("Exactly as awarded, e.g. Kind School."),
    )
    member_kind = models.CharField(
        _("kind of member"),
        max_length=20,
        choices=MemberKind.choices,
        blank=True,
        help_text=_("Left empty, any kind of member may qualify."),
    )
    requires_active_agreement = models.BooleanField(_("requires an active agreement"), default=True)
    deliveries_required = models.PositiveSmallIntegerField(
        _("programme deliveries required"),
        default=1,
        help_text=_("How many deliveries of programmes within the period; 0 for none."),
    )
    within_months = models.PositiveSmallIntegerField(
        _("within the last months"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    programme_types = models.JSONField(
        _("programme types"),
        default=list,
        blank=True,
        help_text=_("Only deliveries of these types count; empty for any type."),
    )
    description = models.TextField(_("criteria in words"), blank=True)

    class Meta:
        verbose_name = _("recognition rule")
        verbose_name_plural = _("recognition rules")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        allowed = set(ProgrammeType.values)
        if not isinstance(self.programme_types, list) or not set(self.programme_types) <= allowed:
            raise ValidationError({"programme_types": _("Choose programme types from the list.")})


class ImpactVersion(models.Model):
    """One row: when programmes, deliveries or measurements last changed, for the public
    figures' cache when the default cache is per process (see `impact.cache`)."""

    ROW = 1
    version = models.FloatField(default=0)

    class Meta:
        verbose_name = _("impact figures version")

    def __str__(self) -> str:
        return f"{self.version:.6f}"
