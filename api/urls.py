"""The REST API, mounted at /api/v1/."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from api.views.join_requests import JoinRequestViewSet

router = SimpleRouter()
router.register("join-requests", JoinRequestViewSet, basename="join-request")

urlpatterns = router.urls
