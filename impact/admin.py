"""Staff pages of impact: programmes with their deliveries, deliveries with their
measurements, instruments, recognition rules with who qualifies, and the impact report.
Programmes and deliveries are imported and exported like the rest (resources.py).

Deliveries also appear on every member's page: this app adds its inline to the member
admins (the core's admin never names a feature)."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from crm.admin_scope import ChapterScopedAdmin
from crm.models import Chapter, Member, Recognition
from crm.scope import scope_queryset
from exchange.admin import NetworkImportExportMixin
from impact.export import report_csv, report_xlsx
from impact.models import (
    PARTICIPANT_FIELDS,
    Delivery,
    Instrument,
    Measurement,
    ParticipantKind,
    Programme,
    ProgrammeType,
    RecognitionRule,
)
from impact.resources import DeliveryResource, ProgrammeResource
from impact.selectors import ReportFilters, impact_report, recognition_standing
from impact.services import recognition_award, recognition_withdraw

PARTICIPANTS_FIELDSET = (_("Participants reached"), {"fields": [PARTICIPANT_FIELDS]})


class DeliveryInline(admin.TabularInline):
    """The deliveries of a programme; participants counted by kind, never named."""

    model = Delivery
    extra = 0
    autocomplete_fields = ["member"]
    fields = ["member", "started_on", "ended_on", "sessions", *PARTICIPANT_FIELDS]
    show_change_link = True


class MemberDeliveryInline(DeliveryInline):
    """The programmes a member hosted or joined, on the member's page."""

    autocomplete_fields = ["programme"]
    fields = ["programme", "started_on", "ended_on", "sessions", *PARTICIPANT_FIELDS]
    verbose_name_plural = _("programmes delivered")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("programme")


class MeasurementInline(admin.TabularInline):
    model = Measurement
    extra = 0
    fields = [
        "instrument",
        "measured_on",
        "respondents",
        "mean_before",
        "sd_before",
        "mean_after",
        "sd_after",
    ]


@admin.register(Programme)
class ProgrammeAdmin(ChapterScopedAdmin, NetworkImportExportMixin, admin.ModelAdmin):
    resource_classes = [ProgrammeResource]
    list_display = [
        "name",
        "programme_type",
        "chapter",
        "starts_on",
        "ends_on",
        "target_participants",
        "delivery_count",
    ]
    list_filter = ["programme_type", "chapter", "sectors", "target_kind"]
    list_select_related = ["chapter"]
    search_fields = ["name"]
    filter_horizontal = ["sectors"]
    date_hierarchy = "starts_on"
    inlines = [DeliveryInline]
    change_list_template = "admin/impact/programme/change_list.html"
    fieldsets = [
        (None, {"fields": ["name", "programme_type", "chapter", "sectors", "description"]}),
        (_("When"), {"fields": [("starts_on", "ends_on")]}),
        (_("Target"), {"fields": [("target_participants", "target_kind")]}),
        (
            _("Accreditation"),
            {"fields": ["accreditation", ("accredited_by", "accredited_on")]},
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(delivery_total=Count("deliveries"))

    @admin.display(description=_("deliveries"), ordering="delivery_total")
    def delivery_count(self, obj: Programme) -> int:
        return obj.delivery_total

    def get_urls(self):
        report = self.admin_site.admin_view(self.report_view)
        return [path("report/", report, name="impact_programme_report"), *super().get_urls()]

    def report_view(self, request: HttpRequest) -> HttpResponse:
        """The impact report of the user's chapters; `?format=csv|xlsx` downloads it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        chapters = scope_queryset(Chapter.objects.order_by("name"), request.user)
        form = ReportForm(request.GET or None, chapters=chapters)
        filters = form.filters() if form.is_valid() else ReportFilters()
        deliveries = scope_queryset(Delivery.objects.all(), request.user)
        report = impact_report(deliveries=deliveries, filters=filters)
        form.set_years(report.years)
        export = request.GET.get("format", "")
        if export == "csv":
            return _download(report_csv(report), "text/csv; charset=utf-8", "csv", filters)
        if export == "xlsx":
            return _download(
                report_xlsx(report),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
                filters,
            )
        query = request.GET.copy()
        query.pop("format", None)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Impact report"),
            "form": form,
            "report": report,
            "query": query.urlencode(),
            "year_chart": _year_chart(report),
            "participant_kinds": ParticipantKind.choices,
            "change_rows": [*report.change, *report.change_by_programme],
        }
        return TemplateResponse(request, "admin/impact/report.html", context)


def _download(content: bytes, content_type: str, extension: str, filters) -> HttpResponse:
    name = f"impact-report-{filters.year or 'all-years'}.{extension}"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _year_chart(report) -> list[dict]:
    """Bars of people reached by year, as SVG widths (no inline style under the CSP)."""
    rows = [row for row in report.breakdowns[0].rows if row.people is not None]
    most = max((row.people for row in rows), default=0)
    return [
        {"label": row.label, "people": row.people, "width": round(100 * row.people / most, 1)}
        for row in sorted(rows, key=lambda row: row.key)
        if most
    ]


class ReportForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int, empty_value=None)
    chapter = forms.ModelChoiceField(
        label=_("Chapter"), queryset=Chapter.objects.none(), required=False
    )
    programme_type = forms.ChoiceField(
        label=_("Type of programme"),
        required=False,
        choices=[("", _("All types")), *ProgrammeType.choices],
    )

    def __init__(self, *args, chapters, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["chapter"].queryset = chapters
        self.fields["year"].choices = [("", _("All years"))] + [
            (year, year) for year in range(timezone.localdate().year, 1989, -1)
        ]

    def set_years(self, years: list[int]) -> None:
        """Offer the years that have deliveries (and the one chosen)."""
        chosen = self.cleaned_data.get("year") if self.is_bound and self.is_valid() else None
        offered = sorted({*years, *([chosen] if chosen else [])}, reverse=True)
        self.fields["year"].choices = [("", _("All years"))] + [(y, y) for y in offered]

    def filters(self) -> ReportFilters:
        chapter = self.cleaned_data.get("chapter")
        return ReportFilters(
            year=self.cleaned_data.get("year"),
            chapter=chapter.pk if chapter else None,
            programme_type=self.cleaned_data.get("programme_type") or "",
        )


@admin.register(Delivery)
class DeliveryAdmin(ChapterScopedAdmin, NetworkImportExportMixin, admin.ModelAdmin):
    resource_classes = [DeliveryResource]
    list_display = [
        "programme",
        "member_link",
        "started_on",
        "sessions",
        "participants_total",
    ]
    list_filter = [
        "programme__programme_type",
        "member__kind",
        "member__chapter",
        ("started_on", admin.DateFieldListFilter),
    ]
    list_select_related = ["programme", "member"]
    search_fields = ["programme__name", "member__name"]
    autocomplete_fields = ["programme", "member"]
    inlines = [MeasurementInline]
    fieldsets = [
        (None, {"fields": ["programme", "member", ("started_on", "ended_on"), "sessions"]}),
        PARTICIPANTS_FIELDSET,
    ]

    @admin.display(description=_("member"), ordering="member__name")
    def member_link(self, obj: Delivery) -> str:
        return format_html('<a href="{}">{}</a>', obj.member.get_admin_url(), obj.member)

    @admin.display(description=_("participants"))
    def participants_total(self, obj: Delivery) -> int:
        return obj.participants


@admin.register(Measurement)
class MeasurementAdmin(ChapterScopedAdmin, admin.ModelAdmin):
    list_display = ["instrument", "delivery", "measured_on", "respondents", "change"]
    list_filter = ["instrument", "delivery__programme__programme_type"]
    list_select_related = ["instrument", "delivery__programme", "delivery__member"]
    search_fields = ["delivery__programme__name", "delivery__member__name"]
    autocomplete_fields = ["delivery"]

    @admin.display(description=_("change"))
    def change(self, obj: Measurement) -> str:
        return f"{obj.mean_after - obj.mean_before:+.2f}"


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = ["name", "scale_min", "scale_max", "measurement_count"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(measured=Count("measurements"))

    @admin.display(description=_("measurements"), ordering="measured")
    def measurement_count(self, obj: Instrument) -> int:
        return obj.measured


class RecognitionRuleForm(forms.ModelForm):
    programme_types = forms.MultipleChoiceField(
        label=_("programme types"),
        choices=ProgrammeType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only deliveries of these types count; none ticked for any type."),
    )

    class Meta:
        model = RecognitionRule
        fields = [
            "title",
            "member_kind",
            "requires_active_agreement",
            "deliveries_required",
            "within_months",
            "programme_types",
            "description",
        ]


class AwardForm(forms.Form):
    member = forms.IntegerField(widget=forms.HiddenInput)
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), max_length=300)


@admin.register(RecognitionRule)
class RecognitionRuleAdmin(admin.ModelAdmin):
    form = RecognitionRuleForm
    list_display = [
        "title",
        "member_kind",
        "requires_active_agreement",
        "deliveries_required",
        "within_months",
        "standing_link",
    ]
    search_fields = ["title"]

    @admin.display(description=_("who qualifies"))
    def standing_link(self, obj: RecognitionRule) -> str:
        url = reverse("admin:impact_recognitionrule_standing", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Who qualifies"))

    def get_urls(self):
        view = self.admin_site.admin_view(self.standing_view)
        return [
            path("<int:rule_id>/standing/", view, name="impact_recognitionrule_standing"),
            *super().get_urls(),
        ]

    def standing_view(self, request: HttpRequest, rule_id: int) -> HttpResponse:
        """Who qualifies on a day and who no longer does; award or withdraw from here."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        rule = get_object_or_404(RecognitionRule, pk=rule_id)
        members = scope_queryset(Member.objects.all(), request.user)
        errors: list[str] = []
        if request.method == "POST":
            done, errors = _award_or_withdraw(request, rule, members)
            if done:
                messages.success(request, done)
                return HttpResponseRedirect(request.get_full_path())
        day = _day(request.GET.get("day"))
        standing = recognition_standing(rule, members=members, day=day)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Who qualifies for %(title)s") % {"title": rule.title},
            "rule": rule,
            "standing": standing,
            "today": timezone.localdate(),
            "errors": errors,
            "can_award": request.user.has_perm("crm.add_recognition"),
            "can_withdraw": request.user.has_perm("crm.change_recognition"),
        }
        return TemplateResponse(request, "admin/impact/standing.html", context)


def _day(value: str | None) -> datetime.date:
    try:
        day = datetime.date.fromisoformat(value or "")
    except ValueError:
        return timezone.localdate()
    return min(day, timezone.localdate())


def _award_or_withdraw(request: HttpRequest, rule: RecognitionRule, members) -> tuple[str, list]:
    """Apply the posted award or withdrawal; (message, []) when done, ("", errors) if not."""
    action = request.POST.get("action")
    form = AwardForm(request.POST)
    if action not in ("award", "withdraw") or not form.is_valid():
        problems = [
            f"{form.fields[name].label}: {', '.join(e)}"
            for name, e in form.errors.items()
            if name in form.fields
        ]
        return "", problems or [str(_("Choose award or withdraw."))]
    member = get_object_or_404(members, pk=form.cleaned_data["member"])
    day, reason = form.cleaned_data["day"], form.cleaned_data["reason"]
    try:
        if action == "award":
            if not request.user.has_perm("crm.add_recognition"):
                raise PermissionDenied
            recognition_award(rule=rule, member=member, awarded_on=day, reason=reason)
            return str(
                _("%(title)s awarded to %(member)s.") % {"title": rule.title, "member": member}
            ), []
        if not request.user.has_perm("crm.change_recognition"):
            raise PermissionDenied
        held = Recognition.objects.filter(
            member=member, title=rule.title, withdrawn_on__isnull=True
        ).first()
        if held is None:
            return "", [
                str(
                    _("%(member)s does not hold %(title)s.")
                    % {"member": member, "title": rule.title}
                )
            ]
        recognition_withdraw(recognition=held, withdrawn_on=day, reason=reason)
        return str(
            _("%(title)s withdrawn from %(member)s.") % {"title": rule.title, "member": member}
        ), []
    except ValidationError as exc:
        return "", list(exc.messages)


def _member_admins_add_deliveries() -> None:
    """Every member's page lists its deliveries (after the core's own inlines)."""
    for model, model_admin in admin.site._registry.items():
        wanted = issubclass(model, Member) and model is not Member
        if wanted and MemberDeliveryInline not in model_admin.inlines:
            model_admin.inlines = [*model_admin.inlines, MemberDeliveryInline]


_member_admins_add_deliveries()
