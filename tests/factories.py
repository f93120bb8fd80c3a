"""factory_boy factories for every model of the network."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from ambassadors.models import Ambassador
from crm.models import Agreement, Chapter, Contact, Recognition, Sector
from municipalities.models import Municipality
from partners.models import Company, Organization, School


def today() -> datetime.date:
    return timezone.localdate()


class ChapterFactory(factory.django.DjangoModelFactory):
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
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Scuola {n}")
    school_code = factory.Sequence(lambda n: f"RMIC{n:05d}")
    level = "primary"
    students = 300


class CompanyFactory(MemberFactory):
    class Meta:
        model = Company
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Azienda {n} S.r.l.")
    vat_number = ""
    size = "small"


class OrganizationFactory(MemberFactory):
    class Meta:
        model = Organization
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Associazione {n}")
    type = "association"


class MunicipalityFactory(MemberFactory):
    class Meta:
        model = Municipality
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Comune {n}")
    official_code = factory.Sequence(lambda n: f"{900000 + n:06d}")
    street = ""
    population = 5000


class AmbassadorFactory(MemberFactory):
    class Meta:
        model = Ambassador
        skip_postgeneration_save = True

    first_name = "Giulia"
    last_name = factory.Sequence(lambda n: f"Rossi{n}")
    email = factory.Sequence(lambda n: f"ambassador{n}@example.org")
    map_consent = True


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    member = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    role = "Head teacher"
    email = factory.Sequence(lambda n: f"contact{n}@example.org")


class AgreementFactory(factory.django.DjangoModelFactory):
    """Active today by default: signed, started a month ago, ends in two years."""

    class Meta:
        model = Agreement

    member = factory.SubFactory(SchoolFactory)
    type = "membership"
    signed_on = factory.LazyFunction(lambda: today() - datetime.timedelta(days=40))
    starts_on = factory.LazyFunction(lambda: today() - datetime.timedelta(days=30))
    ends_on = factory.LazyFunction(lambda: today() + datetime.timedelta(days=700))


class RecognitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recognition

    member = factory.SubFactory(SchoolFactory)
    title = "Kind School"
    awarded_on = factory.LazyFunction(today)
