"""POST /api/v1/join-requests/ (anyone, multipart); the staff review queue (list, detail,
approve, reject), by token or session, within the reviewer's chapters.

Self-contained: permissions, parsers and throttles are set here, not taken from the
project's DRF defaults, because the public endpoint must stay open to anonymous town halls
while the rest is for staff only.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, Throttled
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from api.serializers.join_requests import (
    JoinRequestCreateSerializer,
    JoinRequestRejectSerializer,
    JoinRequestReviewSerializer,
    JoinRequestSerializer,
)
from api.views.base import ChapterScopedMixin
from crm.shared_cache import CacheUnavailable, cache_call
from municipalities.filters import JoinRequestFilterSet
from municipalities.models import JoinRequest
from municipalities.services import (
    chapter_contact_email,
    join_request_approve,
    join_request_reject,
)
from municipalities.uploads import upload_size_guard_install


class JoinRequestsPaused(APIException):
    """The shared cache is down: submissions cannot be counted, so none is taken."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "join_requests_paused"
    wait = 300  # DRF turns it into Retry-After

    def __init__(self) -> None:
        super().__init__(
            _(
                "Join requests cannot be accepted at this moment because of a technical "
                "problem on our side. Nothing was stored. Please try again in a few minutes, "
                "or write to %(email)s."
            )
            % {"email": chapter_contact_email(country="IT")}
        )


class JoinRequestRateThrottle(SimpleRateThrottle):
    """JOIN_REQUEST_RATE per client address, counted in the configured cache."""

    scope = "join_request"

    def allow_request(self, request, view) -> bool:
        # Fails closed, like the form: an uncounted public upload endpoint is a spam gate.
        try:
            return cache_call(
                lambda: super(JoinRequestRateThrottle, self).allow_request(request, view),
                what="join request throttle",
            )
        except CacheUnavailable:
            raise JoinRequestsPaused() from None

    def get_rate(self) -> str:
        return settings.JOIN_REQUEST_RATE

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class ReviewsJoinRequests(permissions.BasePermission):
    """Staff who may view join requests read the queue; deciding needs the change permission.
    Which requests they see is their chapters' (crm/scope.py), applied by the queryset."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        action = "view" if request.method in permissions.SAFE_METHODS else "change"
        return bool(
            user
            and user.is_authenticated
            and user.is_staff
            and user.has_perm(f"municipalities.{action}_joinrequest")
        )


class JoinRequestViewSet(
    ChapterScopedMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = JoinRequest.objects.select_related("municipality_reference").order_by(
        "-submitted_at", "-pk"
    )
    lookup_field = "reference"
    # Token first, as everywhere in the staff API: an anonymous reviewer gets 401.
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    filterset_class = JoinRequestFilterSet
    search_fields = ["reference", "municipality_name", "official_code"]
    ordering_fields = ["submitted_at", "resolution_date", "reference"]
    # Multipart for the public create (with the PDF); JSON for the staff actions.
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    renderer_classes = [JSONRenderer]

    def get_serializer_class(self):
        if self.action in ("list", "retrieve"):
            return JoinRequestReviewSerializer
        return JoinRequestSerializer

    def initialize_request(self, request, *args, **kwargs) -> Request:
        # Before anything reads the body, so an oversized PDF is dropped while it streams in.
        self.upload_guard = upload_size_guard_install(request) if request.method == "POST" else None
        return super().initialize_request(request, *args, **kwargs)

    def get_permissions(self):
        if self.action == "create":
            return [permissions.AllowAny()]
        return [ReviewsJoinRequests()]

    def get_throttles(self):
        return [JoinRequestRateThrottle()] if self.action == "create" else []

    def throttled(self, request, wait) -> None:
        minutes = max(1, round((wait or 60) / 60))
        raise Throttled(
            wait=wait,
            detail=_(
                "Too many join requests from your address (at most %(rate)s). Try again in "
                "%(minutes)d minutes, or write to %(email)s."
            )
            % {
                "rate": settings.JOIN_REQUEST_RATE,
                "minutes": minutes,
                "email": chapter_contact_email(country="IT"),
            },
        )

    def create(self, request, *args, **kwargs) -> Response:
        language = request.data.get("language")
        if language not in dict(settings.LANGUAGES):
            language = (translation.get_language() or "en")[:2]
        with translation.override(language):
            serializer = JoinRequestCreateSerializer(
                data=request.data,
                context={
                    "request": request,
                    "language": language,
                    "upload_too_large": bool(self.upload_guard and self.upload_guard.too_large),
                },
            )
            serializer.is_valid(raise_exception=True)
            join_request = serializer.save()
        return Response(JoinRequestSerializer(join_request).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def approve(self, request, reference: str | None = None) -> Response:
        join_request = self.get_object()
        join_request_approve(join_request=join_request, by=request.user)
        join_request.refresh_from_db()
        return Response(JoinRequestSerializer(join_request).data)

    @action(detail=True, methods=["post"])
    def reject(self, request, reference: str | None = None) -> Response:
        join_request = self.get_object()
        serializer = JoinRequestRejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        join_request = join_request_reject(
            join_request=join_request, by=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(JoinRequestSerializer(join_request).data)
