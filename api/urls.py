"""The API: `/api/v1/…` (staff viewsets and the public map), `/api/schema/`, `/api/docs/`."""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import routers
from rest_framework.permissions import IsAuthenticated

from api.views.activities import ActivityViewSet, FollowUpViewSet
from api.views.agreements import AgreementViewSet
from api.views.impact import DeliveryViewSet, MeasurementViewSet, ProgrammeViewSet
from api.views.join_requests import JoinRequestViewSet
from api.views.members import (
    AmbassadorViewSet,
    CompanyViewSet,
    MemberViewSet,
    MunicipalityViewSet,
    OrganizationViewSet,
    SchoolViewSet,
)
from api.views.network import ChapterViewSet, ContactViewSet, RecognitionViewSet, SectorViewSet
from api.views.newsletter import NewsletterSubscriptionView
from impact.views import ImpactView, MemberProgrammesView
from publicmap.views import MapFeedView


class APIRootView(routers.APIRootView):
    """The staff API's index: for signed-in staff, like every staff endpoint."""

    permission_classes = [IsAuthenticated]


class Router(routers.DefaultRouter):
    APIRootView = APIRootView


#: The staff endpoints by URL prefix; each one's URL names come from its model
#: (`member-list`, `school-detail`, …), as DRF names them by default.
ENDPOINTS = {
    "members": MemberViewSet,
    "schools": SchoolViewSet,
    "companies": CompanyViewSet,
    "organizations": OrganizationViewSet,
    "municipalities": MunicipalityViewSet,
    "ambassadors": AmbassadorViewSet,
    "contacts": ContactViewSet,
    "agreements": AgreementViewSet,
    "recognitions": RecognitionViewSet,
    "chapters": ChapterViewSet,
    "sectors": SectorViewSet,
    "programmes": ProgrammeViewSet,
    "deliveries": DeliveryViewSet,
    "measurements": MeasurementViewSet,
    "activities": ActivityViewSet,
    "follow-ups": FollowUpViewSet,
}

router = Router()
for prefix, viewset in ENDPOINTS.items():
    router.register(prefix, viewset)
# Named with a hyphen, like its URL, not after the model (joinrequest).
router.register("join-requests", JoinRequestViewSet, basename="join-request")

v1 = [
    path("map/", MapFeedView.as_view(), name="map-feed"),
    path("impact/", ImpactView.as_view(), name="impact"),
    path(
        "impact/members/<int:member_id>/",
        MemberProgrammesView.as_view(),
        name="impact-member-programmes",
    ),
    path(
        "newsletter/subscriptions/",
        NewsletterSubscriptionView.as_view(),
        name="newsletter-subscriptions",
    ),
    *router.urls,
]

urlpatterns = [
    path("v1/", include((v1, "api"), namespace="v1")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: no inline script (CSP).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
