"""POST /api/v1/newsletter/subscriptions/: the website's newsletter sign-up (anyone).

The answer is the same for a new, a pending and an already confirmed address, so the
endpoint reveals nothing about who is subscribed; the honeypot gets it too, with nothing
stored. Self-contained permissions and throttles, like the join requests' endpoint.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, Throttled
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from api.serializers.newsletter import SubscriptionAcceptedSerializer, SubscriptionCreateSerializer
from crm.shared_cache import CacheUnavailable, cache_call
from mailings.services import subscription_request


class SignupsPaused(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "newsletter_paused"
    wait = 300

    def __init__(self) -> None:
        super().__init__(
            _(
                "Sign-ups cannot be taken at this moment because of a technical problem on "
                "our side. Nothing was stored. Please try again in a few minutes."
            )
        )


class NewsletterRateThrottle(AnonRateThrottle):
    """NEWSLETTER_SIGNUP_RATE per client address (kindnet.client_address), in the cache."""

    scope = "newsletter"

    def get_rate(self) -> str:
        return settings.NEWSLETTER_SIGNUP_RATE

    def allow_request(self, request, view) -> bool:
        # Fails closed: an uncounted sign-up endpoint would send confirmation e-mails to anyone.
        try:
            return cache_call(
                lambda: super(NewsletterRateThrottle, self).allow_request(request, view),
                what="newsletter throttle",
            )
        except CacheUnavailable:
            raise SignupsPaused() from None


class NewsletterSubscriptionView(APIView):
    authentication_classes: list = []  # anonymous: no session, so no CSRF token needed
    permission_classes = [AllowAny]
    throttle_classes = [NewsletterRateThrottle]
    parser_classes = [JSONParser, FormParser]
    renderer_classes = [JSONRenderer]

    def throttled(self, request, wait) -> None:
        raise Throttled(
            wait=wait,
            detail=_("Too many sign-ups from your address. Nothing was stored; try again later."),
        )

    @extend_schema(
        request=SubscriptionCreateSerializer,
        responses={202: SubscriptionAcceptedSerializer},
        summary="Sign up for the newsletter (double opt-in)",
        description=(
            "Sends a confirmation e-mail with a link that expires; nothing else is sent "
            "before the address is confirmed. The answer is the same whether the address "
            "is new, waiting for confirmation or already subscribed."
        ),
    )
    def post(self, request) -> Response:
        # Any JSON may be posted: a list, or a language that is not a string, gets the
        # serializer's clear 400, not a crash.
        language = request.data.get("language") if isinstance(request.data, dict) else None
        if not isinstance(language, str) or language not in dict(settings.LANGUAGES):
            language = (translation.get_language() or "en")[:2]
        with translation.override(language):
            serializer = SubscriptionCreateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            if not data["website"]:
                origin = request.headers.get("Origin", "")[:80]
                subscription_request(
                    email=data["email"],
                    language=language,
                    source=f"website API {origin}".strip(),
                )
            detail = _(
                "Thank you. If this address is not subscribed yet, we have sent it an e-mail "
                "with a link to confirm."
            )
        return Response({"detail": detail}, status=status.HTTP_202_ACCEPTED)
