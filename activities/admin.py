"""The staff interface of activities and follow-ups ("my follow-ups"), and the timeline
that every member's change page shows (MemberTimelineAdminMixin, used by the core's
member admin)."""

from __future__ import annotations

from pathlib import PurePath

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from activities.models import (
    Activity,
    FollowUp,
    activity_contacts_check,
    attachment_size_check,
)
from activities.resources import ActivityResource, FollowUpResource
from activities.selectors import TimelineSource, member_timeline
from activities.services import follow_ups_mark_done, follow_ups_reopen
from crm.admin_scope import ChapterScopedAdmin
from exchange.admin import NetworkImportExportMixin


class AttachmentLink:
    """What the file widget shows for a stored attachment: the staff download, by its name."""

    def __init__(self, url: str, name: str) -> None:
        self.url, self.name = url, name

    def __str__(self) -> str:
        return self.name


class AttachmentInput(forms.ClearableFileInput):
    """Links a stored attachment to the permission-checked download, never to a file URL."""

    def get_context(self, name, value, attrs):
        instance = getattr(value, "instance", None)
        if value and instance is not None and instance.pk:
            url = reverse("activities:activity_attachment", args=[instance.pk])
            value = AttachmentLink(url, instance.attachment_name or str(_("attachment")))
        return super().get_context(name, value, attrs)


class ActivityAdminForm(forms.ModelForm):
    """Refuses an oversized attachment and another member's contacts before anything is
    stored."""

    class Meta:
        widgets = {"attachment": AttachmentInput}

    def clean_attachment(self):
        attachment = self.cleaned_data.get("attachment")
        if isinstance(attachment, UploadedFile):
            attachment_size_check(attachment)
        return attachment

    def clean(self):
        cleaned = super().clean()
        member = cleaned.get("member")
        try:
            activity_contacts_check(member.pk if member else None, cleaned.get("contacts") or [])
        except forms.ValidationError as exc:
            self.add_error(None, exc)
        return cleaned


def _staff_users():
    return get_user_model().objects.filter(is_active=True, is_staff=True).order_by("username")


class StaffFieldsMixin:
    """The person fields (who, assignee) choose among active staff, and default to you."""

    person_field = ""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == self.person_field:
            kwargs["queryset"] = _staff_users()
            kwargs["initial"] = request.user.pk
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change) -> None:
        if not getattr(obj, f"{self.person_field}_id"):
            setattr(obj, self.person_field, request.user)
        super().save_model(request, obj, form, change)


@admin.display(description=_("member"), ordering="member__name")
def member_link(obj) -> str:
    return format_html('<a href="{}">{}</a>', obj.member.get_admin_url(), obj.member.name)


@admin.register(Activity)
class ActivityAdmin(
    StaffFieldsMixin, ChapterScopedAdmin, NetworkImportExportMixin, admin.ModelAdmin
):
    form = ActivityAdminForm
    resource_classes = [ActivityResource]
    person_field = "staff"
    list_display = ["happened_on", "kind", member_link, "staff", "summary_short", "has_attachment"]
    list_filter = [
        "kind",
        ("staff", admin.RelatedOnlyFieldListFilter),
        "member__kind",
        "member__chapter",
        ("happened_on", admin.DateFieldListFilter),
    ]
    list_select_related = ["member", "staff"]
    search_fields = ["summary", "member__name"]
    autocomplete_fields = ["member", "contacts"]
    date_hierarchy = None
    fields = ["member", "kind", "happened_on", "staff", "summary", "contacts", "attachment"]

    @admin.display(description=_("summary"))
    def summary_short(self, obj: Activity) -> str:
        return Truncator(obj.summary).chars(80)

    @admin.display(description=_("attachment"), boolean=True)
    def has_attachment(self, obj: Activity) -> bool:
        return bool(obj.attachment)

    def save_model(self, request, obj, form, change) -> None:
        upload = form.cleaned_data.get("attachment")
        if isinstance(upload, UploadedFile):
            obj.attachment_name = PurePath(upload.name).name[:200]
        elif not obj.attachment:
            obj.attachment_name = ""
        super().save_model(request, obj, form, change)


class AssigneeFilter(admin.SimpleListFilter):
    """Whose follow-ups: yours unless you ask for someone else's ("my follow-ups")."""

    title = _("assigned to")
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", _("Me")), ("anyone", _("Anyone")), ("nobody", _("Nobody"))]

    def value(self):
        return super().value() or "me"

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        if self.value() == "nobody":
            return queryset.filter(assignee__isnull=True)
        if self.value() == "anyone":
            return queryset
        return queryset.filter(assignee=request.user)


class StateFilter(admin.SimpleListFilter):
    """Open follow-ups unless you ask for the done ones too."""

    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("open", _("To do")),
            ("overdue", _("Overdue")),
            ("done", _("Done")),
            ("all", _("All")),
        ]

    def value(self):
        return super().value() or "open"

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value()
        if value == "done":
            return queryset.filter(done_on__isnull=False)
        if value == "overdue":
            return queryset.open().filter(due_on__lt=timezone.localdate())
        if value == "all":
            return queryset
        return queryset.open()


@admin.register(FollowUp)
class FollowUpAdmin(
    StaffFieldsMixin, ChapterScopedAdmin, NetworkImportExportMixin, admin.ModelAdmin
):
    """ "My follow-ups": the list opens on your open ones, the longest overdue first."""

    resource_classes = [FollowUpResource]
    person_field = "assignee"
    list_display = ["title", member_link, "due_on", "state_label", "assignee", "done_on"]
    list_filter = [
        AssigneeFilter,
        StateFilter,
        "member__kind",
        "member__chapter",
        ("due_on", admin.DateFieldListFilter),
    ]
    list_select_related = ["member", "assignee"]
    search_fields = ["title", "notes", "member__name"]
    autocomplete_fields = ["member", "activity"]
    ordering = ["due_on", "id"]
    fields = ["member", "title", "due_on", "assignee", "notes", "activity", "done_on", "origin"]
    readonly_fields = ["origin"]
    actions = ["mark_done", "reopen"]

    @admin.display(description=_("state"))
    def state_label(self, obj: FollowUp) -> str:
        if obj.done_on:
            return _("Done")
        if obj.due_on < timezone.localdate():
            return format_html('<strong class="follow-up-overdue">{}</strong>', _("Overdue"))
        return _("To do")

    @admin.action(description=_("Mark as done today"), permissions=["change"])
    def mark_done(self, request, queryset) -> None:
        count = follow_ups_mark_done(follow_ups=queryset)
        self.message_user(
            request,
            ngettext("%(n)d follow-up done.", "%(n)d follow-ups done.", count) % {"n": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Mark as still to do"), permissions=["change"])
    def reopen(self, request, queryset) -> None:
        count = follow_ups_reopen(follow_ups=queryset)
        self.message_user(
            request,
            ngettext("%(n)d follow-up open again.", "%(n)d follow-ups open again.", count)
            % {"n": count},
            messages.SUCCESS,
        )


class MemberTimelineAdminMixin:
    """Shows the member's timeline below its change form (activities, follow-ups,
    agreements, history, and what a kind adds in `timeline_sources`), with links to log
    an activity or plan a follow-up for this member."""

    change_form_template = "admin/activities/member_change_form.html"
    #: A kind's admin adds its own sources (a municipality's join request).
    timeline_sources: tuple[TimelineSource, ...] = ()

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            context["timeline"] = member_timeline(obj, extra_sources=self.timeline_sources)
            context["timeline_today"] = timezone.localdate()
            user = request.user
            if user.has_perm("activities.add_activity"):
                context["activity_add_url"] = (
                    f"{reverse('admin:activities_activity_add')}?member={obj.pk}"
                )
            if user.has_perm("activities.add_followup"):
                context["follow_up_add_url"] = (
                    f"{reverse('admin:activities_followup_add')}?member={obj.pk}"
                )
        return super().render_change_form(request, context, add, change, form_url, obj)
