"""Who may see which chapters, and what the network keeps about people's consent and about
who looked at their data."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.Model):
    """What a role group is for, shown beside the group in the admin. The four roles are
    created by a migration (crm/migrations/0009_roles.py) and looked up by name."""

    group = models.OneToOneField(
        "auth.Group", verbose_name=_("group"), on_delete=models.CASCADE, related_name="role"
    )
    description = models.TextField(_("description"))

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    def __str__(self) -> str:
        return self.group.name


class ChapterScope(models.Model):
    """The chapters a staff user works for: some chapters, or all of them.

    Without a scope a staff user sees no chapter's records (superusers see everything).
    The rule that applies it is `crm.scope.scope_queryset`, the one place it lives.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="chapter_scope",
    )
    all_chapters = models.BooleanField(
        _("all chapters"),
        default=False,
        help_text=_("The international team: every chapter, present and future."),
    )
    chapters = models.ManyToManyField(
        "crm.Chapter",
        verbose_name=_("chapters"),
        blank=True,
        related_name="staff_scopes",
        help_text=_("The chapters whose members, agreements, contacts and requests they see."),
    )
    language = models.CharField(
        _("language of e-mails"),
        max_length=5,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Reminders and notices reach this user in it; the site's language when empty."),
    )

    class Meta:
        verbose_name = _("chapter scope")
        verbose_name_plural = _("chapter scopes")

    def __str__(self) -> str:
        return str(self.user)


class ConsentPurpose(models.TextChoices):
    MAP = "map", _("Appear on the public map")
    PRIVACY_NOTICE = "privacy_notice", _("Privacy notice of a join request")
    EMAIL = "email", _("Receive the movement's e-mails")


class ConsentAction(models.TextChoices):
    GIVEN = "given", _("Given")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ConsentEvent(models.Model):
    """One consent given or withdrawn, never changed afterwards: the history of a consent
    is its rows, so a withdrawal keeps its own time and the wording that was agreed to."""

    email = models.EmailField(_("e-mail of the person"), db_index=True)
    member = models.ForeignKey(
        "crm.Member",
        verbose_name=_("member"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consent_events",
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=ConsentPurpose.choices)
    action = models.CharField(_("action"), max_length=10, choices=ConsentAction.choices)
    wording_version = models.CharField(
        _("version of the wording"),
        max_length=40,
        blank=True,
        help_text=_("The version of the text the person agreed to (CONSENT_WORDING_VERSION)."),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True, db_index=True)
    source = models.CharField(_("recorded through"), max_length=120, blank=True)

    PERSON_EMAIL_FIELD = "email"
    PERSONAL_FIELDS = ("email",)

    class Meta:
        verbose_name = _("consent event")
        verbose_name_plural = _("consent events")
        permissions = [
            ("process_personal_data", _("Can export and erase a person's data")),
        ]
        ordering = ["-recorded_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()}: {self.get_action_display()}"

    @classmethod
    def email_consent_change(
        cls, person, *, before: bool | None, member=None, source: str = ""
    ) -> ConsentEvent | None:
        """The event of a saved contact's or ambassador's e-mail consent (`email_consent`),
        given its value before (None: new), or None when nothing changed."""
        if bool(before) == person.email_consent:
            return None
        return cls(
            email=person.email,
            member=member,
            purpose=ConsentPurpose.EMAIL,
            action=ConsentAction.GIVEN if person.email_consent else ConsentAction.WITHDRAWN,
            wording_version=settings.CONSENT_WORDING_VERSION,
            source=source,
        )


class PersonalDataAccess(models.Model):
    """Someone looked at or exported people's data: who, when, what (an audit trail)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    username = models.CharField(_("username"), max_length=150)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    action = models.CharField(_("action"), max_length=20)
    what = models.CharField(_("what"), max_length=300)

    class Meta:
        verbose_name = _("access to personal data")
        verbose_name_plural = _("accesses to personal data")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.username} {self.action} {self.what}"
