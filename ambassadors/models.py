from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import ConsentAction, ConsentEvent, ConsentPurpose, Member, MemberKind
from crm.models.fields import optional_link
from crm.validators import PLANNED_DATE_VALIDATORS


class AmbassadorStatus(models.TextChoices):
    CANDIDATE = "candidate", _("Candidate")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    ALUMNI = "alumni", _("Alumni")


class Ambassador(Member):
    """An individual volunteer. Only the city is ever public; the street stays in the database."""

    KIND = MemberKind.AMBASSADOR
    #: Each row is a person: viewing it is recorded (crm/people.py).
    PERSONAL_RECORD = True
    #: Everything that says who and where the person is (crm/people.py erases these).
    PERSONAL_FIELDS = (
        "name",
        "first_name",
        "last_name",
        "email",
        "phone",
        "street",
        "postal_code",
        "description",
        "notes",
        "latitude",
        "longitude",
    )

    first_name = models.CharField(_("first name"), max_length=80)
    last_name = models.CharField(_("last name"), max_length=80)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=AmbassadorStatus.choices,
        default=AmbassadorStatus.CANDIDATE,
    )
    appointed_on = models.DateField(
        _("appointed on"), null=True, blank=True, validators=PLANNED_DATE_VALIDATORS
    )
    term_ends_on = models.DateField(
        _("term ends on"), null=True, blank=True, validators=PLANNED_DATE_VALIDATORS
    )
    sponsor = optional_link(
        Member,
        verbose_name=_("sponsor"),
        related_name="sponsored_ambassadors",
        help_text=_("The member organisation that proposed this ambassador, if any."),
    )
    map_consent = models.BooleanField(
        _("consents to appear on the public map"),
        default=False,
        help_text=_("Without consent the ambassador never appears on the map."),
    )
    map_consent_at = models.DateTimeField(_("consent recorded at"), null=True, blank=True)
    email_consent = models.BooleanField(
        _("agrees to receive the movement's e-mails"),
        default=False,
        help_text=_("Only people who agreed receive mailings (newsletter, news of the network)."),
    )
    email_consent_at = models.DateTimeField(_("e-mail consent given at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ambassador")
        verbose_name_plural = _("ambassadors")
        permissions = [("export_ambassador", _("Can export ambassadors"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(term_ends_on__isnull=True)
                | Q(appointed_on__isnull=True)
                | Q(term_ends_on__gte=models.F("appointed_on")),
                name="ambassador_term_ends_after_appointment",
                violation_error_message=_("The term cannot end before the appointment."),
            ),
            models.CheckConstraint(
                condition=Q(map_consent=False) | Q(map_consent_at__isnull=False),
                name="ambassador_consent_has_timestamp",
                violation_error_message=_("Record when the consent was given."),
            ),
        ]

    def clean(self) -> None:
        super().clean()
        if not self.email:
            raise ValidationError({"email": _("An ambassador needs an e-mail address.")})
        if self.sponsor_id and self.sponsor_id == self.pk:
            raise ValidationError({"sponsor": _("An ambassador cannot sponsor themselves.")})

    def save(self, *args, **kwargs) -> None:
        previous, email_before = (
            Ambassador.objects.filter(pk=self.pk)
            .values_list("map_consent", "email_consent")
            .first()
            if self.pk
            else None
        ) or (None, None)
        super().save(*args, **kwargs)
        events = Ambassador.consent_changes([self], {self.pk: previous})
        email_event = ConsentEvent.email_consent_change(self, before=email_before, member=self)
        ConsentEvent.objects.bulk_create([*events, *([email_event] if email_event else [])])

    @staticmethod
    def consent_changes(
        ambassadors: list[Ambassador], previous: dict[int, bool | None], *, source: str = ""
    ) -> list[ConsentEvent]:
        """The consent events of these saved ambassadors, given their map consent before
        (None: new). Each change is a row of its own, so a withdrawal keeps its time."""
        events = []
        for person in ambassadors:
            before = previous.get(person.pk)
            if bool(before) == person.map_consent or (before is None and not person.map_consent):
                continue
            events.append(
                ConsentEvent(
                    email=person.email,
                    member=person,
                    purpose=ConsentPurpose.MAP,
                    action=ConsentAction.GIVEN if person.map_consent else ConsentAction.WITHDRAWN,
                    wording_version=settings.CONSENT_WORDING_VERSION,
                    source=source,
                )
            )
        return events

    def normalize(self) -> None:
        self.first_name, self.last_name = self.first_name.strip(), self.last_name.strip()
        self.name = " ".join(part for part in (self.first_name, self.last_name) if part)
        super().normalize()
        self.email = self.email.lower()
        if self.map_consent and self.map_consent_at is None:
            self.map_consent_at = timezone.now()
        if not self.map_consent:
            self.map_consent_at = None
        if self.email_consent and self.email_consent_at is None:
            self.email_consent_at = timezone.now()
        if not self.email_consent:
            self.email_consent_at = None
