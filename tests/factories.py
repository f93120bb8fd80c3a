"""factory_boy factories for every model of the network."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterable

import factory
from django.utils import timezone

from ambassadors.models import Ambassador
from crm.models import Agreement, Chapter, Contact, Recognition, Sector
from municipalities.models import Municipality
from partners.models import Company, Organization, School

#: Every list endpoint of the staff API (/api/v1/<name>/), the read-only members one first.
API_ENDPOINTS = [
    "members",
    "schools",
    "companies",
    "organizations",
    "municipalities",
    "ambassadors",
    "contacts",
    "agreements",
    "recognitions",
    "chapters",
    "sectors",
]


def today() -> datetime.date:
    return timezone.localdate()


def days(n: int) -> datetime.date:
    """`n` days from today (before it when negative)."""
    return today() + datetime.timedelta(days=n)


class ChapterFactory(factory.django.DjangoModelFactory):
    """A chapter per country; the data migration's chapters are found, not duplicated."""

    class Meta:
        model = Chapter
        django_get_or_create = ["country"]

    name = "Italy"
    country = "IT"


class SectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sector
        django_get_or_create = ["slug"]

    slug = "education"
    name_en = "Education"
    name_it = "Istruzione"


class MemberFactory(factory.django.DjangoModelFactory):
    """The address every kind shares; a kind's factory names its model and its own fields.

    `skip_postgeneration_save` is inherited by every kind (factory_boy's Meta inheritance).
    """

    class Meta:
        abstract = True
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Member {n}")
    street = "Via Roma 1"
    postal_code = "00184"
    city = "Roma"
    province = "RM"
    region = "Lazio"
    country = "IT"

    @factory.post_generation
    def sectors(self, create, extracted, **kwargs):
        if create and extracted:
            self.sectors.set(extracted)


class SchoolFactory(MemberFactory):
    class Meta:
        model = School

    level = "primary"
    students = 300
    name = factory.Sequence(lambda n: f"Scuola {n}")
    school_code = factory.Sequence(lambda n: f"RMIC{n:05d}")


class CompanyFactory(MemberFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Azienda {n} S.r.l.")
    vat_number = ""
    size = "small"


class OrganizationFactory(MemberFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Associazione {n}")
    type = "association"


class MunicipalityFactory(MemberFactory):
    class Meta:
        model = Municipality

    name = factory.Sequence(lambda n: f"Comune {n}")
    official_code = factory.Sequence(lambda n: f"{900000 + n:06d}")
    street = ""
    population = 5000


class AmbassadorFactory(MemberFactory):
    class Meta:
        model = Ambassador

    first_name = "Giulia"
    last_name = factory.Sequence(lambda n: f"Rossi{n}")
    email = factory.Sequence(lambda n: f"ambassador{n}@example.org")
    map_consent = True


class MemberPartFactory(factory.django.DjangoModelFactory):
    """What belongs to a member (contact, agreement, recognition): a school's by default."""

    class Meta:
        abstract = True

    member = factory.SubFactory(SchoolFactory)


class ContactFactory(MemberPartFactory):
    class Meta:
        model = Contact

    name = factory.Sequence(lambda n: f"Contact {n}")
    role = "Head teacher"
    email = factory.Sequence(lambda n: f"contact{n}@example.org")


class AgreementFactory(MemberPartFactory):
    """Active today by default: signed, started a month ago, ends in two years."""

    class Meta:
        model = Agreement

    type = "membership"
    signed_on = factory.LazyFunction(lambda: today() - datetime.timedelta(days=40))
    starts_on = factory.LazyFunction(lambda: today() - datetime.timedelta(days=30))
    ends_on = factory.LazyFunction(lambda: today() + datetime.timedelta(days=700))


class RecognitionFactory(MemberPartFactory):
    class Meta:
        model = Recognition

    title = "Kind School"
    awarded_on = factory.LazyFunction(today)


_bulk_serial = itertools.count(1)


def bulk_create(factory_class: type[factory.django.DjangoModelFactory], rows: Iterable[dict]):
    """One object of `factory_class` per dict of fields, written in a few INSERTs.

    No save() and no signal (no history, no geocoding): for the many rows that a test of
    query counts needs. Members go through crm.bulk (their kinds are multi-table);
    agreements get references of their own, as save() would give them.
    """
    from crm.bulk import members_bulk_create
    from crm.models import Member

    built = [factory_class.build(**fields) for fields in rows]
    model = factory_class._meta.model
    if issubclass(model, Member):
        return members_bulk_create(built)
    for row in built:
        if model is Agreement and not row.reference:
            row.reference = f"IKM-1000-{next(_bulk_serial):06d}"
    return model.objects.bulk_create(built)


def sectors_bulk_add(pairs: Iterable[tuple[int, int]]) -> None:
    """Link members to sectors: (member id, sector id) pairs, one INSERT."""
    from crm.models import Member

    through = Member.sectors.through
    through.objects.bulk_create(through(member_id=m, sector_id=s) for m, s in pairs)


# Join requests of municipalities (issue 5).


def pdf_bytes(pages: int = 1, text: str = "") -> bytes:
    """A real, valid PDF made with pypdf (blank A4 pages, optional metadata text)."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if text:
        writer.add_metadata({"/Title": text})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


class MunicipalityReferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "municipalities.MunicipalityReference"
        django_get_or_create = ["country", "official_code"]

    country = "IT"
    official_code = factory.Sequence(lambda n: f"{800000 + n:06d}")
    name = factory.Sequence(lambda n: f"Paese {n}")
    search_name = factory.LazyAttribute(lambda o: _normalize(o.name))
    province = "Bergamo"
    province_code = "BG"
    region = "Lombardia"
    region_code = "09"
    cadastral_code = "C337"
    postal_code = "24063"
    latitude = 45.8
    longitude = 10.03
    population = 1345


#: The two Castros of ISTAT's list: namesakes that only their province tells apart.
CASTRO = {
    "BG": ("016065", "Bergamo", "Lombardia", "09", 45.8, 10.07, 1345, "24063"),
    "LE": ("075096", "Lecce", "Puglia", "13", 40.0, 18.42, 2400, "73030"),
}
_CASTRO_FIELDS = (
    "official_code",
    "province",
    "region",
    "region_code",
    "latitude",
    "longitude",
    "population",
    "postal_code",
)


def castro_reference(province_code: str):
    """The Castro of the province `province_code` (BG or LE) in the official list."""
    listed = dict(zip(_CASTRO_FIELDS, CASTRO[province_code], strict=True))
    return MunicipalityReferenceFactory(name="Castro", province_code=province_code, **listed)


def _pdf_file():
    import io

    return io.BytesIO(pdf_bytes())


def _normalize(name: str) -> str:
    from crm.names import place_name_normalize

    return place_name_normalize(name)


class JoinRequestFactory(factory.django.DjangoModelFactory):
    """A submitted request for a listed municipality, with a real PDF in private storage."""

    class Meta:
        model = "municipalities.JoinRequest"

    reference = factory.Sequence(lambda n: f"JR-2026-T{n:05d}")
    country = "IT"
    municipality_reference = factory.SubFactory(MunicipalityReferenceFactory)
    municipality_name = factory.LazyAttribute(lambda o: o.municipality_reference.name)
    official_code = factory.LazyAttribute(lambda o: o.municipality_reference.official_code)
    municipality_key = factory.LazyAttribute(lambda o: f"IT:{o.official_code}")
    submitter_name = "Maria Bianchi"
    submitter_role = "Assessora alle politiche sociali"
    submitter_email = factory.Sequence(lambda n: f"ufficio{n}@comune.example.it")
    submitter_phone = "+39 035 000000"
    mayor_name = "Giovanni Verdi"
    resolution_number = "42"
    resolution_date = factory.LazyFunction(lambda: today() - datetime.timedelta(days=20))
    resolution_file = factory.django.FileField(from_func=lambda: _pdf_file(), filename="a.pdf")
    privacy_consent_at = factory.LazyFunction(timezone.now)
    language = "it"
