"""Newsletter sign-ups over HTTP: field checks in the requester's language."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class SubscriptionCreateSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    consent = serializers.BooleanField(
        help_text=_("Must be true: the person ticked the newsletter's consent.")
    )
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        required=False,
        help_text=_("The language of the confirmation e-mail and of the newsletter."),
    )
    # The honeypot of the website's form: people leave it empty.
    website = serializers.CharField(required=False, allow_blank=True, default="", write_only=True)

    def validate_consent(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError(
                _("Tick the box to agree, or we cannot send you anything.")
            )
        return value


class SubscriptionAcceptedSerializer(serializers.Serializer):
    detail = serializers.CharField()
