"""Contacts, recognitions, chapters and sectors."""

from __future__ import annotations

from api.serializers.network import (
    ChapterSerializer,
    ContactSerializer,
    RecognitionSerializer,
    SectorSerializer,
)
from api.views.base import NetworkViewSet
from crm.filters import ChapterFilterSet, ContactFilterSet, RecognitionFilterSet, SectorFilterSet
from crm.models import Chapter, Contact, Recognition, Sector


class ContactViewSet(NetworkViewSet):
    queryset = Contact.objects.all()
    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet
    search_fields = ["name", "email", "role", "member__name"]
    ordering_fields = ["name", "role", "id"]
    ordering = ["member_id", "-is_primary", "name"]


class RecognitionViewSet(NetworkViewSet):
    queryset = Recognition.objects.all()
    serializer_class = RecognitionSerializer
    filterset_class = RecognitionFilterSet
    search_fields = ["title", "member__name"]
    ordering_fields = ["title", "awarded_on", "id"]
    ordering = ["-awarded_on", "title"]


class ChapterViewSet(NetworkViewSet):
    queryset = Chapter.objects.all()
    serializer_class = ChapterSerializer
    filterset_class = ChapterFilterSet
    search_fields = ["name"]
    ordering_fields = ["name", "country", "id"]
    ordering = ["name"]


class SectorViewSet(NetworkViewSet):
    queryset = Sector.objects.all()
    serializer_class = SectorSerializer
    filterset_class = SectorFilterSet
    search_fields = ["slug", "name_en", "name_it"]
    ordering_fields = ["slug", "name_en", "name_it", "id"]
    ordering = ["name_en"]
