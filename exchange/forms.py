"""The admin import forms: the library's, with the choice to leave unknown columns out."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from import_export.forms import ConfirmImportForm, ImportForm


class NetworkImportForm(ImportForm):
    """Upload form; unknown columns stop the import unless the box is ticked."""

    ignore_unknown_columns = forms.BooleanField(
        label=_("Ignore unknown columns"),
        required=False,
        help_text=_(
            "Columns this list does not know are listed in the preview either way; "
            "tick to import the file without them."
        ),
    )


class NetworkConfirmImportForm(ConfirmImportForm):
    """Confirm step: carries the choice of the upload, so the import does what was previewed."""

    ignore_unknown_columns = forms.BooleanField(required=False, widget=forms.HiddenInput())
