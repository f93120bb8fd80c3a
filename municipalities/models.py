from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from crm.models import FixedPoint, GeocodePrecision, Member, MemberKind
from crm.models.fields import optional_link
from crm.validators import (
    PAST_DATE_VALIDATORS,
    PLANNED_DATE_VALIDATORS,
    DateNotAfterValidator,
    date_not_before_1990,
    fields_clean_with_phones,
    phone_normalize,
    text_fields_clean,
)
from municipalities.storage import private_storage

#: The source named to staff for coordinates taken from a country's official list.
OFFICIAL_LIST_PROVIDERS = {"IT": "istat"}

#: A council resolution: not before 1990, not in the future (the form, the API, the admin).
RESOLUTION_DATE_VALIDATORS = [
    date_not_before_1990,
    DateNotAfterValidator(message=_("The resolution date cannot be in the future.")),
]


class Municipality(Member):
    """A municipality that joined by a council resolution.

    `official_code` is unique per country (ISTAT code in Italy, BFS number in
    Switzerland). The country lives on the member table, so `code_country` keeps a
    copy beside the code for the database constraint; save() keeps the two equal.
    """

    KIND = MemberKind.MUNICIPALITY
    DERIVED_FIELDS = Member.DERIVED_FIELDS | {"code_country"}

    official_code = models.CharField(
        _("official municipal code"),
        max_length=12,
        blank=True,
        help_text=_("ISTAT code in Italy (e.g. 058091), BFS number in Switzerland (e.g. 5192)."),
    )
    code_country = models.CharField(max_length=2, editable=False, blank=True)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    mayor = models.CharField(_("mayor"), max_length=150, blank=True)
    term_ends_on = models.DateField(
        _("mayor's term ends on"),
        null=True,
        blank=True,
        validators=PLANNED_DATE_VALIDATORS,
        help_text=_(
            "A new council may not confirm the membership: Kindnet plans a re-confirmation "
            "follow-up and reminds the chapter's staff ahead of this date."
        ),
    )
    resolution_number = models.CharField(_("council resolution number"), max_length=40, blank=True)
    resolution_date = models.DateField(
        _("council resolution date"),
        null=True,
        blank=True,
        validators=RESOLUTION_DATE_VALIDATORS,
    )
    joined_on = models.DateField(
        _("joined on"), null=True, blank=True, validators=PAST_DATE_VALIDATORS
    )

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        constraints = [
            models.UniqueConstraint(
                fields=["code_country", "official_code"],
                condition=~Q(official_code=""),
                name="municipality_code_unique_per_country",
                violation_error_message=_(
                    "A municipality with this official code already exists in this country."
                ),
            )
        ]
        # Imports look for municipalities without a code without reading every one.
        indexes = [
            models.Index(
                fields=["member_ptr"],
                condition=Q(official_code=""),
                name="municipality_without_code",
            )
        ]

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.official_code and not self.official_code.strip().isdigit():
            errors["official_code"] = _("An official code has digits only.")
        if errors:
            raise ValidationError(errors)

    def normalize(self) -> None:
        super().normalize()
        self.official_code = self.official_code.strip()
        self.code_country = str(self.country or "")

    def geocode_fixed_point(self) -> FixedPoint | None:
        """With an official code, the place is the official list's: never an address search
        that could find a namesake in another province. A code the loaded list does not
        know, or cannot place, is left for staff to place by hand. None (search as usual,
        province included) without a code or without a loaded list for the country."""
        if not self.official_code:
            return None
        country = self.code_country or str(self.country or "")
        source = OFFICIAL_LIST_PROVIDERS.get(country, "official list")
        references = MunicipalityReference.objects.filter(country=country)
        reference = (
            references.filter(official_code=self.official_code)
            .only("latitude", "longitude", "name", "province_code")
            .first()
        )
        if reference is None:
            if not references.exists():
                return None
            problem = _("official code %(code)s is not in the official list: place it by hand")
            return FixedPoint(
                None, None, GeocodePrecision.CITY, source, problem % {"code": self.official_code}
            )
        if reference.coordinates is None:
            problem = _(
                "the official list has no place for %(name)s (code %(code)s): place it by hand"
            ) % {"name": reference.label, "code": self.official_code}
            return FixedPoint(None, None, GeocodePrecision.CITY, source, problem)
        return FixedPoint(
            latitude=reference.latitude,
            longitude=reference.longitude,
            precision=GeocodePrecision.CITY,
            source=source,
        )


class MunicipalityReference(models.Model):
    """One municipality of an official list (ISTAT's for Italy), with its place on the map.

    Loaded by `manage.py load_municipalities`; never edited by hand. Coordinates and
    population come from the offline gazetteer, matched by name within the region, so
    a municipality with an official code is placed from here and never by a free-text
    search that could find its namesake in another province.
    """

    country = models.CharField(_("country"), max_length=2)
    official_code = models.CharField(_("official municipal code"), max_length=12)
    name = models.CharField(_("name"), max_length=200)
    search_name = models.CharField(
        _("search name"),
        max_length=200,
        db_index=True,
        help_text=_("The name without accents, case or punctuation, for searching."),
    )
    province = models.CharField(_("province"), max_length=80, blank=True)
    province_code = models.CharField(
        _("province abbreviation"), max_length=10, blank=True, help_text=_("e.g. BG, LE, TI.")
    )
    region = models.CharField(_("region"), max_length=80, blank=True)
    region_code = models.CharField(
        _("region code"), max_length=20, blank=True, help_text=_("GeoNames first-level division.")
    )
    cadastral_code = models.CharField(_("cadastral code"), max_length=8, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)

    class Meta:
        verbose_name = _("official municipality")
        verbose_name_plural = _("official list of municipalities")
        ordering = ["country", "search_name", "province_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "official_code"], name="municipality_reference_code_unique"
            )
        ]
        indexes = [models.Index(fields=["country", "search_name"])]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name with its province, which tells homonyms apart: "Castro (BG)"."""
        return f"{self.name} ({self.province_code})" if self.province_code else self.name

    @property
    def coordinates(self) -> tuple[float, float] | None:
        if self.latitude is None or self.longitude is None:
            return None
        return (self.latitude, self.longitude)


class JoinRequestStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


#: Statuses of a request still waiting for a decision; at most one per municipality.
PENDING_STATUSES = (JoinRequestStatus.SUBMITTED, JoinRequestStatus.IN_REVIEW)


class JoinRequestChannel(models.TextChoices):
    FORM = "form", _("Public form")
    API = "api", _("API")


def resolution_upload_path(join_request: JoinRequest, filename: str) -> str:
    """A generated name: nothing the submitter chose reaches the file system."""
    return f"join-requests/{timezone.now():%Y}/{uuid.uuid4().hex}.pdf"


class JoinRequest(models.Model):
    """A municipality's request to join the movement, with its council resolution.

    Created by the public form or the API (`join_request_submit`), decided by staff
    (`join_request_approve` / `join_request_reject`); all in municipalities/services.py.
    """

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=JoinRequestStatus.choices,
        default=JoinRequestStatus.SUBMITTED,
        db_index=True,
    )
    channel = models.CharField(
        _("received through"),
        max_length=8,
        choices=JoinRequestChannel.choices,
        default=JoinRequestChannel.FORM,
    )
    language = models.CharField(
        _("language"), max_length=5, choices=settings.LANGUAGES, default="en"
    )

    country = CountryField(_("country"), default="IT")
    municipality_reference = optional_link(
        MunicipalityReference,
        verbose_name=_("municipality in the official list"),
        related_name="join_requests",
    )
    municipality_name = models.CharField(_("municipality"), max_length=200)
    official_code = models.CharField(_("official municipal code"), max_length=12, blank=True)
    municipality_key = models.CharField(
        max_length=220,
        editable=False,
        help_text="country:code, or country:name for a municipality outside any list.",
    )

    submitter_name = models.CharField(_("your name"), max_length=150)
    submitter_role = models.CharField(_("your role"), max_length=120)
    submitter_email = models.EmailField(_("your e-mail"))
    submitter_phone = models.CharField(_("your phone"), max_length=40)
    mayor_name = models.CharField(_("mayor's name"), max_length=150)
    resolution_number = models.CharField(_("council resolution number"), max_length=40)
    resolution_date = models.DateField(
        _("council resolution date"), validators=RESOLUTION_DATE_VALIDATORS
    )
    resolution_file = models.FileField(
        _("council resolution (PDF)"),
        storage=private_storage,
        upload_to=resolution_upload_path,
        max_length=200,
    )
    message = models.TextField(_("message"), blank=True, max_length=3000)
    privacy_consent_at = models.DateTimeField(_("privacy consent given at"))

    municipality = optional_link(
        Municipality,
        verbose_name=_("member"),
        related_name="join_requests",
        help_text=_("The municipality created or linked on approval."),
    )
    decided_by = optional_link(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()

    #: A request has no member yet: the chapter of its country reviews it (crm/scope.py).
    CHAPTER_COUNTRY_LOOKUP = "country"
    #: The submitter is a person (crm/people.py); the mayor is a public office.
    PERSON_EMAIL_FIELD = "submitter_email"
    PERSONAL_RECORD = True
    PERSONAL_FIELDS = ("submitter_name", "submitter_email", "submitter_phone", "message")

    class Meta:
        verbose_name = _("join request")
        verbose_name_plural = _("join requests")
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality_key"],
                condition=Q(status__in=PENDING_STATUSES),
                name="join_request_one_pending_per_municipality",
                violation_error_message=_("A request for this municipality is already pending."),
            ),
            models.CheckConstraint(
                condition=~Q(status=JoinRequestStatus.REJECTED) | ~Q(rejection_reason=""),
                name="join_request_rejection_has_reason",
                violation_error_message=_("Give a reason for the rejection."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} · {self.municipality_label}"

    def save(self, *args, **kwargs) -> None:
        self.normalize()
        super().save(*args, **kwargs)

    @property
    def municipality_label(self) -> str:
        reference = self.municipality_reference
        if reference is not None:
            return reference.label
        return self.municipality_name

    def normalize(self) -> None:
        """Control characters out, the phone in E.164 for the request's country if it parses."""
        text_fields_clean(self)
        self.submitter_email = self.submitter_email.strip()
        self.submitter_phone = phone_normalize(self.submitter_phone, self.country)

    def clean_fields(self, exclude=None) -> None:
        self.normalize()
        fields_clean_with_phones(
            self, super().clean_fields, exclude=exclude, phones={"submitter_phone": self.country}
        )

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING_STATUSES

    def decide(self, status: str, *, by: AbstractBaseUser) -> None:
        """Record staff's decision (approved, rejected, withdrawn): who and when; not saved."""
        self.status = status
        self.decided_by = by
        self.decided_at = timezone.now()
