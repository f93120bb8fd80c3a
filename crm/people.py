"""People's rights: everything stored about one person (export), and its erasure.

A person is found by e-mail in every model that names a `PERSON_EMAIL_FIELD` (members,
contacts, join requests, consent events); `PERSONAL_FIELDS` say which of a row's fields
name the person. Their history rows are found by id, and a scan of every text column of
every table (history and the admin's log included) finds any other copy of the values,
so the core needs to know no kind app: a new model takes part by declaring both attributes.

Erasure anonymises rather than deletes: the rows stay (counts, agreements, the history of
what happened), their personal values do not, and the erasure itself is recorded (without
the e-mail) in `PersonalDataAccess`.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from crm.models import Member, PersonalDataAccess
from crm.signals import network_changed_send

ERASED = "[erased]"
#: Tables that hold no network data about people: accounts, permissions, sessions, tokens.
NOT_SCANNED_APPS = {"auth", "contenttypes", "sessions", "authtoken"}
#: Values shorter than this are too common to look for elsewhere ("Rossi" is; an e-mail is not).
SCAN_MIN_LENGTH = 5
#: Alone, a first or last name is a common word (a school named after Verdi) and a postal
#: code is shared by a whole town: the scan looks for the full name, e-mail, phone and
#: street; these are erased on the person's own rows and their history.
NOT_SEARCHED_ALONE = {"first_name", "last_name", "postal_code"}


@dataclass
class PersonRows:
    """The rows that name a person, by model, and the values that name them.

    `rows` are the person's own (found by e-mail) and their history: every personal field
    of them is theirs. `mentions` are other rows whose free text (notes, messages, the
    admin's log) names them: only those words are theirs; the rest of such a row, and its
    personal fields, belong to someone else (another school at "Via Roma 1").
    """

    rows: dict[type[models.Model], set[int]] = field(default_factory=dict)
    mentions: dict[type[models.Model], set[int]] = field(default_factory=dict)
    values: set[str] = field(default_factory=set)

    def add(self, model: type[models.Model], pks: Iterable[int]) -> None:
        self.rows.setdefault(model, set()).update(pks)

    def mention(self, model: type[models.Model], pks: Iterable[int]) -> None:
        new = set(pks) - self.rows.get(model, set())
        if new:
            self.mentions.setdefault(model, set()).update(new)

    @property
    def count(self) -> int:
        return sum(len(pks) for pks in [*self.rows.values(), *self.mentions.values()])

    @property
    def tables(self) -> int:
        return len(set(self.rows) | set(self.mentions))


def _is_history(model: type[models.Model]) -> bool:
    return hasattr(model, "instance_type")


def _person_models() -> list[type[models.Model]]:
    """Concrete models with a person's e-mail, most derived first (an ambassador before its
    member row), so each row is read with the fields of its own kind."""
    found = [
        m
        for m in apps.get_models()
        if not _is_history(m) and getattr(m, "PERSON_EMAIL_FIELD", None)
    ]
    return sorted(found, key=lambda m: -len(m._meta.get_parent_list()))


def _text_fields(model: type[models.Model]) -> list[models.Field]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField)
        and not f.choices
        and f.model is model  # a parent's column is scanned in the parent's table
    ]


def _mention_fields(model: type[models.Model]) -> list[models.Field]:
    """The text columns where a row may mention someone else: free text (notes, messages,
    the admin's log), not the short fields that are a row's own name, e-mail, phone or
    address (another person's street or name is theirs, even when it reads the same)."""
    personal = set(_personal_fields_of(model))
    source = model.instance_type if _is_history(model) else model
    for kind in source.__subclasses__():  # a member row may be an ambassador's
        personal |= set(getattr(kind, "PERSONAL_FIELDS", ()))
    return [
        f for f in _text_fields(model) if isinstance(f, models.TextField) or f.name not in personal
    ]


def _scanned_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m._meta.app_label not in NOT_SCANNED_APPS]


def person_rows_find(*, email: str) -> PersonRows:
    """Every row that names the person with this e-mail (any case), history included."""
    email = email.strip()
    found = PersonRows()
    if not email:
        return found
    seen: set[int] = set()
    owners: list[tuple[type[models.Model], set[int]]] = []
    for model in _person_models():
        lookup = {f"{model.PERSON_EMAIL_FIELD}__iexact": email}
        rows = list(model._default_manager.filter(**lookup).values("pk", *model.PERSONAL_FIELDS))
        # A member row already read as its kind (an ambassador) keeps the kind's fields.
        is_member_table = any(issubclass(other, model) for other, _ in owners)
        rows = [row for row in rows if not (is_member_table and row["pk"] in seen)]
        pks = {row["pk"] for row in rows}
        if not pks:
            continue
        seen |= pks
        found.add(model, pks)
        owners.append((model, pks))
        for parent in model._meta.get_parent_list():  # an ambassador's member row is hers
            found.add(parent, pks)
        # Short fields name the person; long text (notes, messages) is erased, not searched.
        searched = {
            f.name
            for f in model._meta.concrete_fields
            if f.name in model.PERSONAL_FIELDS
            and isinstance(f, models.CharField)
            and f.name not in NOT_SEARCHED_ALONE
        }
        for row in rows:
            found.values.update(
                value.strip()
                for name, value in row.items()
                if name in searched and isinstance(value, str) and value.strip()
            )
    found.values.add(email)
    for model, pks in owners:
        # Links that name the person by id (the contacts involved in an activity).
        for through in _links_to(model):
            column = next(
                f.attname
                for f in through._meta.concrete_fields
                if f.is_relation and issubclass(model, f.related_model)
            )
            found.add(
                through,
                through._default_manager.filter(**{f"{column}__in": pks}).values_list(
                    "pk", flat=True
                ),
            )
    for history in (m for m in apps.get_models() if _is_history(m)):
        for model, pks in owners:
            if issubclass(model, history.instance_type) or issubclass(history.instance_type, model):
                found.add(
                    history,
                    history._default_manager.filter(id__in=pks).values_list(
                        "history_id", flat=True
                    ),
                )
    for model, pks in _scan(found.values):
        found.mention(model, pks)
    return found


def _links_to(model: type[models.Model]) -> list[type[models.Model]]:
    """The many-to-many tables of other models that point at `model`'s rows."""
    return [
        f.remote_field.through
        for other in apps.get_models()
        if not _is_history(other)
        for f in other._meta.local_many_to_many
        if issubclass(model, f.related_model) and f.related_model is not other
    ]


def _scan(values: set[str]) -> Iterable[tuple[type[models.Model], set[int]]]:
    """Rows of any table with one of `values` in a text column (whole words, any case)."""
    wanted = [v for v in values if len(v) >= SCAN_MIN_LENGTH]
    if not wanted:
        return
    for model in _scanned_models():
        fields = _mention_fields(model)
        if not fields:
            continue
        condition = Q()
        for f in fields:
            for value in wanted:
                condition |= Q(**{f"{f.name}__icontains": value})
        pattern = _pattern(wanted)
        pks = {
            row[0]
            for row in model._default_manager.filter(condition).values_list(
                "pk", *(f.name for f in fields)
            )
            if any(isinstance(text, str) and pattern.search(text) for text in row[1:])
        }
        if pks:
            yield model, pks


def _pattern(values: list[str]) -> re.Pattern:
    alternatives = "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def person_export(*, email: str, by=None, via: str = "command") -> dict:
    """Everything stored about the person with this e-mail, as JSON-ready data: every row
    that names them (members, contacts, join requests, consent events, history, the admin's
    log), all of its columns. The export itself is recorded (who, when, what)."""
    found = person_rows_find(email=email)
    records: dict[str, list[dict]] = {}
    for model, pks in sorted(found.rows.items(), key=lambda item: item[0]._meta.label):
        names = [f.attname for f in model._meta.concrete_fields]
        rows = model._default_manager.filter(pk__in=pks).order_by("pk").values(*names)
        records[model._meta.label] = [_jsonable(row) for row in rows]
    # Rows of others that mention the person: the words that do, not the rest of the row.
    pattern = _pattern([v for v in found.values if len(v) >= SCAN_MIN_LENGTH])
    mentions: dict[str, list[dict]] = {}
    for model, pks in sorted(found.mentions.items(), key=lambda item: item[0]._meta.label):
        names = [f.attname for f in _mention_fields(model)]
        rows = model._default_manager.filter(pk__in=pks).order_by("pk").values("pk", *names)
        mentions[model._meta.label] = [
            {"pk": row["pk"]}
            | {
                name: text
                for name, text in row.items()
                if name != "pk" and isinstance(text, str) and pattern.search(text)
            }
            for row in rows
        ]
    _record(by=by, action="export", what=f"person export via {via}: {found.count} rows")
    return {
        "email": email.strip(),
        "exported_at": timezone.now().isoformat(),
        "records": records,
        "mentions": mentions,
    }


def _jsonable(row: dict) -> dict:
    return {
        key: value.isoformat() if isinstance(value, datetime.date | datetime.datetime) else value
        for key, value in row.items()
    }


@transaction.atomic
def person_erase(*, email: str, by=None, via: str = "command") -> dict[str, int]:
    """Anonymise the person with this e-mail everywhere, history included; keep the rows
    (counts stay right) and record that an erasure happened. Returns rows changed by table."""
    found = person_rows_find(email=email)
    if not found.rows and not found.mentions:
        return {}
    pattern = _pattern([v for v in found.values if v])
    changed: dict[str, int] = {}
    member_ids: set[int] = set()
    for model, pks in found.rows.items():
        personal = _personal_fields_of(model)
        text_fields = _text_fields(model)
        for row in model._default_manager.filter(pk__in=pks):
            updates = {}
            for f in model._meta.concrete_fields:
                if f.name in personal:
                    updates[f.name] = _erased_value(f)
            for f in text_fields:
                text = updates.get(f.name, getattr(row, f.attname))
                if isinstance(text, str) and pattern.search(text):
                    updates[f.name] = _erased_text(f, pattern.sub(ERASED, text))
            if getattr(model, "KIND", "") == "ambassador" or "map_consent" in updates:
                updates.update(map_consent=False, show_on_map=False, show_programmes=False)
            updates = {k: v for k, v in updates.items() if k in _own_or_parent_fields(model)}
            if updates:
                model._default_manager.filter(pk=row.pk).update(**updates)
                changed[model._meta.label] = changed.get(model._meta.label, 0) + 1
        if issubclass(model, Member):
            member_ids |= pks
    for model, pks in found.mentions.items():
        # Someone else's row: only the words that name the person go.
        fields = _mention_fields(model)
        for row in model._default_manager.filter(pk__in=pks):
            updates = {
                f.name: _erased_text(f, pattern.sub(ERASED, text))
                for f in fields
                if isinstance(text := getattr(row, f.attname), str) and pattern.search(text)
            }
            if updates:
                model._default_manager.filter(pk=row.pk).update(**updates)
                changed[model._meta.label] = changed.get(model._meta.label, 0) + 1
        if issubclass(model, Member):
            member_ids |= pks
    if member_ids:
        # Bulk updates send no model signal: the public map must forget these people now.
        network_changed_send(sender=person_erase, member_ids=member_ids)
    _record(
        by=by,
        action="erase",
        what=f"person erasure via {via}: {sum(changed.values())} rows in {len(changed)} tables",
    )
    return changed


def _own_or_parent_fields(model: type[models.Model]) -> set[str]:
    return {f.name for f in model._meta.concrete_fields}


def _personal_fields_of(model: type[models.Model]) -> set[str]:
    """The personal fields of a model, or of the model a history table records."""
    source = model.instance_type if _is_history(model) else model
    return set(getattr(source, "PERSONAL_FIELDS", ()))


def _erased_value(f: models.Field):
    if isinstance(f, models.FloatField | models.DecimalField):
        return None
    if isinstance(f, models.EmailField) or f.blank:
        return ""
    return ERASED


def _erased_text(f: models.Field, text: str) -> str:
    return text[: f.max_length] if f.max_length else text


def personal_data_access_record(*, user, action: str, what: str) -> None:
    """Who looked at or exported people's data, and what (an audit row)."""
    signed_in = user is not None and user.is_authenticated
    PersonalDataAccess.objects.create(
        user=user if signed_in else None,
        username=user.get_username() if signed_in else "",
        action=action,
        what=what[:300],
    )


def _record(*, by, action: str, what: str) -> None:
    PersonalDataAccess.objects.create(
        user=by if by is not None and by.pk else None,
        username=by.get_username() if by is not None else "(command)",
        action=action,
        what=what,
    )
