"""The API: `/api/v1/…` (staff viewsets and the public map), `/api/schema/`, `/api/docs/`."""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import routers
from rest_framework.permissions import IsAuthenticated

from api.views.activities import ActivityViewSet, FollowUpViewSet
from api.views.agreements import AgreementViewSet
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
    *router.urls,
]

urlpatterns = [
    path("v1/", include((v1, "api"), namespace="v1")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: no inline script (CSP).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
