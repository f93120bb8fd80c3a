from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ambassadors.models import Ambassador
from ambassadors.resources import AmbassadorResource
from crm.admin import MemberKindAdmin
from crm.admin_access import people_export


@admin.register(Ambassador)
class AmbassadorAdmin(MemberKindAdmin):
    resource_classes = [AmbassadorResource]
    actions = [*MemberKindAdmin.actions, people_export]
    list_display = [
        "name",
        "status",
        "email",
        "map_consent",
        "sponsor",
        *MemberKindAdmin.list_display[1:],
    ]
    list_filter = ["status", "map_consent", *MemberKindAdmin.list_filter]
    list_select_related = ["chapter", "sponsor"]
    search_fields = ["first_name", "last_name", *MemberKindAdmin.search_fields]
    autocomplete_fields = ["sponsor"]
    readonly_fields = [
        "name",
        "map_consent_at",
        "email_consent_at",
        *MemberKindAdmin.readonly_fields,
    ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        person = (
            _("Ambassador"),
            {
                "fields": [
                    ("first_name", "last_name"),
                    "status",
                    ("appointed_on", "term_ends_on"),
                    "sponsor",
                    ("map_consent", "map_consent_at"),
                    ("email_consent", "email_consent_at"),
                ],
                "description": _("Only the city is ever published; the street stays private."),
            },
        )
        # The name is made from first and last name; keep it visible but read-only.
        return [fieldsets[0], person, *fieldsets[1:]]
