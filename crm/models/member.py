from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from crm.models.access import ConsentEvent
from crm.validators import (
    PAST_DATE_VALIDATORS,
    fields_clean_with_phones,
    phone_normalize,
    text_fields_clean,
    website_normalize,
)


class MemberKind(models.TextChoices):
    SCHOOL = "school", _("School")
    COMPANY = "company", _("Company")
    ORGANIZATION = "organization", _("Organisation")
    MUNICIPALITY = "municipality", _("Municipality")
    AMBASSADOR = "ambassador", _("Ambassador")


class GeocodeStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    OK = "ok", _("Located")
    FAILED = "failed", _("Failed")
    MANUAL = "manual", _("Set by hand")
    SKIPPED = "skipped", _("Skipped")
    #: Not placed at a guess: the name is ambiguous, or the official list has no place for
    #: the code. `geocode_error` says why; staff set the coordinates by hand.
    UNPLACED = "unplaced", _("To place by hand")


class GeocodePrecision(models.TextChoices):
    ADDRESS = "address", _("Address")
    STREET = "street", _("Street")
    POSTAL_CODE = "postal_code", _("Postal code")
    CITY = "city", _("City")
    REGION = "region", _("Region")
    COUNTRY = "country", _("Country")


@dataclass(frozen=True)
class FixedPoint:
    """Where a member is by rule (`Member.geocode_fixed_point`): a value of the core, which
    the geocoding app turns into its own result. Without coordinates it says that the rule
    knows no place and no search may guess one: `problem` tells staff why (status
    "To place by hand")."""

    latitude: float | None
    longitude: float | None
    precision: str  # a GeocodePrecision value
    source: str  # shown to staff as the geocoding source, e.g. "istat"
    problem: str = ""


class MembershipStatus(models.TextChoices):
    """What a member's agreements say about it today (see MemberQuerySet.with_membership)."""

    ACTIVE = "active", _("Active member")
    UPCOMING = "upcoming", _("Agreement not started yet")
    LAPSED = "lapsed", _("Former member")
    NONE = "none", _("No signed agreement")


class MemberQuerySet(models.QuerySet):
    def active_on(self, day: datetime.date | None = None) -> MemberQuerySet:
        """Members with an agreement active on `day` (today by default)."""
        from .agreement import Agreement

        active = Agreement.objects.active_on(day).filter(member=OuterRef("pk"))
        return self.filter(Exists(active))

    def with_membership(self, day: datetime.date | None = None) -> MemberQuerySet:
        """Annotate `membership` (a MembershipStatus) with subqueries: one query for any page."""
        from .agreement import Agreement, in_force_on, not_started_on

        day = day or timezone.localdate()
        agreements = Agreement.objects.filter(member=OuterRef("pk"))
        return self.annotate(
            membership=models.Case(
                models.When(
                    Exists(agreements.filter(in_force_on(day))),
                    then=models.Value(MembershipStatus.ACTIVE),
                ),
                models.When(
                    Exists(agreements.filter(not_started_on(day))),
                    then=models.Value(MembershipStatus.UPCOMING),
                ),
                models.When(
                    Exists(agreements.filter(signed_on__isnull=False)),
                    then=models.Value(MembershipStatus.LAPSED),
                ),
                default=models.Value(MembershipStatus.NONE),
                output_field=models.CharField(),
            )
        )

    def with_membership_status(self, status: str, day: datetime.date | None = None):
        """Members whose membership on `day` is `status`.

        EXISTS conditions in the WHERE clause rather than a filter on the CASE of
        `with_membership()`: the database can use the agreements' member index, stops at
        the first match, and computes nothing for rows that a page skips.
        """
        from .agreement import Agreement, in_force_on, not_started_on

        day = day or timezone.localdate()
        agreements = Agreement.objects.filter(member=OuterRef("pk"))
        active = Exists(agreements.filter(in_force_on(day)))
        upcoming = Exists(agreements.filter(not_started_on(day)))
        signed = Exists(agreements.filter(signed_on__isnull=False))
        condition = {
            MembershipStatus.ACTIVE: active,
            MembershipStatus.UPCOMING: ~active & upcoming,
            MembershipStatus.LAPSED: ~active & ~upcoming & signed,
            MembershipStatus.NONE: ~signed,
        }.get(status)
        return self.filter(condition) if condition is not None else self.none()

    def membership_by_id(self, ids: Iterable[int], day: datetime.date | None = None):
        """{member id: MembershipStatus} for `ids` only, in one query: their signed
        agreements counted per member (one pass over the agreements' member index, where
        `with_membership()` probes it three times per member)."""
        from .agreement import Agreement, in_force_on, not_started_on

        day = day or timezone.localdate()
        ids = list(ids)
        counted = (
            Agreement.objects.filter(member_id__in=ids, signed_on__isnull=False)
            .order_by()
            .values("member_id")
            .annotate(
                active=models.Count("pk", filter=in_force_on(day)),
                upcoming=models.Count("pk", filter=not_started_on(day)),
            )
            .values_list("member_id", "active", "upcoming")
        )
        by_id = dict.fromkeys(ids, MembershipStatus.NONE)
        for member_id, active, upcoming in counted:
            by_id[member_id] = (
                MembershipStatus.ACTIVE
                if active
                else MembershipStatus.UPCOMING
                if upcoming
                else MembershipStatus.LAPSED
            )
        return by_id

    def attach_membership(self, members: Sequence[Member], day: datetime.date | None = None):
        """Set `membership` on each of `members` (a page) with one query for all of them:
        lists compute the status for the rows they show, not for every row they skip."""
        by_id = self.membership_by_id((member.pk for member in members), day)
        for member in members:
            member.membership = by_id.get(member.pk, MembershipStatus.NONE)
        return members

    def with_agreement_expiring_within(
        self, days: int, day: datetime.date | None = None
    ) -> MemberQuerySet:
        from .agreement import Agreement

        expiring = Agreement.objects.expiring_within(days, day).filter(member=OuterRef("pk"))
        return self.filter(Exists(expiring))

    def on_map(self) -> MemberQuerySet:
        """Members the public map may show: active today, located, shown, with consent if people."""
        return (
            self.active_on()
            .filter(show_on_map=True, latitude__isnull=False, longitude__isnull=False)
            .exclude(kind=MemberKind.AMBASSADOR, ambassador__map_consent=False)
        )


#: The fields staff edit on every kind of member, in the order forms and files show them;
#: the import columns, the API's member fields and the import benchmark start from them.
MEMBER_EDITABLE_FIELDS = (
    "name",
    "chapter",
    "sectors",
    "street",
    "postal_code",
    "city",
    "province",
    "region",
    "country",
    "email",
    "phone",
    "website",
    "description",
    "show_on_map",
    "notes",
)


class Member(models.Model):
    """Anyone in the network: the concrete base of every kind (school, company, …).

    Each kind is a multi-table subclass, so agreements, geocoding, the map and the
    dashboard work on every kind with one query on this table.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=MemberKind.choices, editable=False)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    chapter = models.ForeignKey(
        "crm.Chapter",
        verbose_name=_("chapter"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        help_text=_("Left empty, it is taken from the country when a chapter covers it."),
    )
    sectors = models.ManyToManyField(
        "crm.Sector", verbose_name=_("sectors"), blank=True, related_name="members"
    )

    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    province = models.CharField(
        _("province"),
        max_length=80,
        blank=True,
        help_text=_("Province, canton or county, e.g. MI or Ticino."),
    )
    region = models.CharField(_("region"), max_length=80, blank=True)
    country = CountryField(_("country"), default="IT")

    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    geocode_status = models.CharField(
        _("geocoding status"),
        max_length=10,
        choices=GeocodeStatus.choices,
        default=GeocodeStatus.PENDING,
        db_index=True,
        help_text=_("'Set by hand' coordinates are never overwritten by automatic geocoding."),
    )
    geocode_precision = models.CharField(
        _("geocoding precision"), max_length=12, choices=GeocodePrecision.choices, blank=True
    )
    geocode_provider = models.CharField(_("geocoding source"), max_length=40, blank=True)
    geocoded_at = models.DateTimeField(_("geocoded at"), null=True, blank=True)
    geocode_error = models.CharField(_("last geocoding error"), max_length=300, blank=True)
    geocode_attempts = models.PositiveSmallIntegerField(_("geocoding attempts"), default=0)

    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    website = models.URLField(_("website"), blank=True)
    description = models.TextField(
        _("public description"), blank=True, help_text=_("Shown on the public map.")
    )
    show_on_map = models.BooleanField(_("show on map"), default=True)
    show_programmes = models.BooleanField(
        _("show its programmes publicly"),
        default=False,
        help_text=_(
            "The member agrees that the programmes it took part in appear on its map card."
        ),
    )
    notes = models.TextField(_("internal notes"), blank=True, help_text=_("Never published."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords(inherit=True)
    objects = MemberQuerySet.as_manager()

    #: How a row reaches its chapter (crm/scope.py).
    CHAPTER_LOOKUP = "chapter"
    #: A person's rows are found by this e-mail; these fields name them (crm/people.py).
    #: An organisation's e-mail and phone may be a person's; its name and address are not.
    PERSON_EMAIL_FIELD = "email"
    PERSONAL_FIELDS: tuple[str, ...] = ("email", "phone")
    #: Set by save(): True when the save left the member waiting for coordinates.
    geocoding_due: bool = False
    #: Set by each subclass; the value stored in `kind`.
    KIND: str = ""
    #: Fields that normalize() derives (no form shows them) and that database
    #: constraints read: validate_constraints() checks them anyway, so the admin
    #: answers with a form error instead of an IntegrityError.
    DERIVED_FIELDS: frozenset[str] = frozenset({"kind"})

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["name"]
        indexes = [
            models.Index(fields=["kind", "country"]),
            models.Index(fields=["latitude", "longitude"]),
            # Lists: the default ordering, the region filter and its choices, the newest.
            models.Index(fields=["name", "id"]),
            models.Index(fields=["region"]),
            models.Index(fields=["country"]),  # the country filter's choices
            models.Index(fields=["created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="member_latitude_range",
                violation_error_message=_("Latitude must be between -90 and 90."),
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="member_longitude_range",
                violation_error_message=_("Longitude must be between -180 and 180."),
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="member_coordinates_both_or_none",
                violation_error_message=_("Give both latitude and longitude, or neither."),
            ),
            models.UniqueConstraint(
                "email",
                condition=Q(kind="ambassador") & ~Q(email=""),
                name="ambassador_email_unique",
                violation_error_message=_("An ambassador with this e-mail already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.normalize()
        if self.chapter_id is None and self.country:
            from .reference import Chapter

            self.chapter = Chapter.objects.filter(country=self.country).first()
        reset = self._geocode_reset_if_moved()
        if reset and kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], *GEOCODE_FIELDS}
        #: Read by crm.signals after the save: True when this save left the member waiting
        #: for coordinates (new, or moved), so geocoding is queued after the commit.
        self.geocoding_due = self.geocode_status == GeocodeStatus.PENDING and (
            reset or self._geocode_new
        )
        super().save(*args, **kwargs)
        self._stored_address = self._address_snapshot()

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # Remember the stored address, so save() knows whether it must be geocoded again.
        loaded = set(field_names)
        if all(name in loaded for name in instance.address_fields()):
            instance._stored_address = instance._address_snapshot()
        return instance

    def _address_snapshot(self) -> tuple[str, ...]:
        return tuple(str(getattr(self, name) or "") for name in self.address_fields())

    def _geocode_reset_if_moved(self) -> bool:
        """A changed address makes the old coordinates wrong: back to pending, unless set by hand.

        Returns whether geocoding is needed. A new member keeps a status its creator chose
        (imports of located members); otherwise it is pending.
        """
        self._geocode_new = self._state.adding
        if self._state.adding:
            return False
        stored = getattr(self, "_stored_address", None)
        if stored is None or stored == self._address_snapshot():
            return False
        if self.geocode_status == GeocodeStatus.MANUAL:
            return False
        self.latitude = self.longitude = None
        self.geocode_status = GeocodeStatus.PENDING
        self.geocode_precision = self.geocode_provider = self.geocode_error = ""
        self.geocoded_at = None
        self.geocode_attempts = 0
        return True

    def geocode_set_by_hand(self, *, latitude: float, longitude: float) -> None:
        """Staff placed this member themselves: automatic geocoding will never move it."""
        self.latitude, self.longitude = latitude, longitude
        self.geocode_status = GeocodeStatus.MANUAL
        self.geocode_precision = GeocodePrecision.ADDRESS
        self.geocode_provider = "staff"
        self.geocode_error = ""
        self.geocoded_at = timezone.now()

    def geocode_fixed_point(self) -> FixedPoint | None:
        """Coordinates this member has by rule, without asking any geocoder; None in the base.

        The geocoding pipeline calls this first, before its cache and its providers, on the
        member loaded as its own kind (School, Municipality, …). A kind overrides it when it
        knows better than an address search: e.g. `Municipality` places a municipality with an
        official code from the official reference list. Return a `FixedPoint`, with
        `precision` a `GeocodePrecision` value and `source` a short source name shown to
        staff ("istat"). It may query the database; it must not call the network. The result
        is not cached: it belongs to this member only. Manual coordinates still win: the
        pipeline never overwrites a member whose status is `manual`.
        """
        return None

    def normalize(self) -> None:
        """Bring derived and canonical values in line; every kind adds its own. No queries."""
        if self.KIND:
            self.kind = self.KIND
        text_fields_clean(self)
        self.phone = phone_normalize(self.phone, self.country)
        self.website = website_normalize(self.website)

    def clean_fields(self, exclude=None) -> None:
        """Django's field checks on the normalised values, and the phone number in E.164 for
        the member's country (an unparsable number is an error of `phone`, never stored)."""
        self.normalize()
        fields_clean_with_phones(
            self, super().clean_fields, exclude=exclude, phones={"phone": self.country}
        )

    def validate_constraints(self, exclude=None) -> None:
        self.normalize()
        super().validate_constraints(exclude=set(exclude or ()) - self.DERIVED_FIELDS)

    @property
    def coordinates(self) -> tuple[float, float] | None:
        if self.latitude is None or self.longitude is None:
            return None
        return (self.latitude, self.longitude)

    def address_fields(self) -> tuple[str, ...]:
        """The fields whose change means the member must be geocoded again."""
        return ("street", "postal_code", "city", "province", "region", "country")

    def specific(self) -> Member:
        """This member as its own kind (School, Company, …), one query."""
        if type(self) is not Member:
            return self
        return getattr(self, self.kind)

    def get_admin_url(self) -> str:
        """The change page of this member's own kind (the all-members page if kind is unset)."""
        if self.kind not in KIND_APP_LABELS:
            return reverse("admin:crm_member_change", args=[self.pk])
        return reverse(f"admin:{self.kind_app_label()}_{self.kind}_change", args=[self.pk])

    def kind_app_label(self) -> str:
        return KIND_APP_LABELS[self.kind]


#: What the geocoding pipeline writes; everything else of a member is staff's.
GEOCODE_FIELDS = (
    "latitude",
    "longitude",
    "geocode_status",
    "geocode_precision",
    "geocode_provider",
    "geocoded_at",
    "geocode_error",
    "geocode_attempts",
)

KIND_APP_LABELS = {
    MemberKind.SCHOOL: "partners",
    MemberKind.COMPANY: "partners",
    MemberKind.ORGANIZATION: "partners",
    MemberKind.MUNICIPALITY: "municipalities",
    MemberKind.AMBASSADOR: "ambassadors",
}


class Contact(models.Model):
    """A person at a member organisation: who staff write to, call, or meet."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=150)
    role = models.CharField(_("role"), max_length=120, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_primary = models.BooleanField(
        _("primary contact"), default=False, help_text=_("At most one per member.")
    )
    email_consent = models.BooleanField(
        _("agrees to receive the movement's e-mails"),
        default=False,
        help_text=_("Only people who agreed receive mailings (newsletter, news of the network)."),
    )
    email_consent_at = models.DateTimeField(_("e-mail consent given at"), null=True, blank=True)
    language = models.CharField(
        _("language"),
        max_length=5,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Of the e-mails Kindnet sends them; the site's language when empty."),
    )

    history = HistoricalRecords()

    CHAPTER_LOOKUP = "member__chapter"
    PERSON_EMAIL_FIELD = "email"
    PERSONAL_FIELDS = ("name", "email", "phone")
    #: Each row is a person: viewing it is recorded (crm/people.py).
    PERSONAL_RECORD = True

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        permissions = [("export_contact", _("Can export contacts"))]
        ordering = ["-is_primary", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(is_primary=True),
                name="contact_one_primary_per_member",
                violation_error_message=_("This member already has a primary contact."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.role})" if self.role else self.name

    def save(self, *args, **kwargs) -> None:
        self.normalize()
        before = (
            Contact.objects.filter(pk=self.pk).values_list("email_consent", flat=True).first()
            if self.pk
            else None
        )
        super().save(*args, **kwargs)
        event = ConsentEvent.email_consent_change(self, before=before, member=self.member)
        if event is not None:
            event.save()

    def normalize(self) -> None:
        """Text without control characters; the phone in E.164 when the member is at hand
        (no query: a number is never read in a guessed country; validation reads it)."""
        text_fields_clean(self)
        if self.email_consent and self.email_consent_at is None:
            self.email_consent_at = timezone.now()
        if not self.email_consent:
            self.email_consent_at = None
        if Contact.member.is_cached(self) and self.member is not None:
            self.phone = phone_normalize(self.phone, self.member.country)

    def clean_fields(self, exclude=None) -> None:
        self.normalize()
        # An admin inline of a new member has the member at hand, not yet its id.
        member = self.member if self.member_id or Contact.member.is_cached(self) else None
        country = member.country if member is not None else "IT"
        fields_clean_with_phones(
            self, super().clean_fields, exclude=exclude, phones={"phone": country}
        )

    @property
    def mail_language(self) -> str:
        return self.language or settings.LANGUAGE_CODE


class Recognition(models.Model):
    """A title awarded to a member ("Kind School", "Kind Island"), shown on the public map."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="recognitions"
    )
    title = models.CharField(_("title"), max_length=120)
    awarded_on = models.DateField(_("awarded on"), validators=PAST_DATE_VALIDATORS)
    note = models.CharField(
        _("note"), max_length=300, blank=True, help_text=_("Why it was awarded.")
    )
    withdrawn_on = models.DateField(
        _("withdrawn on"), null=True, blank=True, validators=PAST_DATE_VALIDATORS
    )
    withdrawal_reason = models.CharField(_("reason for withdrawal"), max_length=300, blank=True)

    CHAPTER_LOOKUP = "member__chapter"

    class Meta:
        verbose_name = _("recognition")
        verbose_name_plural = _("recognitions")
        ordering = ["-awarded_on", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "title", "awarded_on"],
                name="recognition_unique_per_member_and_date",
                violation_error_message=_("This member already has this title on this date."),
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gte=F("awarded_on")),
                name="recognition_withdrawn_after_award",
                violation_error_message=_("A title cannot be withdrawn before it was awarded."),
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True) | ~Q(withdrawal_reason=""),
                name="recognition_withdrawal_has_reason",
                violation_error_message=_("Give the reason for the withdrawal."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.awarded_on:%Y})"
