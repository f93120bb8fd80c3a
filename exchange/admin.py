"""The admin side of imports: upload, dry-run preview, confirm; filtered export; templates."""

from __future__ import annotations

import tablib
from django.contrib import messages
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from import_export.admin import ExportActionMixin, ImportMixin
from import_export.signals import post_export

from exchange.export import export_stream
from exchange.formats import (
    EXPORT_FORMATS,
    IMPORT_FORMATS,
    ImportFileError,
    SpreadsheetCSV,
    not_utf8,
)
from exchange.forms import NetworkConfirmImportForm, NetworkImportForm


class NetworkImportExportMixin(ImportMixin, ExportActionMixin):
    """Import with a dry-run preview and a confirm step; export of the filtered list or of
    the selected rows; an empty template per kind.

    Importing needs the add and change permissions of the model; exporting needs the view
    permission and, for people (ambassadors, contacts), `export_permission` as well.
    """

    import_formats = IMPORT_FORMATS
    import_form_class = NetworkImportForm
    confirm_form_class = NetworkConfirmImportForm
    export_formats = EXPORT_FORMATS
    import_template_name = "admin/imports/import.html"
    import_export_change_list_template = "admin/imports/change_list.html"
    show_change_form_export = False

    def _has(self, request: HttpRequest, action: str) -> bool:
        codename = get_permission_codename(action, self.opts)
        return request.user.has_perm(f"{self.opts.app_label}.{codename}")

    def has_import_permission(self, request: HttpRequest) -> bool:
        return self._has(request, "add") and self._has(request, "change")

    def has_export_permission(self, request: HttpRequest) -> bool:
        if not self._has(request, "view"):
            return False
        needed = self.get_export_resource_classes(request)[0].export_permission
        return needed is None or request.user.has_perm(needed)

    def get_valid_export_item_pks(self, request: HttpRequest):
        # The rows this user may see; replaces the library's deprecated default (whole table).
        return self.get_queryset(request).values_list("pk", flat=True)

    def _do_file_export(self, file_format, request, queryset, export_form=None):
        # Streamed: the first bytes leave at once and memory stays flat, whatever the size
        # of the list (see exchange/export.py). The queryset is the changelist's, so the
        # chapter scope, filters, search and selection apply as they did before.
        if not self.has_export_permission(request):
            raise PermissionDenied
        resource_class = self.choose_export_resource_class(export_form, request)
        resource = resource_class(
            **self.get_export_resource_kwargs(request, export_form=export_form)
        )
        export_fields = self.get_export_resource_fields_from_form(export_form)
        response = StreamingHttpResponse(
            export_stream(resource, queryset, file_format, export_fields=export_fields),
            content_type=file_format.get_content_type(),
        )
        name = self.get_export_filename(request, queryset, file_format)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        post_export.send(sender=None, model=self.model)
        return response

    def get_urls(self):
        app_label, model_name = self.get_model_info()
        return [
            path(
                "import/template/",
                self.admin_site.admin_view(self.import_template_view),
                name=f"{app_label}_{model_name}_import_template",
            ),
            *super().get_urls(),
        ]

    def import_template_view(self, request: HttpRequest) -> HttpResponse:
        """An empty CSV with the documented columns, ready to fill in."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        resource_class = self.get_import_resource_classes(request)[0]
        headers = resource_class.template_headers()
        data = SpreadsheetCSV().export_data(tablib.Dataset(headers=headers))
        response = HttpResponse(data.encode("utf-8"), content_type="text/csv; charset=utf-8")
        name = f"kindnet-{self.opts.model_name}-template.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        extra_context["import_template_url"] = self._template_url()
        return super().changelist_view(request, extra_context)

    def get_import_context_data(self, **kwargs):
        context = super().get_import_context_data(**kwargs)
        context["import_template_url"] = self._template_url()
        return context

    def _template_url(self) -> str:
        app_label, model_name = self.get_model_info()
        return reverse(f"admin:{app_label}_{model_name}_import_template")

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["ignore_unknown_columns"] = import_form.cleaned_data["ignore_unknown_columns"]
        return initial

    def get_import_data_kwargs(self, **kwargs):
        form = kwargs.get("form")
        kwargs = super().get_import_data_kwargs(**kwargs)
        if form is not None and form.is_bound:
            kwargs["ignore_unknown_columns"] = bool(form.cleaned_data.get("ignore_unknown_columns"))
        return kwargs

    def add_data_read_fail_error_to_form(self, form, e) -> None:
        if isinstance(e, UnicodeDecodeError):
            e = not_utf8(e)
        if isinstance(e, ImportFileError):
            form.add_error("import_file", str(e))
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def add_success_message(self, result, request) -> None:
        counts = result.counts()
        messages.success(
            request,
            _(
                "Import finished: %(new)d new, %(updated)d updated, %(unchanged)d unchanged "
                "%(what)s."
            )
            % {**counts, "what": self.opts.verbose_name_plural},
        )
        for warning in result.warnings():
            messages.warning(request, warning)
