from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from crm.admin import MemberKindAdmin
from municipalities.models import Municipality
from municipalities.resources import MunicipalityResource


@admin.register(Municipality)
class MunicipalityAdmin(MemberKindAdmin):
    resource_classes = [MunicipalityResource]
    list_display = [
        "name",
        "official_code",
        "province",
        "population",
        "joined_on",
        *MemberKindAdmin.list_display[2:],
    ]
    search_fields = ["official_code", "mayor", *MemberKindAdmin.search_fields]
    kind_fieldsets = [
        (
            _("Municipality"),
            {
                "fields": [
                    "official_code",
                    "population",
                    "mayor",
                    ("resolution_number", "resolution_date"),
                    "joined_on",
                ]
            },
        )
    ]
