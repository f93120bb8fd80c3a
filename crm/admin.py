"""The staff interface of the shared core: members across kinds, agreements, contacts."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR, TO_FIELD_VAR
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from activities.admin import MemberTimelineAdminMixin
from crm.admin_access import people_export
from crm.admin_filters import (
    AgreementExpiringFilter,
    AgreementOwnExpiringFilter,
    AgreementStatusFilter,
    CountryFilter,
    MembershipStatusFilter,
    RegionFilter,
    SectorFilter,
)
from crm.admin_scope import ChapterScopedAdmin
from crm.models import (
    KIND_APP_LABELS,
    Agreement,
    Chapter,
    Contact,
    Member,
    MemberKind,
    MembershipStatus,
    Recognition,
    Sector,
)
from crm.pagination import CountCappedChangeList, CountCappedListAdmin
from crm.services import agreement_renew
from exchange.admin import NetworkImportExportMixin
from exchange.resources import AgreementResource, ContactResource
from geocoding.admin import (
    GEOCODING_FIELDSET,
    MemberGeocodingAdminMixin,
    MemberListGeocodingAdminMixin,
)


@admin.display(description=_("country"), ordering="country")
def country_name(obj: Chapter | Member) -> str:
    # Not the bare field: the admin would look its label up in the 250 country choices
    # once per row (~3 ms each), the largest cost of a list page.
    return obj.country.name


@admin.register(Chapter)
class ChapterAdmin(ChapterScopedAdmin, admin.ModelAdmin):
    list_display = ["name", country_name, "email", "member_count"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, obj: Chapter) -> int:
        return obj.member_count


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ["name_en", "name_it", "slug", "member_count"]
    search_fields = ["name_en", "name_it", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, obj: Sector) -> int:
        return obj.member_count


class ContactInlineFormSet(BaseInlineFormSet):
    """The database allows one primary contact per member; say so before it refuses."""

    def clean(self) -> None:
        super().clean()
        primaries = [
            form
            for form in self.forms
            if form.cleaned_data.get("is_primary") and not form.cleaned_data.get("DELETE")
        ]
        if len(primaries) > 1:
            raise ValidationError(_("Mark only one contact as the primary contact."))


class ContactInline(admin.TabularInline):
    model = Contact
    formset = ContactInlineFormSet
    extra = 0
    fields = ["name", "role", "email", "phone", "language", "is_primary", "email_consent"]


class AgreementInline(admin.TabularInline):
    model = Agreement
    fk_name = "member"
    extra = 0
    fields = ["reference_link", "type", "signed_on", "starts_on", "ends_on", "status_label"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        # Agreements are created on their own page, where reference and PDF are handled.
        return False

    @admin.display(description=_("reference"))
    def reference_link(self, obj: Agreement) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:crm_agreement_change", args=[obj.pk]), obj
        )

    @admin.display(description=_("status"))
    def status_label(self, obj: Agreement) -> str:
        return obj.get_status_display()


class RecognitionInline(admin.TabularInline):
    model = Recognition
    extra = 0


ADDRESS_FIELDSET = (
    _("Address"),
    {"fields": ["street", "postal_code", "city", "province", "region", "country"]},
)
CONTACT_FIELDSET = (_("Contact"), {"fields": ["email", "phone", "website"]})
PUBLIC_FIELDSET = (_("Profile"), {"fields": ["description", "show_programmes", "notes"]})
# "kindness.org" means https://kindness.org (Django 6's default; avoids its deprecation warning).
URL_FIELD_OVERRIDES = {models.URLField: {"assume_scheme": "https"}}


class MembershipChangeList(CountCappedChangeList):
    """A member list that computes today's membership for the rows of its page only (one
    query), never for the rows it skips or counts."""

    def get_results(self, request):
        super().get_results(request)
        Member.objects.attach_membership(self.result_list)


class MemberKindAdmin(
    ChapterScopedAdmin,
    CountCappedListAdmin,
    MemberTimelineAdminMixin,
    MemberGeocodingAdminMixin,
    NetworkImportExportMixin,
    SimpleHistoryAdmin,
):
    """Shared by every kind's admin: columns, filters, inlines and constant-query lists.

    Each kind names its import/export resource in `resource_classes`.
    """

    # No country column: the chapter is the country's (and the country is a filter); at
    # 1,280 px beside the sidebar and the filters every column stays in sight.
    list_display = ["name", "city", "chapter", "membership_label", "geocode_status"]
    list_filter = [
        MembershipStatusFilter,
        AgreementExpiringFilter,
        "chapter",
        ("sectors", SectorFilter),
        CountryFilter,
        RegionFilter,
        "geocode_status",
        # Fixed periods rather than a date hierarchy, whose years and months are a
        # DISTINCT over every member's date.
        ("created_at", admin.DateFieldListFilter),
    ]
    list_select_related = ["chapter"]
    search_fields = ["name", "city", "email"]
    inlines = [ContactInline, AgreementInline, RecognitionInline]
    filter_horizontal = ["sectors"]
    readonly_fields = [
        "geocoded_at",
        "geocode_attempts",
        "geocode_error",
        "geocode_provider",
        "created_at",
        "updated_at",
    ]
    list_per_page = 50
    formfield_overrides = URL_FIELD_OVERRIDES
    kind_fieldsets: list = []

    def get_fieldsets(self, request, obj=None):
        return [
            (None, {"fields": ["name", "chapter", "sectors"]}),
            *self.kind_fieldsets,
            ADDRESS_FIELDSET,
            CONTACT_FIELDSET,
            PUBLIC_FIELDSET,
            GEOCODING_FIELDSET,
            (_("Record"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
        ]

    @admin.display(description=_("membership"))
    def membership_label(self, obj: Member) -> str:
        return MembershipStatus(obj.membership).label

    def get_changelist(self, request, **kwargs):
        return MembershipChangeList


#: What the "Add member" page says of each kind, so staff pick the right one.
KIND_DESCRIPTIONS = {
    MemberKind.SCHOOL: _("A school or institute, with its ministry code and level."),
    MemberKind.COMPANY: _("A business, with its VAT number and size."),
    MemberKind.ORGANIZATION: _("An association, foundation, hospital, cultural venue, …"),
    MemberKind.MUNICIPALITY: _("A municipality, placed from the official list of its country."),
    MemberKind.AMBASSADOR: _("A person who volunteers for the movement."),
}


@admin.register(Member)
class MemberAdmin(
    ChapterScopedAdmin, CountCappedListAdmin, MemberListGeocodingAdminMixin, admin.ModelAdmin
):
    """Every member of every kind in one list; each row opens its own kind's page."""

    # What tells members apart at a glance; country and sectors are filters (1,280 px).
    list_display = [
        "name_link",
        "kind",
        "city",
        "chapter",
        "membership_label",
        "geocode_status",
    ]
    list_filter = ["kind", *MemberKindAdmin.list_filter]
    list_select_related = ["chapter"]
    # The name links to the member's own kind's page; no second link around it.
    list_display_links = None
    search_fields = ["name", "city", "email"]
    list_per_page = 50
    formfield_overrides = URL_FIELD_OVERRIDES

    def kind_admins(self, request) -> list[tuple[str, admin.ModelAdmin]]:
        """(kind, its admin) for each kind of member this user may add, in MemberKind order.

        Looked up by label in the admin's registry: the core imports no kind app.
        """
        found = []
        for kind in MemberKind:
            model = apps.get_model(KIND_APP_LABELS[kind], kind.value)
            model_admin = self.admin_site._registry.get(model)
            if model_admin is not None and model_admin.has_add_permission(request):
                found.append((kind, model_admin))
        return found

    def has_add_permission(self, request) -> bool:
        # A member is always created as its kind: "Add" asks which (add_view).
        return bool(self.kind_admins(request))

    def add_view(self, request, form_url="", extra_context=None):
        """Asks for the kind of the new member, then leads to that kind's add form (a
        popup of another form's "+" stays a popup)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        carried = {
            key: request.GET[key] for key in (IS_POPUP_VAR, TO_FIELD_VAR) if key in request.GET
        }
        suffix = f"?{urlencode(carried)}" if carried else ""
        kinds = [
            {
                "label": kind.label,
                "description": KIND_DESCRIPTIONS.get(kind, ""),
                "url": reverse(
                    f"admin:{KIND_APP_LABELS[kind]}_{kind.value}_add",
                    current_app=self.admin_site.name,
                )
                + suffix,
            }
            for kind, _model_admin in self.kind_admins(request)
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Add member: which kind?"),
            "subtitle": None,
            "opts": self.opts,
            "kinds": kinds,
            "is_popup": IS_POPUP_VAR in request.GET,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/crm/member/add_kind.html", context)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("name"), ordering="name")
    def name_link(self, obj: Member) -> str:
        return format_html('<a href="{}">{}</a>', obj.get_admin_url(), obj.name)

    @admin.display(description=_("membership"))
    def membership_label(self, obj: Member) -> str:
        return MemberKindAdmin.membership_label(self, obj)

    def get_changelist(self, request, **kwargs):
        return MembershipChangeList


@admin.register(Contact)
class ContactAdmin(ChapterScopedAdmin, NetworkImportExportMixin, SimpleHistoryAdmin):
    actions = [people_export]
    resource_classes = [ContactResource]
    list_display = ["name", "role", "member_link", "email", "phone", "is_primary"]
    list_filter = ["is_primary", "email_consent", "member__kind", "member__chapter"]
    list_select_related = ["member"]
    search_fields = ["name", "email", "member__name"]
    autocomplete_fields = ["member"]
    readonly_fields = ["email_consent_at"]

    @admin.display(description=_("member"), ordering="member__name")
    def member_link(self, obj: Contact) -> str:
        return format_html('<a href="{}">{}</a>', obj.member.get_admin_url(), obj.member)


@admin.register(Recognition)
class RecognitionAdmin(ChapterScopedAdmin, admin.ModelAdmin):
    list_display = ["title", "member_link", "awarded_on"]
    list_filter = ["title", "member__kind"]
    list_select_related = ["member"]
    search_fields = ["title", "member__name"]
    autocomplete_fields = ["member"]
    date_hierarchy = "awarded_on"

    @admin.display(description=_("member"), ordering="member__name")
    def member_link(self, obj: Recognition) -> str:
        return format_html('<a href="{}">{}</a>', obj.member.get_admin_url(), obj.member)


class PrivateDocumentLink:
    """What the file widget shows for a stored private document: the staff download."""

    def __init__(self, url: str, name: str) -> None:
        self.url, self.name = url, name

    def __str__(self) -> str:
        return self.name


class AgreementDocumentInput(forms.ClearableFileInput):
    """Links the stored PDF to the permission-checked download, never to a file URL."""

    def get_context(self, name, value, attrs):
        instance = getattr(value, "instance", None)
        if value and instance is not None and instance.pk:
            url = reverse("crm:agreement_document", args=[instance.pk])
            value = PrivateDocumentLink(url, str(_("signed document (PDF)")))
        return super().get_context(name, value, attrs)


class AgreementAdminForm(forms.ModelForm):
    """Refuses a "PDF" that is not one before anything is written to the media folder."""

    MAX_DOCUMENT_BYTES = 20 * 1024 * 1024

    class Meta:
        widgets = {"document": AgreementDocumentInput}

    def clean_document(self):
        document = self.cleaned_data.get("document")
        # A new upload; an unchanged document is the stored FieldFile and was checked before.
        if isinstance(document, UploadedFile):
            if document.size > self.MAX_DOCUMENT_BYTES:
                raise ValidationError(_("The document is larger than 20 MB."))
            head = document.read(5)
            document.seek(0)
            if head != b"%PDF-":
                raise ValidationError(_("The document is not a PDF file."))
        return document


@admin.register(Agreement)
class AgreementAdmin(
    ChapterScopedAdmin, CountCappedListAdmin, NetworkImportExportMixin, SimpleHistoryAdmin
):
    resource_classes = [AgreementResource]
    form = AgreementAdminForm
    list_display = [
        "reference",
        "member_link",
        "type",
        "signed_on",
        "starts_on",
        "ends_on",
        "status_label",
        "renewal_links",
    ]
    list_filter = [
        AgreementStatusFilter,
        AgreementOwnExpiringFilter,
        "type",
        "auto_renew",
        "member__kind",
        "member__chapter",
        ("starts_on", admin.DateFieldListFilter),  # fixed periods: see MemberKindAdmin
    ]
    list_select_related = ["member", "renews", "renewed_by"]
    search_fields = ["reference", "member__name", "signatories"]
    autocomplete_fields = ["member", "renews"]
    readonly_fields = [
        "status_label",
        "renewed_by_link",
        "notices_sent",
        "created_at",
        "updated_at",
    ]
    actions = ["renew_selected"]
    fieldsets = [
        (None, {"fields": ["member", "reference", "type", "status_label"]}),
        (
            _("Dates"),
            {
                "fields": [
                    "signed_on",
                    ("starts_on", "ends_on"),
                    ("auto_renew", "renewal_months"),
                    "remind_member",
                ]
            },
        ),
        (_("Document"), {"fields": ["signatories", "document"]}),
        (
            _("Renewal and termination"),
            {
                "fields": [
                    "renews",
                    "renewed_by_link",
                    ("terminated_on", "termination_reason"),
                    "notices_sent",
                ]
            },
        ),
        (_("Record"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_status()

    @admin.display(description=_("status"), ordering="current_status")
    def status_label(self, obj: Agreement) -> str:
        return obj.get_status_display() if obj.pk else "—"

    @admin.display(description=_("member"), ordering="member__name")
    def member_link(self, obj: Agreement) -> str:
        return format_html('<a href="{}">{}</a>', obj.member.get_admin_url(), obj.member)

    @admin.display(description=_("renewal"))
    def renewal_links(self, obj: Agreement) -> str:
        links = []
        if obj.renews_id:
            links.append((_("renews"), obj.renews))
        successor = getattr(obj, "renewed_by", None)
        if successor:
            links.append((_("renewed by"), successor))
        return (
            format_html_join(
                " · ",
                '{} <a href="{}">{}</a>',
                (
                    (label, reverse("admin:crm_agreement_change", args=[a.pk]), a)
                    for label, a in links
                ),
            )
            or "—"
        )

    @admin.display(description=_("reminders and notices sent"))
    def notices_sent(self, obj: Agreement) -> str:
        """What `manage.py renewals` sent about this agreement, and to whom: a record."""
        notices = list(obj.notices.order_by("sent_at")) if obj.pk else []
        if not notices:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} · {} · {}</li>",
                (
                    (
                        notice.get_kind_display()
                        + (
                            f" ({notice.days_before} {_('days before the end')})"
                            if notice.days_before
                            else ""
                        ),
                        formats.date_format(
                            timezone.localtime(notice.sent_at), "SHORT_DATE_FORMAT"
                        ),
                        ", ".join(notice.recipients.split()) or "—",
                    )
                    for notice in notices
                ),
            ),
        )

    @admin.display(description=_("renewed by"))
    def renewed_by_link(self, obj: Agreement) -> str:
        successor = getattr(obj, "renewed_by", None) if obj.pk else None
        if successor is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:crm_agreement_change", args=[successor.pk]),
            successor,
        )

    @admin.action(description=_("Renew selected agreements"), permissions=["add"])
    def renew_selected(self, request, queryset) -> None:
        renewed, refused = 0, []
        for agreement in queryset.order_by("reference"):
            try:
                agreement_renew(agreement=agreement)
                renewed += 1
            except ValidationError as exc:
                refused.extend(exc.messages)
        if renewed:
            self.message_user(
                request,
                ngettext("%(n)d agreement renewed.", "%(n)d agreements renewed.", renewed)
                % {"n": renewed},
                messages.SUCCESS,
            )
        for reason in refused:
            self.message_user(request, reason, messages.WARNING)
