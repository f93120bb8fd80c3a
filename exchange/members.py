"""MemberResource: natural keys, name matching and bulk writes for every kind of member.

How a row finds its saved member: by the kind's natural key (school code, VAT number,
official code + country, e-mail) when the row has one; without one (organisations, a
school without its code) by name + city + country + province, compared through
`place_name_normalize` (accents, case and punctuation ignored), when exactly one member
of the kind without a natural key has them. A province left blank on either side does not
tell two places apart; two different provinces do (Castro BG is not Castro LE).
The same comparison raises the possible-duplicate warnings; two members with different
natural keys are never possible duplicates of each other.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from django.utils.translation import gettext as _
from import_export import fields

from crm.bulk import members_bulk_create
from crm.models import MEMBER_EDITABLE_FIELDS, Member
from crm.names import place_name_normalize
from crm.signals import members_moved_send
from exchange.base import CHUNK, NetworkResource, chunks, frozen, stored_value
from exchange.queries import rows_with
from exchange.widgets import ChapterWidget, CountryWidget, SectorsWidget, cell_text

#: The columns every kind shares, after its own ones.
MEMBER_COLUMNS = list(MEMBER_EDITABLE_FIELDS)

NameKey = tuple[str, str, str]


def name_key(name: object, city: object, country: object) -> NameKey:
    """Name, city and country as compared for possible duplicates ("Città" == "citta")."""
    return (
        place_name_normalize(cell_text(name)),
        place_name_normalize(cell_text(city)),
        cell_text(country).upper(),
    )


def same_province(one: str, other: str) -> bool:
    """Normalised provinces that do not tell two places apart (equal, or one unknown)."""
    return not one or not other or one == other


class MemberDirectory:
    """Members of one kind by natural key and by name + city + country (with province).

    Without `keys`, every member of the kind (agreements and contacts name members by key
    or by name). With `keys` (the natural keys a file holds), an import's own kind costs
    what the file costs: the members with those keys, from an index; members *without* a
    key, which a keyed row may only resemble (a possible duplicate); and, only when
    `names` is true (the file has rows without a key, which may match any member by name),
    every member of the kind in `countries`. Labels for messages are made on demand.
    """

    def __init__(
        self,
        resource_class: type[MemberResource],
        *,
        keys: set[tuple] | None = None,
        names: bool = True,
        countries: set[str] | None = None,
    ) -> None:
        self.resource_class = resource_class
        self.by_key: dict[tuple, int] = {}
        self.by_name: dict[NameKey, list[int]] = defaultdict(list)
        self.keyed: set[int] = set()
        self.province_of: dict[int, str] = {}
        self._label_parts: dict[int, tuple] = {}
        model = resource_class._meta.model
        key_fields = list(resource_class.key_fields)
        columns = ("pk", "name", "city", "province", "country", *key_fields)
        everyone = model.objects.all()
        if countries is not None:
            everyone = everyone.filter(country__in=sorted(countries))
        if keys is None:
            parts = [model.objects.all()]
        elif not key_fields:
            parts = [everyone]
        else:
            # `key <> ''` is the condition of the key's partial unique index: it is used.
            values = sorted({str(key[-1]) for key in keys})
            keyed = model.objects.exclude(**{key_fields[0]: ""})
            parts = list(rows_with(keyed, key_fields[0], values))
            parts.append(everyone if names else everyone.filter(**{key_fields[0]: ""}))
        seen: set[int] = set()
        for part in parts:
            rows = part.values_list(*columns).iterator(chunk_size=CHUNK)
            for pk, name, city, province, country, *key_values in rows:
                if pk not in seen:
                    seen.add(pk)
                    key_values = dict(zip(key_fields, key_values, strict=True))
                    self._add(pk, name, city, province, country, key_values)

    def _add(self, pk: int, name, city, province, country, key_values: dict) -> None:
        key = self.resource_class.natural_key({**key_values, "country": country})
        if key is not None:
            self.by_key[key] = pk
            self.keyed.add(pk)
        self.by_name[name_key(name, city, country)].append(pk)
        self.province_of[pk] = place_name_normalize(province or "")
        self._label_parts[pk] = (name, city, country)

    def label(self, pk: int) -> str:
        """ "“Scuola X” in Roma (IT, id 4)", for messages about possible duplicates."""
        name, city, country = self._label_parts[pk]
        return _("“%(name)s” in %(city)s (%(country)s, id %(pk)d)") % {
            "name": name,
            "city": city or "?",
            "country": country,
            "pk": pk,
        }

    def find(
        self, key: tuple | None, names: NameKey, province: str = ""
    ) -> tuple[int | None, list[int]]:
        """(the member this describes or None, members it might duplicate)."""
        candidates = [
            pk
            for pk in self.by_name.get(names, [])
            if same_province(self.province_of[pk], province)
        ]
        if key is not None:
            pk = self.by_key.get(key)
            # A member with another natural key is another member, whatever its name.
            return (pk, []) if pk else (None, [c for c in candidates if c not in self.keyed])
        if len(candidates) == 1 and candidates[0] not in self.keyed:
            return candidates[0], []
        return None, candidates


class MemberResource(NetworkResource):
    """Shared columns and rules of every kind; each kind names its natural key."""

    #: The MemberKind this resource imports; agreements and contacts find it by kind.
    kind: str = ""
    #: Model fields of the natural key besides the country (e.g. ("school_code",)).
    key_fields: tuple[str, ...] = ()
    required_columns = ("name",)

    chapter = fields.Field(attribute="chapter", column_name="chapter", widget=ChapterWidget())
    sectors = fields.Field(attribute="sectors", column_name="sectors", widget=SectorsWidget())

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.geocode_ids: list[int] = []
        self.saved_sectors: dict[int, set[int]] = {}

    @staticmethod
    def natural_key(values: Mapping[str, object]) -> tuple | None:
        """The natural key from a row's or the database's values, or None when it has none."""
        return None

    def row_name(self, row: Mapping) -> str:
        return cell_text(row.get("name"))

    def row_values(self, row: Mapping) -> dict[str, object]:
        values = {name: cell_text(row.get(name)) for name in self.key_fields}
        try:
            values["country"] = CountryWidget().clean(row.get("country")) or "IT"
        except ValueError:
            values["country"] = ""
        return values

    def prepare(self, dataset) -> None:
        # First the keys the file holds; then only their members are read (see MemberDirectory).
        rows = []
        for number, row in enumerate(dataset.dict, start=2):
            if any(cell_text(value) for value in row.values()):
                values = self.row_values(row)
                rows.append((number, row, values, self.natural_key(values)))
        keys = {key for _n, _r, _v, key in rows if key is not None}
        directory = MemberDirectory(
            type(self),
            keys=keys,
            names=any(key is None for _n, _r, _v, key in rows),
            countries={values["country"] for _n, _r, values, _k in rows},
        )
        self.geocode_ids: list[int] = []
        kind = self._meta.model._meta.verbose_name
        earlier_rows: dict[NameKey, list[tuple[int, str, tuple | None, int]]] = defaultdict(list)
        for number, row, values, key in rows:
            names = name_key(self.row_name(row), row.get("city"), values["country"])
            province = place_name_normalize(cell_text(row.get("province")))
            pk, lookalikes = directory.find(key, names, province)
            if pk is not None:
                self.matched[number] = pk
            for other in lookalikes:
                self.row_warnings.setdefault(number, []).append(
                    _(
                        "Row %(row)d: possible duplicate of %(other)s, which has the same "
                        "name, city, province and country; a new %(kind)s is added, not merged."
                    )
                    % {"row": number, "other": directory.label(other), "kind": kind}
                )
            earlier = next(
                (
                    other
                    for other, other_province, other_key, other_cells in earlier_rows[names]
                    if same_province(other_province, province)
                    # same key or same cells: a repeated row (base.py); other keys: others
                    and (key is None or other_key is None)
                    and other_cells != hash(frozen(row))
                ),
                None,
            )
            # The cells' hash, not a copy of them: memory per row stays small.
            earlier_rows[names].append((number, province, key, hash(frozen(row))))
            if earlier is not None and pk is None:
                self.row_warnings.setdefault(number, []).append(
                    _(
                        "Row %(row)d: possible duplicate of row %(earlier)d, which has the "
                        "same name, city, province and country."
                    )
                    % {"row": number, "earlier": earlier}
                )
        for part in chunks(sorted(set(self.matched.values()))):
            self.existing.update(self._meta.model.objects.in_bulk(part))
        self.saved_sectors: dict[int, set[int]] = defaultdict(set)
        if "sectors" in self.present_columns:
            through = Member.sectors.through
            for part in chunks(sorted(self.existing)):
                pairs = through.objects.filter(member_id__in=part).values_list(
                    "member_id", "sector_id"
                )
                for member_id, sector_id in pairs:
                    self.saved_sectors[member_id].add(sector_id)

    def saved_m2m_ids(self, instance, attribute: str) -> set[int]:
        return set(self.saved_sectors.get(instance.pk, ()))

    def normalize(self, instance) -> None:
        instance.normalize()

    def instance_key(self, instance) -> tuple | None:
        values = {name: getattr(instance, name) for name in self.key_fields}
        values["country"] = str(stored_value(instance, "country") or "")
        return self.natural_key(values)

    def skip_row(self, instance, original, row, import_validation_errors=None) -> bool:
        unchanged = super().skip_row(instance, original, row, import_validation_errors)
        address = {self.column_names().get(f, f) for f in instance.address_fields()}
        instance._address_changed = bool(address.intersection(self._changed))
        return unchanged

    def before_save_instance(self, instance, row, **kwargs) -> None:
        if instance.chapter_id is None and instance.country:
            instance.chapter = self.fields["chapter"].widget.by_country.get(str(instance.country))

    def derived_fields(self) -> list[str]:
        return ["kind", "chapter", "name", "email"]

    def member_ids_of(self, instances: list) -> set[int]:
        return {instance.pk for instance in instances}

    def insert(self, instances: list) -> None:
        # Every instance was normalised and validated (full_clean) before the write.
        for part in chunks(instances):  # one chunk's parent rows at a time in memory
            members_bulk_create(part, batch_size=CHUNK, normalized=True)
        self.geocode_ids.extend(i.pk for i in instances)

    def update(self, instances: list) -> None:
        super().update(instances)
        self.geocode_ids.extend(i.pk for i in instances if getattr(i, "_address_changed", False))

    def after_import(self, dataset, result, **kwargs) -> None:
        super().after_import(dataset, result, **kwargs)
        if self.geocode_ids and not self.dry_run and not self.failed(result):
            # Bulk writes send no model signal: the core's own one, once for the whole file,
            # inside the import's transaction; geocoding queues one task on commit.
            members_moved_send(sender=self._meta.model, member_ids=self.geocode_ids)

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("chapter").prefetch_related("sectors")
