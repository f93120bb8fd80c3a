"""Import and export of ambassadors (columns in the README); exporting needs its own permission."""

from __future__ import annotations

from collections.abc import Mapping

from ambassadors.models import Ambassador
from crm.models import ConsentEvent, MemberKind
from exchange.members import MEMBER_COLUMNS, MemberResource
from exchange.widgets import cell_text


class AmbassadorResource(MemberResource):
    """Ambassadors, matched by e-mail (compared in lower case)."""

    name = "ambassadors"
    kind = MemberKind.AMBASSADOR
    key_fields = ("email",)
    key_columns = ("email",)
    export_permission = "ambassadors.export_ambassador"
    required_columns = ("email", "first_name", "last_name")

    class Meta(MemberResource.Meta):
        model = Ambassador
        name = "Ambassadors"
        fields = [
            "email",
            "first_name",
            "last_name",
            "status",
            "appointed_on",
            "term_ends_on",
            "map_consent",
            *[c for c in MEMBER_COLUMNS if c not in ("name", "email")],
        ]

    @staticmethod
    def natural_key(values: Mapping[str, object]) -> tuple | None:
        email = cell_text(values.get("email")).lower()
        return (email,) if email else None

    def row_name(self, row: Mapping) -> str:
        return f"{cell_text(row.get('first_name'))} {cell_text(row.get('last_name'))}".strip()

    def derived_fields(self) -> list[str]:
        return [*super().derived_fields(), "map_consent_at"]

    # Bulk writes call no save(): the consent events are written here, one query per batch.
    def insert(self, instances: list) -> None:
        super().insert(instances)
        ConsentEvent.objects.bulk_create(
            Ambassador.consent_changes(instances, {}, source=self._consent_source())
        )

    def update(self, instances: list) -> None:
        previous = dict(
            Ambassador.objects.filter(pk__in=[i.pk for i in instances]).values_list(
                "pk", "map_consent"
            )
        )
        super().update(instances)
        ConsentEvent.objects.bulk_create(
            Ambassador.consent_changes(instances, previous, source=self._consent_source())
        )

    def _consent_source(self) -> str:
        return f"import {self.file_name or ''}".strip()[:120]
