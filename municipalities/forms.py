"""The public join form: fields, spam checks and early feedback; the rules live in services."""

from __future__ import annotations

import time

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from municipalities.services import join_request_problems

_STARTED_SALT = "municipalities.join-form.started"


def form_started_token(at: float | None = None) -> str:
    """A signed time at which the form was shown, checked against the minimum fill time."""
    return signing.dumps(time.time() if at is None else at, salt=_STARTED_SALT)


class JoinRequestForm(forms.Form):
    """What a town hall fills in; field names match JoinRequest and join_request_submit."""

    language = forms.ChoiceField(choices=settings.LANGUAGES, widget=forms.HiddenInput)
    country = forms.ChoiceField(label=_("Country"), initial="IT")
    municipality_code = forms.CharField(required=False, widget=forms.HiddenInput)
    municipality_name = forms.CharField(
        label=_("Municipality"),
        max_length=200,
        help_text=_("Start typing and choose your municipality from the list."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    submitter_name = forms.CharField(label=_("Your name"), max_length=150)
    submitter_role = forms.CharField(
        label=_("Your role"),
        max_length=120,
        help_text=_("e.g. councillor for social policies, mayor's office"),
    )
    submitter_email = forms.EmailField(label=_("Your e-mail"))
    submitter_phone = forms.CharField(label=_("Your phone"), max_length=40)
    mayor_name = forms.CharField(label=_("Mayor's name"), max_length=150)
    resolution_number = forms.CharField(label=_("Council resolution number"), max_length=40)
    resolution_date = forms.DateField(
        label=_("Council resolution date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    resolution_file = forms.FileField(
        label=_("Council resolution (PDF)"),
        required=False,  # "required" is the service's rule, checked after the size guard
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )
    message = forms.CharField(
        label=_("Message (optional)"), required=False, max_length=3000, widget=forms.Textarea
    )
    # Not required at field level: the service says why consent is needed.
    privacy_consent = forms.BooleanField(
        label=_("I have read the privacy notice and agree to the processing of these data."),
        required=False,
    )
    # Left empty by people (it is hidden); bots fill every field they find.
    website = forms.CharField(required=False, label=_("Leave this field empty"))

    #: The form's sections, in order: (anchor, title, fields). The page draws one fieldset
    #: each and a path of links to them; the honeypot and hidden fields belong to none.
    SECTIONS = (
        ("municipality", _("Your municipality"), ("country", "municipality_name")),
        (
            "you",
            _("You"),
            ("submitter_name", "submitter_role", "submitter_email", "submitter_phone"),
        ),
        (
            "resolution",
            _("The council's resolution"),
            ("mayor_name", "resolution_number", "resolution_date", "resolution_file"),
        ),
        ("consent", _("Message and consent"), ("message", "privacy_consent")),
    )

    def __init__(self, *args, started_token: str = "", too_large: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # Per form, so country names come in the page's language, not the one at import.
        self.fields["country"].choices = list(countries)
        self.started_token = started_token
        self.too_large = too_large
        # Said before the user picks a file: what the service will check (uploads.py).
        self.fields["resolution_file"].help_text = _(
            "The resolution adopted by the council, as one PDF file of at most %(mb)s MB "
            "(a scan is fine). Other formats are refused."
        ) % {"mb": settings.JOIN_REQUEST_MAX_UPLOAD_MB}

    def sections(self) -> list[dict]:
        """Each section with its bound fields and whether one of them has an error."""
        return [
            {
                "anchor": anchor,
                "title": title,
                "fields": [self[name] for name in names],
                "has_errors": any(self[name].errors for name in names),
            }
            for anchor, title, names in self.SECTIONS
        ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("website"):
            self.add_error(
                None,
                ValidationError(
                    _("This request looks automatic and was not sent. Leave the last field empty."),
                    code="honeypot",
                ),
            )
        self._check_fill_time()
        problems, _reference, _name = join_request_problems(
            country=cleaned.get("country", ""),
            municipality_code=cleaned.get("municipality_code", ""),
            municipality_name=cleaned.get("municipality_name", ""),
            resolution_date=cleaned.get("resolution_date"),
            resolution_file=cleaned.get("resolution_file"),
            privacy_consent=cleaned.get("privacy_consent", False),
            upload_too_large=self.too_large,
            submitter_phone=cleaned.get("submitter_phone"),
        )
        for field, messages in problems.items():
            if field not in self.errors:
                self.add_error(field if field in self.fields else None, messages)
        return cleaned

    def _check_fill_time(self) -> None:
        try:
            started = float(signing.loads(self.started_token, salt=_STARTED_SALT))
        except (signing.BadSignature, TypeError, ValueError):
            started = None
        if started is None or time.time() - started < settings.JOIN_REQUEST_MIN_FILL_SECONDS:
            # Reported beside the other errors, so one more round shows everything to fix.
            self.add_error(
                None,
                ValidationError(
                    _(
                        "The form was sent too quickly after opening it. Check your answers and "
                        "send it again."
                    ),
                    code="too_fast",
                ),
            )
