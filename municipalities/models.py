from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Member, MemberKind


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
    resolution_number = models.CharField(_("council resolution number"), max_length=40, blank=True)
    resolution_date = models.DateField(_("council resolution date"), null=True, blank=True)
    joined_on = models.DateField(_("joined on"), null=True, blank=True)

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

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.resolution_date and self.resolution_date > timezone.localdate():
            errors["resolution_date"] = _("The resolution date cannot be in the future.")
        if self.official_code and not self.official_code.strip().isdigit():
            errors["official_code"] = _("An official code has digits only.")
        if errors:
            raise ValidationError(errors)

    def normalize(self) -> None:
        super().normalize()
        self.official_code = self.official_code.strip()
        self.code_country = str(self.country or "")
