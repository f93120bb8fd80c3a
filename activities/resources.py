"""Import and export of activities and follow-ups; the member is named by the same four
columns as an agreement's (exchange.resources.MemberReferenceResource).

- An activity is matched by member + kind + date + summary (re-importing an export
  changes nothing); its staff member is a username. The contacts involved are exported
  (their names, "; " between them) and not read back: a contact is chosen in the admin.
- A follow-up is matched by member + title + due date; its assignee is a username.
"""

from __future__ import annotations

from import_export import fields

from activities.models import Activity, FollowUp
from exchange.base import NetworkResource
from exchange.resources import MEMBER_REFERENCE_COLUMNS, MatchedByValuesResource
from exchange.widgets import StaffUserWidget


class ActivityResource(MatchedByValuesResource):
    name = "activities"
    key_columns = ("member", "kind", "happened_on", "summary")
    required_columns = ("member_kind", "member", "happened_on", "summary")
    match_fields = ("kind", "happened_on", "summary")
    #: The contacts column names people, and summaries often do: exported like contacts.
    export_permission = "crm.export_contact"

    staff = fields.Field(attribute="staff", column_name="staff", widget=StaffUserWidget())
    contacts = fields.Field(column_name="contacts", readonly=True)

    class Meta(NetworkResource.Meta):
        model = Activity
        name = "Activities"
        fields = [
            *MEMBER_REFERENCE_COLUMNS,
            "kind",
            "happened_on",
            "staff",
            "summary",
            "contacts",
        ]

    def dehydrate_contacts(self, obj: Activity) -> str:
        return "; ".join(contact.name for contact in obj.contacts.all())

    def filter_export(self, queryset, **kwargs):
        return (
            super()
            .filter_export(queryset, **kwargs)
            .select_related("staff")
            .prefetch_related("contacts")
            .order_by("-happened_on", "-id")
        )


class FollowUpResource(MatchedByValuesResource):
    name = "follow-ups"
    key_columns = ("member", "title", "due_on")
    required_columns = ("member_kind", "member", "title", "due_on")
    match_fields = ("title", "due_on")

    assignee = fields.Field(attribute="assignee", column_name="assignee", widget=StaffUserWidget())

    class Meta(NetworkResource.Meta):
        model = FollowUp
        name = "Follow-ups"
        fields = [*MEMBER_REFERENCE_COLUMNS, "title", "due_on", "assignee", "done_on", "notes"]

    def filter_export(self, queryset, **kwargs):
        return (
            super()
            .filter_export(queryset, **kwargs)
            .select_related("assignee")
            .order_by("due_on", "id")
        )
