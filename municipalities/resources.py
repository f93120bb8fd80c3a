"""Import and export of municipalities (columns in the README)."""

from __future__ import annotations

from collections.abc import Mapping

from crm.models import MemberKind
from exchange.members import MEMBER_COLUMNS, MemberResource
from exchange.widgets import cell_text
from municipalities.models import Municipality


class MunicipalityResource(MemberResource):
    """Municipalities, matched by official code (ISTAT, BFS) within their country."""

    name = "municipalities"
    kind = MemberKind.MUNICIPALITY
    key_fields = ("official_code",)
    key_columns = ("country", "official_code")

    class Meta(MemberResource.Meta):
        model = Municipality
        name = "Municipalities"
        fields = [
            "official_code",
            "name",
            "population",
            "mayor",
            "resolution_number",
            "resolution_date",
            "joined_on",
            *MEMBER_COLUMNS[1:],
        ]

    @staticmethod
    def natural_key(values: Mapping[str, object]) -> tuple | None:
        code = cell_text(values.get("official_code"))
        return (str(values["country"]).upper(), code) if code else None

    def derived_fields(self) -> list[str]:
        return [*super().derived_fields(), "code_country"]
