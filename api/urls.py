"""The API: `/api/v1/…` (staff viewsets and the public map), `/api/schema/`, `/api/docs/`."""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from api.views.join_requests import JoinRequestViewSet
from api.views.map import MapFeedView

router = DefaultRouter()
router.register("join-requests", JoinRequestViewSet, basename="join-request")

v1 = [
    path("map/", MapFeedView.as_view(), name="map-feed"),
    *router.urls,
]

urlpatterns = [
    path("v1/", include((v1, "api"), namespace="v1")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
