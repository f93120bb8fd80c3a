"""Activities and follow-ups."""

from __future__ import annotations

from activities.filters import ActivityFilterSet, FollowUpFilterSet
from activities.models import Activity, FollowUp
from api.serializers.activities import ActivitySerializer, FollowUpSerializer
from api.views.base import NetworkViewSet


class ActivityViewSet(NetworkViewSet):
    queryset = Activity.objects.select_related("member").prefetch_related("contacts")
    serializer_class = ActivitySerializer
    filterset_class = ActivityFilterSet
    search_fields = ["summary", "member__name"]
    ordering_fields = ["happened_on", "created_at", "id"]
    ordering = ["-happened_on", "-id"]


class FollowUpViewSet(NetworkViewSet):
    queryset = FollowUp.objects.select_related("member")
    serializer_class = FollowUpSerializer
    filterset_class = FollowUpFilterSet
    search_fields = ["title", "notes", "member__name"]
    ordering_fields = ["due_on", "done_on", "created_at", "id"]
    ordering = ["due_on", "id"]
