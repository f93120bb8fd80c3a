"""The sign-up form of the newsletter page (the API validates the same fields)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

CONSENT_LABEL = _(
    "I agree to receive the newsletter of the kindness movement by e-mail. I can unsubscribe "
    "at any time with the link in every message."
)


class SubscriptionForm(forms.Form):
    email = forms.EmailField(label=_("Your e-mail address"), max_length=254)
    consent = forms.BooleanField(
        label=CONSENT_LABEL,
        error_messages={"required": _("Tick the box to agree, or we cannot send you anything.")},
    )
    # Left empty by people (it is hidden); bots fill every field they find.
    website = forms.CharField(required=False, label=_("Leave this field empty"))
