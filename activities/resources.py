"""Import and export of activities and follow-ups; the member is named by the same four
columns as an agreement's (exchange.resources.MemberReferenceResource).

- An activity is matched by member + kind + date + summary (re-importing an export
  changes nothing); its staff member is a username. The contacts involved are exported
  (their names, "; " between them) and not read back: a contact is chosen in the admin.
- A follow-up is matched by member + title + due date; its assignee is a username.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from import_export import fields, widgets

from activities.models import Activity, FollowUp
from exchange.base import NetworkResource, chunks
from exchange.resources import MEMBER_REFERENCE_COLUMNS, MemberReferenceResource
from exchange.widgets import cell_text


class StaffUserWidget(widgets.ForeignKeyWidget):
    """A staff user by username (any case); the usernames are loaded once per import."""

    def __init__(self, **kwargs) -> None:
        super().__init__(get_user_model(), field="username", **kwargs)
        self.by_name: dict[str, object] | None = None

    def load(self) -> None:
        self.by_name = {
            user.username.lower(): user
            for user in get_user_model().objects.filter(is_staff=True, is_active=True)
        }

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return None
        if self.by_name is None:
            self.load()
        user = self.by_name.get(text.lower())
        if user is None:
            raise ValueError(
                _("“%(value)s” is not the username of active staff.") % {"value": text}
            )
        return user

    def render(self, value, obj=None, **kwargs) -> str:
        return value.get_username() if value else ""


class MatchedByValuesResource(MemberReferenceResource):
    """Rows without a code of their own, matched to saved ones by `match_fields`."""

    match_fields: tuple[str, ...] = ()

    def match_key(self, member_id, values: dict) -> tuple:
        return (member_id, *(values[name] for name in self.match_fields))

    def prepare(self, dataset) -> None:
        for field in self.get_import_fields():
            if isinstance(field.widget, StaffUserWidget):
                field.widget.load()
        model = self._meta.model
        index = {}
        saved = model.objects.values_list("pk", "member_id", *self.match_fields)
        for pk, member_id, *values in saved.iterator(chunk_size=2000):
            index[self.match_key(member_id, dict(zip(self.match_fields, values, strict=True)))] = pk
        for number, row in enumerate(dataset.dict, start=2):
            member_id = self.row_member_id(row)
            if member_id is None:
                continue
            try:
                values = {name: self.fields[name].clean(row) for name in self.match_fields}
            except (ValueError, KeyError):
                continue  # reported against the row by its own column
            pk = index.get(self.match_key(member_id, values))
            if pk:
                self.matched[number] = pk
        for part in chunks(sorted(set(self.matched.values()))):
            self.existing.update(model.objects.in_bulk(part))

    def instance_key(self, instance) -> tuple | None:
        values = {name: getattr(instance, name) for name in self.match_fields}
        return self.match_key(instance.member_id, values)


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
