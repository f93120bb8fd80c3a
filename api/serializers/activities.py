"""Activities and follow-ups logged on members."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from activities.models import Activity, FollowUp, activity_contacts_check
from api.serializers.base import ModelCleanSerializer
from crm.models import Contact


def _staff_users():
    return get_user_model().objects.filter(is_staff=True, is_active=True)


class StaffDefault:
    """The signed-in user, when the field is left out."""

    requires_context = True

    def __call__(self, serializer_field):
        return serializer_field.context["request"].user

    def __repr__(self) -> str:
        return "StaffDefault()"


class ActivitySerializer(ModelCleanSerializer):
    """An activity; its attachment is only reachable through the admin's download."""

    staff = serializers.PrimaryKeyRelatedField(
        queryset=_staff_users(),
        default=serializers.CreateOnlyDefault(StaffDefault()),
        help_text="The staff user who met, called or wrote; you by default.",
    )
    contacts = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.all(), many=True, required=False
    )
    has_attachment = serializers.SerializerMethodField()

    class Meta:
        model = Activity
        fields = [
            "id",
            "member",
            "kind",
            "happened_on",
            "staff",
            "summary",
            "contacts",
            "has_attachment",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def get_has_attachment(self, activity: Activity) -> bool:
        return bool(activity.attachment)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        member = attrs.get("member") or (self.instance.member if self.instance else None)
        contacts = attrs.get("contacts")
        if contacts is None and self.instance is not None and "member" in attrs:
            contacts = list(self.instance.contacts.all())
        try:
            activity_contacts_check(member.pk if member else None, contacts or [])
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return attrs


class FollowUpSerializer(ModelCleanSerializer):
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=_staff_users(),
        allow_null=True,
        default=serializers.CreateOnlyDefault(StaffDefault()),
        help_text="Who does it; you by default.",
    )
    is_overdue = serializers.SerializerMethodField()

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "member",
            "title",
            "notes",
            "due_on",
            "assignee",
            "done_on",
            "is_overdue",
            "activity",
            "origin",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["origin", "created_at", "updated_at"]

    def get_is_overdue(self, follow_up: FollowUp) -> bool:
        from django.utils import timezone

        return follow_up.is_overdue_on(timezone.localdate())

    def validate(self, attrs):
        attrs = super().validate(attrs)
        member = attrs.get("member") or (self.instance.member if self.instance else None)
        activity = attrs.get("activity")
        if activity is not None and member is not None and activity.member_id != member.pk:
            raise serializers.ValidationError(
                {"activity": ["This activity is not one of this member's."]}
            )
        return attrs
