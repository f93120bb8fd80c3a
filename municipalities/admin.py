"""Staff admin of municipalities, their join requests and the official list.

Every join request decision goes through municipalities.services, as the API's does.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from crm.admin import MemberKindAdmin
from crm.admin_access import people_export
from crm.admin_filters import CountryFilter
from crm.admin_scope import ChapterScopedAdmin
from crm.models import MembershipStatus
from municipalities.models import (
    JoinRequest,
    JoinRequestStatus,
    Municipality,
    MunicipalityReference,
)
from municipalities.resources import MunicipalityResource
from municipalities.selectors import join_request_similar_members, join_request_timeline_entries
from municipalities.services import (
    join_request_approve,
    join_request_reject,
    join_request_review_start,
    join_request_withdraw,
)


@admin.register(Municipality)
class MunicipalityAdmin(MemberKindAdmin):
    resource_classes = [MunicipalityResource]
    timeline_sources = (join_request_timeline_entries,)
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
                    ("mayor", "term_ends_on"),
                    ("resolution_number", "resolution_date"),
                    "joined_on",
                ]
            },
        )
    ]


@admin.register(MunicipalityReference)
class MunicipalityReferenceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "province_code",
        "region",
        "official_code",
        "cadastral_code",
        "population",
        "latitude",
        "longitude",
    ]
    list_filter = ["country", "region"]
    search_fields = ["search_name", "official_code", "cadastral_code"]
    list_per_page = 50

    def has_add_permission(self, request) -> bool:
        return False  # loaded by `manage.py load_municipalities`

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the rejection"),
        widget=forms.Textarea(attrs={"rows": 5, "cols": 80}),
        help_text=_("Sent to the submitter in the e-mail, in their language: write it in it."),
    )


DATA_FIELDS = [
    "reference",
    "status",
    "channel",
    "language",
    "submitted_at",
    "country",
    "municipality_name",
    "official_code",
    "reference_data",
    "similar_members",
    "submitter_name",
    "submitter_role",
    "submitter_email",
    "submitter_phone",
    "mayor_name",
    "resolution_number",
    "resolution_date",
    "resolution_link",
    "message",
    "privacy_consent_at",
    "member_link",
    "decided_by",
    "decided_at",
    "rejection_reason",
]


@admin.register(JoinRequest)
class JoinRequestAdmin(ChapterScopedAdmin, SimpleHistoryAdmin):
    list_display = [
        "reference",
        "municipality_column",
        "country",
        "status",
        "submitter_name",
        "resolution_date",
        "submitted_at",
        "resolution_link",
    ]
    # CountryFilter offers the countries of the requests this user sees (their chapters).
    list_filter = ["status", CountryFilter, "channel", "language", "submitted_at"]
    list_select_related = ["municipality_reference"]
    search_fields = [
        "reference",
        "municipality_name",
        "official_code",
        "submitter_name",
        "submitter_email",
        "mayor_name",
    ]
    date_hierarchy = "submitted_at"
    readonly_fields = DATA_FIELDS
    fieldsets = [
        (None, {"fields": ["reference", "status", "channel", "language", "submitted_at"]}),
        (
            _("Municipality"),
            {
                "fields": [
                    "country",
                    "municipality_name",
                    "official_code",
                    "reference_data",
                    "similar_members",
                ]
            },
        ),
        (
            _("Submitter"),
            {"fields": ["submitter_name", "submitter_role", "submitter_email", "submitter_phone"]},
        ),
        (
            _("Council resolution"),
            {
                "fields": [
                    "mayor_name",
                    ("resolution_number", "resolution_date"),
                    "resolution_link",
                    "message",
                    "privacy_consent_at",
                ]
            },
        ),
        (
            _("Decision"),
            {"fields": ["member_link", "decided_by", "decided_at", "rejection_reason"]},
        ),
    ]
    actions = [
        "approve_selected",
        "reject_selected",
        "mark_in_review",
        "mark_withdrawn",
        people_export,
    ]
    change_form_template = "admin/municipalities/joinrequest/change_form.html"
    list_per_page = 50

    def has_add_permission(self, request) -> bool:
        return False  # requests come from the public form and the API

    # Columns and read-only blocks.

    @admin.display(description=_("municipality"), ordering="municipality_name")
    def municipality_column(self, obj: JoinRequest) -> str:
        return obj.municipality_label

    @admin.display(description=_("council resolution"))
    def resolution_link(self, obj: JoinRequest) -> str:
        if not obj.resolution_file:
            return "—"
        url = reverse("municipalities:join_request_resolution", args=[obj.reference])
        return format_html('<a href="{}">{}</a>', url, _("PDF"))

    @admin.display(description=_("official list"))
    def reference_data(self, obj: JoinRequest) -> str:
        ref = obj.municipality_reference
        if ref is None:
            return _("Not in an official list (name given by the submitter).")
        rows = [
            (_("name"), ref.name),
            (_("official code"), ref.official_code),
            (_("province"), f"{ref.province} ({ref.province_code})"),
            (_("region"), ref.region),
            (_("cadastral code"), ref.cadastral_code),
            (_("postal code"), ref.postal_code or "—"),
            (_("population"), ref.population or "—"),
            (
                _("coordinates"),
                f"{ref.latitude:.5f}, {ref.longitude:.5f}" if ref.coordinates else "—",
            ),
        ]
        return format_html(
            "<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows)
        )

    @admin.display(description=_("existing members that look like it"))
    def similar_members(self, obj: JoinRequest) -> str:
        members = join_request_similar_members(obj)
        if not members:
            return _("None: approving creates a new municipality.")
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{}</a> · {} · {} · {}</li>',
                (
                    (
                        m.get_admin_url(),
                        m.name,
                        m.get_kind_display(),
                        m.city or "—",
                        MembershipStatus(m.membership).label,
                    )
                    for m in members
                ),
            ),
        )

    @admin.display(description=_("member"))
    def member_link(self, obj: JoinRequest) -> str:
        if obj.municipality_id is None:
            return "—"
        url = reverse("admin:municipalities_municipality_change", args=[obj.municipality_id])
        return format_html('<a href="{}">{}</a>', url, obj.municipality)

    # Single decisions from the change page.

    def get_urls(self):
        return [
            path(
                "<int:object_id>/approve/",
                self.admin_site.admin_view(self.approve_view),
                name="municipalities_joinrequest_approve",
            ),
            path(
                "<int:object_id>/reject/",
                self.admin_site.admin_view(self.reject_view),
                name="municipalities_joinrequest_reject",
            ),
            *super().get_urls(),
        ]

    def _decidable(self, request: HttpRequest, object_id: int) -> JoinRequest:
        join_request = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_change_permission(request, join_request):
            raise PermissionDenied
        return join_request

    def _change_url(self, join_request: JoinRequest) -> str:
        return reverse("admin:municipalities_joinrequest_change", args=[join_request.pk])

    def approve_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        join_request = self._decidable(request, object_id)
        if request.method == "POST":
            self._approve(request, [join_request])
        return HttpResponseRedirect(self._change_url(join_request))

    def reject_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        join_request = self._decidable(request, object_id)
        form = RejectForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            self._reject(request, [join_request], form.cleaned_data["reason"])
            return HttpResponseRedirect(self._change_url(join_request))
        return self._reject_page(request, [join_request], form, action=None)

    # Bulk actions.

    @admin.action(description=_("Approve selected join requests"), permissions=["change"])
    def approve_selected(self, request: HttpRequest, queryset) -> None:
        self._approve(request, list(queryset.order_by("submitted_at")))

    @admin.action(description=_("Reject selected join requests…"), permissions=["change"])
    def reject_selected(self, request: HttpRequest, queryset):
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            self._reject(request, list(queryset), form.cleaned_data["reason"])
            return None
        return self._reject_page(request, list(queryset), form, action="reject_selected")

    @admin.action(description=_("Mark selected as in review"), permissions=["change"])
    def mark_in_review(self, request: HttpRequest, queryset) -> None:
        for join_request in queryset.filter(status=JoinRequestStatus.SUBMITTED):
            join_request_review_start(join_request=join_request, by=request.user)
        self.message_user(request, _("Marked as in review."), messages.SUCCESS)

    @admin.action(
        description=_("Mark selected as withdrawn by the municipality"), permissions=["change"]
    )
    def mark_withdrawn(self, request: HttpRequest, queryset) -> None:
        self._decide(
            request,
            list(queryset),
            lambda jr: join_request_withdraw(join_request=jr, by=request.user),
            _("withdrawn"),
        )

    # The decisions themselves, one service call per request.

    def _approve(self, request: HttpRequest, join_requests: list[JoinRequest]) -> None:
        self._decide(
            request,
            join_requests,
            lambda jr: join_request_approve(join_request=jr, by=request.user),
            _("approved"),
        )

    def _reject(self, request: HttpRequest, join_requests: list[JoinRequest], reason: str) -> None:
        self._decide(
            request,
            join_requests,
            lambda jr: join_request_reject(join_request=jr, by=request.user, reason=reason),
            _("rejected"),
        )

    def _decide(self, request, join_requests, decide, verb) -> None:
        done = 0
        for join_request in join_requests:
            try:
                decide(join_request)
                done += 1
            except ValidationError as exc:
                for reason in exc.messages:
                    self.message_user(
                        request, f"{join_request.reference}: {reason}", messages.ERROR
                    )
        if done:
            self.message_user(
                request,
                ngettext("%(n)d join request %(verb)s.", "%(n)d join requests %(verb)s.", done)
                % {"n": done, "verb": verb},
                messages.SUCCESS,
            )

    def _reject_page(self, request, join_requests, form, *, action: str | None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Reject join requests"),
            "join_requests": join_requests,
            "form": form,
            "action": action,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/municipalities/joinrequest/reject.html", context)
