"""Roles, chapter scopes and the records of people's data in the admin.

- groups show their role's description (the four roles come from a migration);
- a user's page says which chapters they work for;
- consent events and accesses to personal data are read-only records;
- the data protection officer's action exports everything about the selected people.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import ChapterScope, ConsentEvent, PersonalDataAccess, Role
from crm.people import person_export
from crm.scope import ALL, user_chapter_ids


class RoleInline(admin.StackedInline):
    model = Role
    can_delete = False
    verbose_name_plural = _("role")


class ChapterScopeInline(admin.StackedInline):
    model = ChapterScope
    can_delete = False
    filter_horizontal = ["chapters"]
    verbose_name_plural = _("chapters this user works for")


class RoleGroupAdmin(GroupAdmin):
    inlines = [RoleInline]
    list_display = ["name", "description"]

    @admin.display(description=_("description"))
    def description(self, group: Group) -> str:
        role = getattr(group, "role", None)
        return role.description if role else ""

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("role")


class ScopedUserAdmin(UserAdmin):
    inlines = [ChapterScopeInline]


for model, model_admin in ((Group, RoleGroupAdmin), (get_user_model(), ScopedUserAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)


class RecordAdmin(admin.ModelAdmin):
    """A record of what happened: read, never written or changed by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ConsentEvent)
class ConsentEventAdmin(RecordAdmin):
    list_display = ["recorded_at", "email", "purpose", "action", "wording_version", "source"]
    list_filter = ["purpose", "action", "wording_version"]
    search_fields = ["email", "source"]
    date_hierarchy = "recorded_at"

    def get_queryset(self, request):
        # The chapter scope: a member's consents follow the member's chapter; those of
        # no member (a join request's submitter) are for users of every chapter.
        events = super().get_queryset(request)
        ids = user_chapter_ids(request.user)
        return events if ids is ALL else events.filter(member__chapter_id__in=ids)


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(RecordAdmin):
    """Who viewed or exported people's data: the audit of every chapter, so for users of
    every chapter only (a scoped user sees an empty list)."""

    list_display = ["at", "username", "action", "what"]
    list_filter = ["action"]
    search_fields = ["username", "what"]
    date_hierarchy = "at"

    def get_queryset(self, request):
        accesses = super().get_queryset(request)
        return accesses if user_chapter_ids(request.user) is ALL else accesses.none()


@admin.action(
    description=_("Export everything about the selected people (JSON)"),
    permissions=["process_personal_data"],
)
def people_export(modeladmin, request, queryset) -> HttpResponse:
    """The data protection officer's export: one JSON document per person selected."""
    field = modeladmin.model.PERSON_EMAIL_FIELD
    emails = sorted({e.lower() for e in queryset.values_list(field, flat=True) if e})
    label = modeladmin.model._meta.label
    people = [person_export(email=email, by=request.user, via=f"admin {label}") for email in emails]
    response = HttpResponse(
        json.dumps({"people": people}, indent=2, default=str), content_type="application/json"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="people-{timezone.now():%Y%m%d-%H%M%S}.json"'
    )
    response["Cache-Control"] = "private, no-store"
    return response
