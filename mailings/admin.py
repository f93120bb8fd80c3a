"""The staff interface of mailings: audiences (with their size), mailings (test, send,
counts), newsletter subscribers and the suppressed addresses."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from crm.admin_access import RecordAdmin
from crm.admin_scope import ChapterScopedAdmin
from crm.scope import ALL, user_chapter_ids
from mailings.models import Audience, Mailing, MailingStatus, Subscriber, Suppression
from mailings.selectors import audience_recipients
from mailings.services import (
    MailingNotSendable,
    mailing_counts,
    mailing_queue,
    mailing_test_enqueue,
)

SOURCE_LABELS = {
    "contacts": _("contacts"),
    "ambassadors": _("ambassadors"),
    "subscribers": _("newsletter subscribers"),
}


def _size_html(audience: Audience) -> str:
    recipients = audience_recipients(audience)
    parts = format_html_join(
        ", ", "{} {}", ((n, SOURCE_LABELS[name]) for name, n in recipients.by_source.items())
    )
    return format_html(
        "<strong>{}</strong> {} ({})",
        len(recipients),
        gettext("addresses, each once, all with consent"),
        parts or "-",
    )


@admin.register(Audience)
class AudienceAdmin(ChapterScopedAdmin, admin.ModelAdmin):
    list_display = [
        "name",
        "chapter",
        "include_contacts",
        "include_ambassadors",
        "include_subscribers",
    ]
    list_filter = ["chapter"]
    search_fields = ["name"]
    readonly_fields = ["size"]
    fieldsets = [
        (None, {"fields": ["name", "size"]}),
        (_("Who"), {"fields": ["include_contacts", "include_ambassadors", "include_subscribers"]}),
        (
            _("Filters (people of the network)"),
            {
                "fields": [
                    "member_kind",
                    "chapter",
                    ("country", "region"),
                    "sector",
                    "membership_status",
                    "agreement_expiring_within_days",
                ]
            },
        ),
        (_("Language"), {"fields": ["language"]}),
    ]

    @admin.display(description=_("size now"))
    def size(self, audience: Audience) -> str:
        if audience.pk is None:
            return gettext("Shown once the audience is saved.")
        return _size_html(audience)


@admin.register(Mailing)
class MailingAdmin(ChapterScopedAdmin, admin.ModelAdmin):
    list_display = ["subject_en", "audience", "status", "queued_at", "finished_at"]
    list_filter = ["status"]
    list_select_related = ["audience"]
    search_fields = ["subject_en", "subject_it"]
    autocomplete_fields = ["audience"]
    readonly_fields = ["status", "created_by", "queued_at", "finished_at", "counts"]
    fieldsets = [
        (None, {"fields": ["audience"]}),
        (_("English"), {"fields": ["subject_en", "body_en"]}),
        (_("Italian"), {"fields": ["subject_it", "body_it"]}),
        (_("Sending"), {"fields": ["status", "created_by", "queued_at", "finished_at", "counts"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != MailingStatus.DRAFT:
            return [f.name for f in Mailing._meta.fields if f.name != "id"] + ["counts"]
        return super().get_readonly_fields(request, obj)

    def save_model(self, request, obj: Mailing, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=pgettext_lazy("e-mail", "deliveries"))
    def counts(self, mailing: Mailing) -> str:
        if mailing.pk is None or mailing.status == MailingStatus.DRAFT:
            return "-"
        c = mailing_counts(mailing=mailing)
        return format_html(
            "{}: {} · {}: {} · {}: {} · {}: {} · {}: {} · {}: {}",
            gettext("recipients"), c.recipients,
            gettext("waiting"), c.queued,
            gettext("sent"), c.sent,
            gettext("failed"), c.failed,
            gettext("skipped (unsubscribed or bounced meanwhile)"), c.skipped,
            gettext("unsubscribed through this mailing"), c.unsubscribed,
        )  # fmt: skip

    def get_urls(self):
        own = [
            path(
                "<path:object_id>/send/",
                self.admin_site.admin_view(self.send_view),
                name="mailings_mailing_send",
            ),
            path(
                "<path:object_id>/send-test/",
                self.admin_site.admin_view(self.send_test_view),
                name="mailings_mailing_send_test",
            ),
        ]
        return own + super().get_urls()

    def _sendable(self, request: HttpRequest, object_id: str) -> Mailing:
        mailing = self.get_object(request, object_id)
        if mailing is None:
            raise Http404
        if not self.has_change_permission(request, mailing):
            raise PermissionDenied
        return mailing

    def send_test_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        mailing = self._sendable(request, object_id)
        change_url = reverse("admin:mailings_mailing_change", args=[mailing.pk])
        if request.method != "POST":
            return redirect(change_url)
        if not request.user.email:
            self.message_user(
                request,
                gettext("Your account has no e-mail address: add one to receive tests."),
                messages.ERROR,
            )
        else:
            mailing_test_enqueue(mailing_id=mailing.pk, email=request.user.email)
            self.message_user(
                request,
                gettext("A test of each language version is on its way to %(email)s.")
                % {"email": request.user.email},
            )
        return redirect(change_url)

    def send_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        mailing = self._sendable(request, object_id)
        change_url = reverse("admin:mailings_mailing_change", args=[mailing.pk])
        if mailing.status != MailingStatus.DRAFT:
            self.message_user(
                request, gettext("This mailing has already been sent."), messages.ERROR
            )
            return redirect(change_url)
        if request.method == "POST":
            try:
                count = mailing_queue(mailing_id=mailing.pk)
            except MailingNotSendable as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext(
                        "Sending to %(count)d addresses in the background; this page shows "
                        "how far it got."
                    )
                    % {"count": count},
                )
            return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "mailing": mailing,
            "size": _size_html(mailing.audience),
            "title": gettext("Send this mailing?"),
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/mailings/mailing/send_confirm.html", context)


@admin.register(Subscriber)
class SubscriberAdmin(RecordAdmin):
    """Sign-ups of the website: recorded by the people themselves, not written by staff.
    They belong to no chapter, so only users of every chapter see them."""

    list_display = ["email", "status", "language", "signed_up_at", "confirmed_at", "consent_source"]
    list_filter = ["status", "language"]
    search_fields = ["email"]
    date_hierarchy = "signed_up_at"

    def get_queryset(self, request):
        subscribers = super().get_queryset(request)
        return subscribers if user_chapter_ids(request.user) is ALL else subscribers.none()


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    """Addresses that receive nothing more. Staff may add a bounce reported by hand, or
    delete a row when the person asks to receive mailings again."""

    list_display = ["email", "reason", "recorded_at", "mailing", "source"]
    list_filter = ["reason"]
    search_fields = ["email"]
    list_select_related = ["mailing"]
    fields = ["email", "reason", "source", "mailing", "recorded_at"]
    readonly_fields = ["mailing", "recorded_at"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        return rows if user_chapter_ids(request.user) is ALL else rows.none()

    def save_model(self, request, obj: Suppression, form, change) -> None:
        obj.email = obj.email.strip().lower()
        super().save_model(request, obj, form, change)
