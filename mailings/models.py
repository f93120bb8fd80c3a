"""Newsletter subscribers, the addresses that receive nothing more, audiences, mailings and
their deliveries (one row per recipient).

Who may be written to is decided in one place, `mailings.selectors.audience_recipients`:
confirmed subscribers, contacts and ambassadors with the e-mail consent, never an address
on the suppression list (unsubscribed, bounced).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries.fields import CountryField

from crm.models import MemberKind, MembershipStatus

LANGUAGES = [("en", "English"), ("it", "Italiano")]


class SubscriberStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")


class Subscriber(models.Model):
    """Someone who signed up for the newsletter on the website (double opt-in): nothing is
    sent before they confirm through the link of the confirmation e-mail. The consent is
    recorded with its time, source, wording version and language."""

    # Indexed as well as unique: the unique index leaves out erased rows, so equality
    # lookups (sign-up, confirmation, the audience) could not use it.
    email = models.EmailField(_("e-mail"), db_index=True)
    language = models.CharField(_("language"), max_length=2, choices=LANGUAGES, default="en")
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=SubscriberStatus.choices,
        default=SubscriberStatus.PENDING,
        db_index=True,
    )
    signed_up_at = models.DateTimeField(_("signed up at"), default=timezone.now, db_index=True)
    confirmed_at = models.DateTimeField(_("consent confirmed at"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(
        _("confirmation e-mail sent at"), null=True, blank=True
    )
    consent_source = models.CharField(
        _("signed up through"), max_length=120, blank=True, help_text=_("Page or API, and origin.")
    )
    consent_wording_version = models.CharField(
        _("version of the consent wording"), max_length=40, blank=True
    )

    PERSON_EMAIL_FIELD = "email"
    PERSONAL_FIELDS = ("email",)

    class Meta:
        verbose_name = _("newsletter subscriber")
        verbose_name_plural = _("newsletter subscribers")
        ordering = ["-signed_up_at", "-pk"]
        constraints = [
            # Erased rows keep an empty address (crm/people.py); every other address once.
            models.UniqueConstraint(
                fields=["email"], condition=~Q(email=""), name="subscriber_email_unique"
            )
        ]

    def __str__(self) -> str:
        return self.email or "[erased]"


class SuppressionReason(models.TextChoices):
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    BOUNCED = "bounced", _("Bounced")
    COMPLAINED = "complained", _("Marked as spam")


class Suppression(models.Model):
    """An address that receives no mailing any more, whoever holds it (subscriber, contact,
    ambassador): respected by the next batch of every mailing, even one being sent."""

    email = models.EmailField(_("e-mail"), db_index=True)  # see Subscriber.email
    reason = models.CharField(_("reason"), max_length=12, choices=SuppressionReason.choices)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now, db_index=True)
    mailing = models.ForeignKey(
        "mailings.Mailing",
        verbose_name=_("mailing"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="suppressions",
        help_text=_("The mailing whose link or bounce recorded it, if any."),
    )
    source = models.CharField(_("recorded through"), max_length=120, blank=True)

    PERSON_EMAIL_FIELD = "email"
    PERSONAL_FIELDS = ("email",)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")
        ordering = ["-recorded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["email"], condition=~Q(email=""), name="suppression_email_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.email or '[erased]'} ({self.get_reason_display()})"


class AudienceSource(models.TextChoices):
    CONTACTS = "contacts", _("Contacts of members")
    AMBASSADORS = "ambassadors", _("Ambassadors")
    SUBSCRIBERS = "subscribers", _("Newsletter subscribers")


#: Filters that only people of the network have (subscribers belong to no member).
MEMBER_FILTERS = (
    "member_kind",
    "chapter",
    "country",
    "region",
    "sector",
    "membership_status",
    "agreement_expiring_within_days",
)


class Audience(models.Model):
    """A saved filter over contacts, ambassadors and newsletter subscribers. Only people
    who agreed to receive e-mails are ever part of it, each address once."""

    name = models.CharField(_("name"), max_length=150)
    include_contacts = models.BooleanField(_("contacts of members"), default=True)
    include_ambassadors = models.BooleanField(_("ambassadors"), default=True)
    include_subscribers = models.BooleanField(
        _("newsletter subscribers"),
        default=False,
        help_text=_("People who signed up on the website; they belong to no member."),
    )
    member_kind = models.CharField(
        _("kind of member"),
        max_length=20,
        choices=MemberKind.choices,
        blank=True,
        help_text=_("Contacts of this kind of member only (ambassadors are their own kind)."),
    )
    chapter = models.ForeignKey(
        "crm.Chapter",
        verbose_name=_("chapter"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: every chapter (only staff of every chapter may choose it)."),
    )
    country = CountryField(_("country"), blank=True)
    region = models.CharField(
        _("region or canton"),
        max_length=80,
        blank=True,
        help_text=_("As written on the members, e.g. Lombardia, or TI for Ticino."),
    )
    sector = models.ForeignKey(
        "crm.Sector",
        verbose_name=_("sector"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    membership_status = models.CharField(
        _("membership"), max_length=10, choices=MembershipStatus.choices, blank=True
    )
    agreement_expiring_within_days = models.PositiveIntegerField(
        _("agreement expiring within (days)"),
        null=True,
        blank=True,
        help_text=_("Members whose active agreement ends within this many days."),
    )
    language = models.CharField(
        _("language"),
        max_length=2,
        choices=LANGUAGES,
        blank=True,
        help_text=_("The language people read: a subscriber's own, else their country's."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    CHAPTER_LOOKUP = "chapter"

    class Meta:
        verbose_name = _("audience")
        verbose_name_plural = _("audiences")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not (self.include_contacts or self.include_ambassadors or self.include_subscribers):
            raise ValidationError(_("Choose at least one group of people."))
        used = [name for name in MEMBER_FILTERS if getattr(self, name) not in (None, "")]
        if self.include_subscribers and used:
            raise ValidationError(
                _(
                    "Newsletter subscribers belong to no member, so a filter on chapter, "
                    "kind, country, region, sector, membership or agreement cannot apply to "
                    "them. Untick the subscribers or remove the filter."
                )
            )
        if self.member_kind == MemberKind.AMBASSADOR and self.include_contacts:
            raise ValidationError(
                {"member_kind": _("Ambassadors have no contacts: tick ambassadors instead.")}
            )


class MailingStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")


class Mailing(models.Model):
    """A message to an audience, in English and Italian: each recipient reads it in their
    language (English when there is no Italian version)."""

    audience = models.ForeignKey(
        Audience, verbose_name=_("audience"), on_delete=models.PROTECT, related_name="mailings"
    )
    subject_en = models.CharField(_("subject (English)"), max_length=200)
    body_en = models.TextField(
        _("text (English)"),
        help_text=_(
            "Markdown: a blank line between paragraphs, **bold**, *italic*, [a link](https://…), "
            "lines starting with - for a list. The unsubscribe link is added at the end."
        ),
    )
    subject_it = models.CharField(_("subject (Italian)"), max_length=200, blank=True)
    body_it = models.TextField(
        _("text (Italian)"), blank=True, help_text=_("Empty: Italian readers get English.")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=MailingStatus.choices, default=MailingStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    queued_at = models.DateTimeField(_("sending started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("sending finished at"), null=True, blank=True)

    CHAPTER_LOOKUP = "audience__chapter"

    class Meta:
        verbose_name = _("mailing")
        verbose_name_plural = _("mailings")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.subject_en

    def clean(self) -> None:
        if bool(self.subject_it.strip()) != bool(self.body_it.strip()):
            raise ValidationError(
                _("Give the Italian version both a subject and a text, or neither.")
            )

    def version(self, language: str) -> tuple[str, str]:
        """(subject, Markdown body) in `language`, English when there is no such version."""
        if language == "it" and self.subject_it.strip():
            return self.subject_it, self.body_it
        return self.subject_en, self.body_en


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped (unsubscribed or bounced meanwhile)")


class Delivery(models.Model):
    """One recipient of a mailing: written when the mailing is queued, sent by a batch task."""

    mailing = models.ForeignKey(
        Mailing, verbose_name=_("mailing"), on_delete=models.CASCADE, related_name="deliveries"
    )
    email = models.EmailField(_("e-mail"))
    language = models.CharField(_("language"), max_length=2, choices=LANGUAGES)
    status = models.CharField(
        _("status"), max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)

    PERSON_EMAIL_FIELD = "email"
    PERSONAL_FIELDS = ("email",)

    class Meta:
        verbose_name = pgettext_lazy("e-mail", "delivery")
        verbose_name_plural = pgettext_lazy("e-mail", "deliveries")
        indexes = [models.Index(fields=["mailing", "status"])]

    def __str__(self) -> str:
        return self.email or "[erased]"
