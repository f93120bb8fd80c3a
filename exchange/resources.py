"""Import and export of agreements and contacts, whose member is named by its natural key.

Four columns name the member: `member_kind` (school, company, …), `member` (its
school code, VAT number, official code or e-mail; its name when it has none), and
`member_country` / `member_city` where a code or a name needs them.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.db import models
from django.utils.translation import gettext as _
from import_export import fields, widgets

from crm.models import AGREEMENT_TERMS_FIELDS, Agreement, Contact, Member, MemberKind
from crm.names import place_name_normalize
from exchange.base import NetworkResource, chunks
from exchange.members import MemberDirectory, name_key
from exchange.registry import member_resource_for_kind, member_resources
from exchange.widgets import ChoiceWidget, CountryWidget, cell_text

MEMBER_REFERENCE_COLUMNS = ["member_kind", "member", "member_country", "member_city"]


def member_key_text(member: Member) -> str:
    """What the `member` column holds: the kind's natural key, or the name without one."""
    resource = member_resource_for_kind(member.kind)
    if not resource.key_fields:
        return member.name
    specific = member if member.kind == MemberKind.AMBASSADOR else getattr(member, member.kind)
    return cell_text(getattr(specific, resource.key_fields[0], "")) or member.name


class MemberReferenceWidget(widgets.ForeignKeyWidget):
    """Finds the member named by the four member columns; one query per kind per import."""

    def __init__(self, **kwargs) -> None:
        super().__init__(Member, **kwargs)
        self.kinds = ChoiceWidget(MemberKind.choices)
        self.directories: dict[str, MemberDirectory] = {}

    def load(self) -> None:
        self.directories = {}

    def resolve(self, row: Mapping) -> int:
        value = cell_text(row.get("member"))
        if not value:
            raise ValueError(_("Name the member: its code, VAT number, e-mail or name."))
        kind = self.kinds.clean(row.get("member_kind"))
        if not kind:
            raise ValueError(
                _("Say in column member_kind which kind of member “%(value)s” is.")
                % {"value": value}
            )
        country = CountryWidget().clean(row.get("member_country")) or "IT"
        resource = member_resource_for_kind(kind)
        if kind not in self.directories:
            self.directories[kind] = MemberDirectory(resource)
        directory = self.directories[kind]
        key_values = dict.fromkeys(resource.key_fields, value)
        key = resource.natural_key({**key_values, "country": country})
        if key is not None and key in directory.by_key:
            return directory.by_key[key]
        found = directory.by_name.get(name_key(value, row.get("member_city"), country), [])
        if not found and not cell_text(row.get("member_city")):
            wanted = place_name_normalize(value)
            found = [
                pk
                for (name, _city, ctry), pks in directory.by_name.items()
                if name == wanted and ctry == country
                for pk in pks
            ]
        if len(found) == 1:
            return found[0]
        label = str(MemberKind(kind).label).lower()
        if found:
            raise ValueError(
                _("%(count)d of %(kind)s members are called “%(value)s”; add member_city.")
                % {"count": len(found), "kind": label, "value": value}
            )
        raise ValueError(
            _("No %(kind)s “%(value)s” in %(country)s.")
            % {"kind": label, "value": value, "country": country}
        )

    def clean(self, value, row=None, **kwargs) -> Member:
        # The member is found within its country: a contact's phone number is read there.
        country = CountryWidget().clean((row or {}).get("member_country")) or "IT"
        return Member(pk=self.resolve(row or {}), country=country)

    def render(self, value, obj=None, **kwargs) -> str:
        return member_key_text(value) if value else ""


class MemberReferenceResource(NetworkResource):
    """Shared by agreements and contacts: the member columns and their export."""

    required_columns = ("member_kind", "member")

    member = fields.Field(attribute="member", column_name="member", widget=MemberReferenceWidget())
    member_kind = fields.Field(column_name="member_kind", readonly=True)
    member_country = fields.Field(column_name="member_country", readonly=True)
    member_city = fields.Field(column_name="member_city", readonly=True)

    def dehydrate_member_kind(self, obj) -> str:
        return obj.member.kind

    def dehydrate_member_country(self, obj) -> str:
        return str(obj.member.country)

    def dehydrate_member_city(self, obj) -> str:
        return obj.member.city

    def row_member_id(self, row: Mapping) -> int | None:
        try:
            return self.fields["member"].widget.resolve(row)
        except ValueError:
            return None  # reported against the row by the member column

    def filter_export(self, queryset, **kwargs):
        # The kinds' own rows that member_key_text reads, joined once.
        kinds = [
            f"member__{kind}"
            for kind, resource in member_resources().items()
            if resource.key_fields and kind != MemberKind.AMBASSADOR
        ]
        return queryset.select_related("member", *sorted(kinds))


class MatchedByValuesResource(MemberReferenceResource):
    """Rows of a member without a code of their own (activities, deliveries), matched to
    saved ones by member + `match_fields`; a related record counts by its id."""

    match_fields: tuple[str, ...] = ()

    def match_key(self, member_id, values: dict) -> tuple:
        return (
            member_id,
            *(
                value.pk if isinstance(value, models.Model) else value
                for value in (values[name] for name in self.match_fields)
            ),
        )

    def prepare(self, dataset) -> None:
        model = self._meta.model
        index = {}
        attnames = [self.attname(name) for name in self.match_fields]
        saved = model.objects.values_list("pk", "member_id", *attnames)
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
        # By attname (programme_id): reading a saved row's relation would cost a query.
        values = {name: getattr(instance, self.attname(name)) for name in self.match_fields}
        return self.match_key(instance.member_id, values)


class AgreementResource(MemberReferenceResource):
    """Agreements, matched by reference, or by member + type + start without one."""

    name = "agreements"
    key_columns = ("reference",)
    required_columns = ("member_kind", "member", "starts_on")

    class Meta(NetworkResource.Meta):
        model = Agreement
        name = "Agreements"
        fields = [
            "reference",
            *MEMBER_REFERENCE_COLUMNS,
            "type",
            *AGREEMENT_TERMS_FIELDS,
            "terminated_on",
            "termination_reason",
        ]

    def prepare(self, dataset) -> None:
        by_reference, by_start = {}, {}
        saved = Agreement.objects.values_list("pk", "reference", "member_id", "type", "starts_on")
        for pk, reference, member_id, type_, starts_on in saved.iterator(chunk_size=2000):
            by_reference[reference.upper()] = pk
            by_start[(member_id, type_, starts_on)] = pk
        types, days = self.fields["type"], self.fields["starts_on"]
        for number, row in enumerate(dataset.dict, start=2):
            reference = cell_text(row.get("reference")).upper()
            if reference:
                pk = by_reference.get(reference)
            else:
                try:
                    start = days.clean(row)
                    type_ = types.clean(row) if "type" in row else "membership"
                except ValueError:
                    continue
                pk = by_start.get((self.row_member_id(row), type_ or "membership", start))
            if pk:
                self.matched[number] = pk
        for part in chunks(sorted(set(self.matched.values()))):
            self.existing.update(Agreement.objects.in_bulk(part))

    def instance_key(self, instance) -> tuple | None:
        return (instance.reference.upper(),) if instance.reference else None

    def import_instance(self, instance, row, **kwargs) -> None:
        saved_reference = instance.reference
        try:
            super().import_instance(instance, row, **kwargs)
        finally:
            # A row without reference that matched by member + type + start keeps its own.
            instance.reference = instance.reference or saved_reference

    def insert(self, instances: list) -> None:
        # Agreement.save() numbers references one query at a time; here one query a year.
        next_number: dict[int, int] = {}
        for agreement in instances:
            if agreement.reference:
                continue
            year = (agreement.signed_on or agreement.starts_on).year
            if year not in next_number:
                first = Agreement.objects.next_reference(year=year)
                next_number[year] = int(first.rsplit("-", 1)[1])
            agreement.reference = (
                f"{settings.AGREEMENT_REFERENCE_PREFIX}-{year}-{next_number[year]:04d}"
            )
            next_number[year] += 1
        super().insert(instances)


class ContactResource(MemberReferenceResource):
    """Contacts, matched by member + e-mail (or member + name without an e-mail)."""

    name = "contacts"
    key_columns = ("member", "email")
    required_columns = ("member_kind", "member", "name")
    export_permission = "crm.export_contact"

    class Meta(NetworkResource.Meta):
        model = Contact
        name = "Contacts"
        fields = [*MEMBER_REFERENCE_COLUMNS, "name", "role", "email", "phone", "is_primary"]

    @staticmethod
    def contact_key(member_id: int | None, email: str, name: str) -> tuple:
        email = email.strip().lower()
        return (member_id, "@", email) if email else (member_id, place_name_normalize(name))

    def prepare(self, dataset) -> None:
        index = {}
        self.primary_of: dict[int, tuple[int, str]] = {}
        saved = Contact.objects.values_list("pk", "member_id", "email", "name", "is_primary")
        for pk, member_id, email, name, is_primary in saved.iterator(chunk_size=2000):
            index[self.contact_key(member_id, email, name)] = pk
            if is_primary:
                self.primary_of[member_id] = (pk, name)
        for number, row in enumerate(dataset.dict, start=2):
            member_id = self.row_member_id(row)
            if member_id is None:
                continue
            email, name = cell_text(row.get("email")), cell_text(row.get("name"))
            key = self.contact_key(member_id, email, name)
            if key in index:
                self.matched[number] = index[key]
        for part in chunks(sorted(set(self.matched.values()))):
            self.existing.update(Contact.objects.in_bulk(part))
        self.primary_rows: dict[int, int] = {}

    def instance_key(self, instance) -> tuple | None:
        return self.contact_key(instance.member_id, instance.email, instance.name)

    def validate_row(self, instance, errors: dict) -> None:
        super().validate_row(instance, errors)
        if errors or not instance.is_primary:
            return
        saved = self.primary_of.get(instance.member_id)
        if saved and saved[0] != instance.pk:
            errors.setdefault("is_primary", []).append(
                _("%(name)s is already the member's primary contact.") % {"name": saved[1]}
            )
        first = self.primary_rows.setdefault(instance.member_id, self.row_number)
        if first != self.row_number:
            errors.setdefault("is_primary", []).append(
                _("row %(row)d already gives this member its primary contact.") % {"row": first}
            )

    def filter_export(self, queryset, **kwargs):
        return super().filter_export(queryset, **kwargs).order_by("member__name", "name")
