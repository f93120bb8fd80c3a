from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.models import Member, MemberKind
from partners.vat import vat_normalize


class SchoolLevel(models.TextChoices):
    INFANT = "infant", _("Infant school")
    PRIMARY = "primary", _("Primary school")
    LOWER_SECONDARY = "lower_secondary", _("Lower secondary school")
    UPPER_SECONDARY = "upper_secondary", _("Upper secondary school")
    COMPREHENSIVE = "comprehensive", _("Comprehensive institute")
    UNIVERSITY = "university", _("University")
    VOCATIONAL = "vocational", _("Vocational training")


class School(Member):
    """A school or university of the network, identified by its official code when it has one."""

    KIND = MemberKind.SCHOOL

    school_code = models.CharField(
        _("official school code"),
        max_length=20,
        blank=True,
        help_text=_("E.g. the Italian ministry code (MIUR), such as RMIC8A9005. Unique."),
    )
    level = models.CharField(
        _("school level"), max_length=20, choices=SchoolLevel.choices, blank=True
    )
    students = models.PositiveIntegerField(_("number of students"), null=True, blank=True)

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        constraints = [
            models.UniqueConstraint(
                fields=["school_code"],
                condition=~Q(school_code=""),
                name="school_code_unique",
                violation_error_message=_("A school with this official code already exists."),
            )
        ]
        # Imports look for schools without a code (possible duplicates of a file's rows)
        # without reading every school.
        indexes = [
            models.Index(
                fields=["member_ptr"], condition=Q(school_code=""), name="school_without_code"
            )
        ]

    def normalize(self) -> None:
        super().normalize()
        self.school_code = self.school_code.strip().upper()


class CompanySize(models.TextChoices):
    MICRO = "micro", _("Micro (fewer than 10 employees)")
    SMALL = "small", _("Small (10-49)")
    MEDIUM = "medium", _("Medium (50-249)")
    LARGE = "large", _("Large (250 or more)")


class Company(Member):
    """A company partner; its VAT number is stored with the country prefix (IT…, CHE…)."""

    KIND = MemberKind.COMPANY

    vat_number = models.CharField(
        _("VAT / tax number"),
        max_length=20,
        blank=True,
        help_text=_(
            "Checked against the country's rules and stored with its prefix, "
            "e.g. IT01234567890 or CHE123456789. Unique per country."
        ),
    )
    size = models.CharField(_("size"), max_length=10, choices=CompanySize.choices, blank=True)
    employees = models.PositiveIntegerField(
        _("employees"), null=True, blank=True, validators=[MinValueValidator(0)]
    )

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        constraints = [
            models.UniqueConstraint(
                fields=["vat_number"],
                condition=~Q(vat_number=""),
                name="company_vat_number_unique",
                violation_error_message=_("A company with this VAT number already exists."),
            )
        ]
        indexes = [  # as for schools: companies without a VAT number, for imports
            models.Index(
                fields=["member_ptr"], condition=Q(vat_number=""), name="company_without_vat"
            )
        ]

    def normalize(self) -> None:
        super().normalize()
        if self.vat_number:
            try:
                self.vat_number = vat_normalize(self.vat_number, str(self.country))
            except ValidationError:
                # clean() reports an invalid number; a raw save keeps it, tidied.
                self.vat_number = self.vat_number.strip().upper()

    def clean(self) -> None:
        super().clean()
        if self.vat_number:
            try:
                self.vat_number = vat_normalize(self.vat_number, str(self.country))
            except ValidationError as exc:
                raise ValidationError({"vat_number": exc.messages}) from exc


class OrganizationType(models.TextChoices):
    MEDIA = "media", _("Media")
    RESEARCH = "research", _("Research centre")
    HEALTH = "health", _("Health organisation")
    INSTITUTION = "institution", _("Public institution")
    CULTURE = "culture", _("Cultural venue")
    ASSOCIATION = "association", _("Association / NGO")
    OTHER = "other", _("Other")


class Organization(Member):
    """Any other partner: media, research centres, health bodies, institutions, venues, NGOs."""

    KIND = MemberKind.ORGANIZATION

    type = models.CharField(
        _("type"), max_length=20, choices=OrganizationType.choices, default=OrganizationType.OTHER
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
