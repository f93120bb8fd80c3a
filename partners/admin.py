from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from crm.admin import MemberKindAdmin
from partners.models import Company, Organization, School
from partners.resources import CompanyResource, OrganizationResource, SchoolResource


@admin.register(School)
class SchoolAdmin(MemberKindAdmin):
    resource_classes = [SchoolResource]
    list_display = ["name", "school_code", "level", *MemberKindAdmin.list_display[1:]]
    list_filter = ["level", *MemberKindAdmin.list_filter]
    search_fields = ["school_code", *MemberKindAdmin.search_fields]
    kind_fieldsets = [(_("School"), {"fields": ["school_code", "level", "students"]})]


@admin.register(Company)
class CompanyAdmin(MemberKindAdmin):
    resource_classes = [CompanyResource]
    list_display = ["name", "vat_number", "size", *MemberKindAdmin.list_display[1:]]
    list_filter = ["size", *MemberKindAdmin.list_filter]
    search_fields = ["vat_number", *MemberKindAdmin.search_fields]
    kind_fieldsets = [(_("Company"), {"fields": ["vat_number", "size", "employees"]})]


@admin.register(Organization)
class OrganizationAdmin(MemberKindAdmin):
    resource_classes = [OrganizationResource]
    list_display = ["name", "type", *MemberKindAdmin.list_display[1:]]
    list_filter = ["type", *MemberKindAdmin.list_filter]
    kind_fieldsets = [(_("Organisation"), {"fields": ["type"]})]
