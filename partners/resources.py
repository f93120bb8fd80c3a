"""Import and export of schools, companies and organisations (columns in the README)."""

from __future__ import annotations

from collections.abc import Mapping

# partners.vat reads `ch.uid` and `eu.vat`, submodules that only an import loads.
import stdnum.ch.uid
import stdnum.eu.vat  # noqa: F401
from django.core.exceptions import ValidationError
from import_export import fields

from crm.models import MemberKind
from exchange.members import MEMBER_COLUMNS, MemberResource
from exchange.widgets import CountryWidget, TextWidget, cell_text
from partners.models import Company, Organization, School
from partners.vat import vat_normalize


class SchoolResource(MemberResource):
    """Schools, matched by their official school code (e.g. RMIC8A9005)."""

    name = "schools"
    kind = MemberKind.SCHOOL
    key_fields = ("school_code",)
    key_columns = ("school_code",)

    class Meta(MemberResource.Meta):
        model = School
        name = "Schools"
        fields = ["school_code", "name", "level", "students", *MEMBER_COLUMNS[1:]]

    @staticmethod
    def natural_key(values: Mapping[str, object]) -> tuple | None:
        code = cell_text(values.get("school_code")).upper()
        return (code,) if code else None


class VatWidget(TextWidget):
    """A VAT number, checked and stored with its country's prefix (IT…, CHE…)."""

    def clean(self, value, row=None, **kwargs) -> str:
        text = cell_text(value)
        if not text:
            return ""
        try:
            country = CountryWidget().clean((row or {}).get("country")) or "IT"
        except ValueError:
            return text  # the country column reports its own error
        try:
            return vat_normalize(text, country)
        except ValidationError as exc:
            raise ValueError(" ".join(exc.messages)) from exc


class CompanyResource(MemberResource):
    """Companies, matched by VAT number (which carries its country's prefix)."""

    name = "companies"
    kind = MemberKind.COMPANY
    key_fields = ("vat_number",)
    key_columns = ("vat_number",)

    vat_number = fields.Field(attribute="vat_number", column_name="vat_number", widget=VatWidget())

    class Meta(MemberResource.Meta):
        model = Company
        name = "Companies"
        fields = ["vat_number", "name", "size", "employees", *MEMBER_COLUMNS[1:]]

    @staticmethod
    def natural_key(values: Mapping[str, object]) -> tuple | None:
        try:
            vat = vat_normalize(cell_text(values.get("vat_number")), str(values["country"]))
        except ValidationError:
            return None
        return (vat,) if vat else None


class OrganizationResource(MemberResource):
    """Organisations have no official code: matched by name, city and country."""

    name = "organisations"
    kind = MemberKind.ORGANIZATION

    class Meta(MemberResource.Meta):
        model = Organization
        name = "Organisations"
        fields = ["name", "type", *MEMBER_COLUMNS[1:]]
