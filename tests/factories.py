"""factory_boy factories for every model of the network."""

from __future__ import annotations

import datetime
import io
import itertools
import time
from collections.abc import Iterable

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ambassadors.models import Ambassador
from crm.models import Agreement, Chapter, Contact, Recognition, Sector
from exchange.formats import SpreadsheetCSV
from municipalities.forms import form_started_token
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


#: Where every member of the factories is unless told otherwise (the fields in model order).
MEMBER_ADDRESS = {
    "street": "Via Roma 1",
    "postal_code": "00184",
    "city": "Roma",
    "province": "RM",
    "region": "Lazio",
    "country": "IT",
}


def csv_bytes(rows: list[list[object]], *, delimiter: str = ",", bom: bool = False) -> bytes:
    """A CSV file of `rows` (UTF-8, with a byte order mark when `bom`)."""
    text = "\n".join(delimiter.join(str(cell) for cell in row) for row in rows) + "\n"
    return ("\ufeff" if bom else "").encode() + text.encode("utf-8")


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    """An Excel workbook whose first sheet holds `rows`."""
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def import_rows(resource_class, *rows: list[object], **kwargs):
    """The result of importing `rows` (the header first) as CSV, for real (no dry run)."""
    dataset = SpreadsheetCSV().create_dataset(csv_bytes(list(rows)))
    return resource_class().import_data(dataset, dry_run=False, **kwargs)


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
    street, postal_code, city, province, region, country = MEMBER_ADDRESS.values()

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


#: The inline formsets of every member's admin page.
INLINES = ["contacts", "agreements", "recognitions"]


def member_form(model, *, contacts: list[dict] | None = None, **fields) -> dict:
    """What the admin's add form of a `model` member posts, with the `contacts` inline rows."""
    data = {"name": "Nuovo membro", "country": "IT", "geocode_status": "pending", **fields}
    if model is Ambassador:
        data.setdefault("status", "candidate")
    for prefix in INLINES:
        rows = contacts if prefix == "contacts" and contacts else []
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": str(len(rows)),
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
        for i, row in enumerate(rows):
            data.update({f"{prefix}-{i}-{key}": value for key, value in row.items()})
    return data


# Join requests of municipalities (issue 5).


def pdf_bytes(pages: int = 1, text: str = "") -> bytes:
    """A real, valid PDF made with pypdf (blank A4 pages, optional metadata text)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if text:
        writer.add_metadata({"/Title": text})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_upload(content: bytes | None = None, name: str = "delibera.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes() if content is None else content, "application/pdf")


def join_form_data(**overrides) -> dict:
    """What the join form of Castro (BG) posts; an override of None leaves the field out."""
    data = {
        "language": "en",
        "country": "IT",
        "municipality_code": "016065",
        "municipality_name": "Castro (BG)",
        "submitter_name": "Maria Bianchi",
        "submitter_role": "Councillor for social policies",
        "submitter_email": "maria.bianchi@comune.castro.bg.it",
        "submitter_phone": "+39 035 123456",
        "mayor_name": "Giovanni Verdi",
        "resolution_number": "42/2026",
        "resolution_date": days(-10).isoformat(),
        "message": "We look forward to it.",
        "privacy_consent": "on",
        "website": "",
        "started": form_started_token(time.time() - 60),
        "resolution_file": pdf_upload(),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def join_api_data(**overrides) -> dict:
    """The same request as `join_form_data`, as the API takes it (no honeypot, no timer)."""
    data = join_form_data(**overrides)
    for key in ("website", "started"):
        data.pop(key, None)
    if data.get("privacy_consent") == "on":
        data["privacy_consent"] = "true"
    return data


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


# --- Impact (issue 16): programmes, deliveries, measurements, recognition rules -----------


class ProgrammeFactory(factory.django.DjangoModelFactory):
    """A course of the Italian chapter that started a year ago, without a target."""

    class Meta:
        model = "impact.Programme"
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Programme {n}")
    programme_type = "course"
    chapter = factory.SubFactory(ChapterFactory)
    starts_on = factory.LazyFunction(lambda: days(-365))

    @factory.post_generation
    def sectors(self, create, extracted, **kwargs):
        if create and extracted:
            self.sectors.set(extracted)


class DeliveryFactory(factory.django.DjangoModelFactory):
    """A delivery a month ago at a new school, two sessions, nobody counted yet."""

    class Meta:
        model = "impact.Delivery"

    programme = factory.SubFactory(ProgrammeFactory)
    member = factory.SubFactory(SchoolFactory)
    started_on = factory.LazyFunction(lambda: days(-30))
    sessions = 2


def b_kind_test():
    from impact.models import Instrument

    return Instrument.objects.get(name="B-Kind Test")


class MeasurementFactory(factory.django.DjangoModelFactory):
    """The B-Kind Test (added by impact's migration) on a delivery: 20 respondents."""

    class Meta:
        model = "impact.Measurement"

    delivery = factory.SubFactory(DeliveryFactory)
    instrument = factory.LazyFunction(lambda: b_kind_test())
    measured_on = factory.LazyFunction(lambda: days(-10))
    respondents = 20
    mean_before = 60.0
    mean_after = 66.0
    sd_before = 10.0
    sd_after = 10.0


class RecognitionRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "impact.RecognitionRule"

    title = "Kind School"
    member_kind = "school"
    requires_active_agreement = True
    deliveries_required = 1
    within_months = 12


# impact adds its inline of deliveries to every member's admin page (impact/admin.py).
INLINES.append("deliveries")


class SubscriberFactory(factory.django.DjangoModelFactory):
    """A newsletter subscriber who confirmed the address (double opt-in done)."""

    class Meta:
        model = "mailings.Subscriber"

    email = factory.Sequence(lambda n: f"reader{n}@example.org")
    language = "en"
    status = "confirmed"
    confirmed_at = factory.LazyFunction(timezone.now)
    consent_source = "sign-up page"
    consent_wording_version = "2026-01"


class AudienceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "mailings.Audience"

    name = factory.Sequence(lambda n: f"Audience {n}")


class MailingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "mailings.Mailing"

    audience = factory.SubFactory(AudienceFactory)
    subject_en = "Kindness in spring"
    body_en = "Dear friends,\n\n**Twelve schools** joined this month. [Read more](https://kindness.example/news)."
    subject_it = "La gentilezza in primavera"
    body_it = "Care amiche e cari amici,\n\n**Dodici scuole** si sono unite questo mese."


class ActivityFactory(MemberPartFactory):
    """A meeting with a school today (activities app)."""

    class Meta:
        model = "activities.Activity"

    kind = "meeting"
    happened_on = factory.LazyFunction(today)
    summary = factory.Sequence(lambda n: f"Talked about the kindness week, round {n}.")


class FollowUpFactory(MemberPartFactory):
    """Something to do about a school, due in a week (activities app)."""

    class Meta:
        model = "activities.FollowUp"

    title = factory.Sequence(lambda n: f"Call back about the workshop {n}")
    due_on = factory.LazyFunction(lambda: today() + datetime.timedelta(days=7))
