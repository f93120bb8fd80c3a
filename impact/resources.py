"""Import and export of programmes and their deliveries, with exchange's rules (all or
nothing, row errors, chapter scope; see exchange/base.py).

- A programme is matched by chapter + name (unique per chapter); its chapter is named
  like a member's ("Italy" or "IT"), its sectors like a member's ("; " between them).
- A delivery names its member by the four member columns (like an agreement) and its
  programme by name, among the programmes the importing user may see; it is matched by
  member + programme + start (unique), so re-importing an export changes nothing.
"""

from __future__ import annotations

from collections import defaultdict

from django.utils.translation import gettext as _
from import_export import fields, widgets

from crm.names import place_name_normalize
from crm.scope import scope_queryset
from exchange.base import NetworkResource, chunks
from exchange.resources import MEMBER_REFERENCE_COLUMNS, MatchedByValuesResource
from exchange.widgets import ChapterWidget, SectorsWidget, cell_text
from impact.models import PARTICIPANT_FIELDS, Delivery, Programme

PROGRAMME_COLUMNS = [
    "name",
    "programme_type",
    "chapter",
    "sectors",
    "starts_on",
    "ends_on",
    "description",
    "accreditation",
    "accredited_by",
    "accredited_on",
    "target_participants",
    "target_kind",
]


class ProgrammeResource(NetworkResource):
    """Programmes, matched by chapter + name."""

    name = "programmes"
    key_columns = ("chapter", "name")
    required_columns = ("name", "programme_type", "chapter", "starts_on")

    chapter = fields.Field(attribute="chapter", column_name="chapter", widget=ChapterWidget())
    sectors = fields.Field(attribute="sectors", column_name="sectors", widget=SectorsWidget())

    class Meta(NetworkResource.Meta):
        model = Programme
        name = "Programmes"
        fields = PROGRAMME_COLUMNS

    @staticmethod
    def programme_key(chapter_id: int | None, name: str) -> tuple:
        return (chapter_id, place_name_normalize(name))

    def prepare(self, dataset) -> None:
        index = {
            self.programme_key(chapter_id, name): pk
            for pk, chapter_id, name in Programme.objects.values_list("pk", "chapter_id", "name")
        }
        chapters = self.fields["chapter"]
        for number, row in enumerate(dataset.dict, start=2):
            try:
                chapter = chapters.clean(row)
            except ValueError:
                continue  # reported against the row by the chapter column
            pk = index.get(self.programme_key(chapter and chapter.pk, cell_text(row.get("name"))))
            if pk:
                self.matched[number] = pk
        for part in chunks(sorted(set(self.matched.values()))):
            self.existing.update(Programme.objects.in_bulk(part))
        self.saved_sectors: dict[int, set[int]] = defaultdict(set)
        if "sectors" in self.present_columns:
            through = Programme.sectors.through
            for part in chunks(sorted(self.existing)):
                pairs = through.objects.filter(programme_id__in=part).values_list(
                    "programme_id", "sector_id"
                )
                for programme_id, sector_id in pairs:
                    self.saved_sectors[programme_id].add(sector_id)

    def saved_m2m_ids(self, instance, attribute: str) -> set[int]:
        return set(self.saved_sectors.get(instance.pk, ()))

    def instance_key(self, instance) -> tuple | None:
        return self.programme_key(instance.chapter_id, instance.name)

    def member_ids_of(self, instances: list) -> set[int]:
        return set()  # a programme belongs to a chapter, not to a member

    def filter_export(self, queryset, **kwargs):
        return (
            super()
            .filter_export(queryset, **kwargs)
            .select_related("chapter")
            .prefetch_related("sectors")
            .order_by("-starts_on", "name", "pk")
        )


class ProgrammeNameWidget(widgets.ForeignKeyWidget):
    """A programme by its name (any case), among those the importing user may see; the
    programmes are loaded once per import by `load_for`."""

    def __init__(self, **kwargs) -> None:
        super().__init__(Programme, field="name", **kwargs)
        self.by_name: dict[str, list[Programme]] = {}

    def load_for(self, user) -> None:
        programmes = Programme.objects.select_related("chapter")
        if user is not None:  # the command line without --user sees every chapter
            programmes = scope_queryset(programmes, user)
        self.by_name = defaultdict(list)
        for programme in programmes:
            self.by_name[place_name_normalize(programme.name)].append(programme)

    def clean(self, value, row=None, **kwargs) -> Programme | None:
        text = cell_text(value)
        if not text:
            return None
        found = self.by_name.get(place_name_normalize(text), [])
        if len(found) == 1:
            return found[0]
        if found:
            chapters = ", ".join(sorted(p.chapter.name for p in found))
            raise ValueError(
                _(
                    "%(count)d programmes called “%(value)s” (chapters %(chapters)s); "
                    "rename one of them in the admin before importing."
                )
                % {"count": len(found), "value": text, "chapters": chapters}
            )
        raise ValueError(
            _("No programme called “%(value)s” in the chapters you work for.") % {"value": text}
        )

    def render(self, value, obj=None, **kwargs) -> str:
        return value.name if value else ""


class DeliveryResource(MatchedByValuesResource):
    """Deliveries, matched by member + programme + start."""

    name = "deliveries"
    key_columns = ("member", "programme", "started_on")
    required_columns = ("member_kind", "member", "programme", "started_on")
    match_fields = ("programme", "started_on")

    programme = fields.Field(
        attribute="programme", column_name="programme", widget=ProgrammeNameWidget()
    )

    class Meta(NetworkResource.Meta):
        model = Delivery
        name = "Deliveries"
        fields = [
            *MEMBER_REFERENCE_COLUMNS,
            "programme",
            "started_on",
            "ended_on",
            "sessions",
            *PARTICIPANT_FIELDS,
        ]

    def prepare(self, dataset) -> None:
        # Before matching: rows are matched by the programme they name.
        self.fields["programme"].widget.load_for(self.user)
        super().prepare(dataset)

    def filter_export(self, queryset, **kwargs):
        return (
            super()
            .filter_export(queryset, **kwargs)
            .select_related("programme")
            .order_by("-started_on", "pk")
        )
