"""Contacts, recognitions, chapters and sectors."""

from __future__ import annotations

from api.serializers.base import ModelCleanSerializer
from crm.models import Chapter, Contact, Recognition, Sector


class ContactSerializer(ModelCleanSerializer):
    class Meta:
        model = Contact
        fields = ["id", "member", "name", "role", "email", "phone", "is_primary"]


class RecognitionSerializer(ModelCleanSerializer):
    class Meta:
        model = Recognition
        fields = [
            "id",
            "member",
            "title",
            "awarded_on",
            "note",
            "withdrawn_on",
            "withdrawal_reason",
        ]


class ChapterSerializer(ModelCleanSerializer):
    class Meta:
        model = Chapter
        fields = ["id", "name", "country", "email"]


class SectorSerializer(ModelCleanSerializer):
    class Meta:
        model = Sector
        fields = ["id", "slug", "name_en", "name_it"]
