"""Members of every kind: polymorphism, membership, database constraints, VAT numbers."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from ambassadors.models import Ambassador
from crm.bulk import members_bulk_create
from crm.models import Chapter, Contact, Member, MemberKind, MembershipStatus, Recognition
from municipalities.models import Municipality
from partners.models import Company, Organization, School
from partners.vat import vat_normalize
from tests.factories import (
    AgreementFactory,
    AmbassadorFactory,
    CompanyFactory,
    ContactFactory,
    MunicipalityFactory,
    OrganizationFactory,
    RecognitionFactory,
    SchoolFactory,
    today,
)

pytestmark = pytest.mark.django_db


def one_of_each() -> dict[str, Member]:
    return {
        "school": SchoolFactory(name="Scuola Rodari"),
        "company": CompanyFactory(name="Gentilezza S.r.l."),
        "organization": OrganizationFactory(name="Radio Gentile"),
        "municipality": MunicipalityFactory(name="Lugano", country="CH", official_code="5192"),
        "ambassador": AmbassadorFactory(first_name="Giulia", last_name="Rossi"),
    }


def test_members_query_returns_every_kind():
    made = one_of_each()
    rows = list(Member.objects.order_by("kind").values_list("kind", "name"))
    assert rows == [
        ("ambassador", "Giulia Rossi"),
        ("company", "Gentilezza S.r.l."),
        ("municipality", "Lugano"),
        ("organization", "Radio Gentile"),
        ("school", "Scuola Rodari"),
    ]
    assert {m.kind for m in Member.objects.all()} == set(MemberKind.values)
    assert set(made) == set(MemberKind.values)


def test_specific_returns_the_member_as_its_kind(django_assert_num_queries):
    made = one_of_each()
    expected = {
        "school": School,
        "company": Company,
        "organization": Organization,
        "municipality": Municipality,
        "ambassador": Ambassador,
    }
    for member in Member.objects.all():
        with django_assert_num_queries(1):
            specific = member.specific()
        assert type(specific) is expected[member.kind]
        assert specific.pk == made[member.kind].pk
    school = made["school"]
    assert school.specific() is school


def test_kind_is_set_by_the_subclass_and_links_to_its_admin_page():
    made = one_of_each()
    for kind, member in made.items():
        base = Member.objects.get(pk=member.pk)
        assert base.kind == kind
        app = {"municipality": "municipalities", "ambassador": "ambassadors"}.get(kind, "partners")
        assert base.get_admin_url() == f"/admin/{app}/{kind}/{member.pk}/change/"


def test_chapter_is_taken_from_the_country():
    italy = Chapter.objects.get(country="IT")
    switzerland = Chapter.objects.get(country="CH")
    assert SchoolFactory(country="IT").chapter == italy
    assert SchoolFactory(country="CH").chapter == switzerland
    assert SchoolFactory(country="FR").chapter is None
    assert SchoolFactory(country="CH", chapter=italy).chapter == italy


def test_ambassador_name_comes_from_first_and_last_name():
    ambassador = AmbassadorFactory(
        first_name=" Lukas ", last_name="Müller", email="L.M@Example.org"
    )
    assert Member.objects.get(pk=ambassador.pk).name == "Lukas Müller"
    ambassador.refresh_from_db()
    assert (ambassador.first_name, ambassador.email) == ("Lukas", "l.m@example.org")
    ambassador.last_name = "Meier"
    ambassador.save()
    assert Member.objects.get(pk=ambassador.pk).name == "Lukas Meier"


def test_ambassador_consent_is_timestamped():
    ambassador = AmbassadorFactory(map_consent=True)
    assert ambassador.map_consent_at is not None
    ambassador.map_consent = False
    ambassador.save()
    assert Ambassador.objects.get(pk=ambassador.pk).map_consent_at is None


# Membership status


@pytest.mark.parametrize(
    ("agreements", "expected"),
    [
        ([], MembershipStatus.NONE),
        ([{"signed_on": None}], MembershipStatus.NONE),
        ([{}], MembershipStatus.ACTIVE),
        ([{"ends_on": None}], MembershipStatus.ACTIVE),
        ([{"starts_on": 10, "ends_on": 400}], MembershipStatus.UPCOMING),
        ([{"starts_on": -400, "ends_on": -1}], MembershipStatus.LAPSED),
        ([{"terminated_on": -1}], MembershipStatus.LAPSED),
        ([{"starts_on": -400, "ends_on": -1}, {}], MembershipStatus.ACTIVE),
        ([{"starts_on": -400, "ends_on": -1}, {"starts_on": 5, "ends_on": 300}], "upcoming"),
    ],
    ids=[
        "nothing",
        "draft only",
        "active",
        "open-ended",
        "starts later",
        "expired",
        "terminated",
        "expired and active",
        "expired and renewed",
    ],
)
def test_membership_status(agreements, expected):
    school = SchoolFactory()
    SchoolFactory()  # another member's agreements never count
    for spec in agreements:
        fields = {}
        for name, value in spec.items():
            fields[name] = today() + datetime.timedelta(days=value) if value is not None else None
        if "starts_on" in fields:
            fields["signed_on"] = fields["starts_on"] - datetime.timedelta(days=30)
            fields["signed_on"] = min(fields["signed_on"], today())
        if "signed_on" in spec and spec["signed_on"] is None:
            fields["signed_on"] = None
        if fields.get("terminated_on"):
            fields["termination_reason"] = "Closed"
        AgreementFactory(member=school, **fields)
    annotated = Member.objects.with_membership().get(pk=school.pk)
    assert annotated.membership == expected
    assert list(Member.objects.with_membership_status(expected).filter(pk=school.pk)) == [
        Member.objects.get(pk=school.pk)
    ]
    assert Member.objects.active_on().filter(pk=school.pk).exists() is (expected == "active")


def test_with_agreement_expiring_within():
    soon = AgreementFactory(ends_on=today() + datetime.timedelta(days=20)).member
    later = AgreementFactory(ends_on=today() + datetime.timedelta(days=80)).member
    assert list(Member.objects.with_agreement_expiring_within(30)) == [
        Member.objects.get(pk=soon.pk)
    ]
    assert set(Member.objects.with_agreement_expiring_within(90).values_list("pk", flat=True)) == {
        soon.pk,
        later.pk,
    }


def test_on_map_needs_activity_coordinates_visibility_and_consent():
    located = {"latitude": 41.9, "longitude": 12.5}
    shown = AgreementFactory(member=SchoolFactory(**located)).member
    AgreementFactory(member=SchoolFactory(**located, show_on_map=False))
    AgreementFactory(member=SchoolFactory())  # not located
    SchoolFactory(**located)  # no agreement
    consenting = AgreementFactory(member=AmbassadorFactory(**located, map_consent=True)).member
    AgreementFactory(member=AmbassadorFactory(**located, map_consent=False))
    assert set(Member.objects.on_map().values_list("pk", flat=True)) == {shown.pk, consenting.pk}


# Database constraints: raw saves must fail in the database itself.


def refused(factory, **fields) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**fields)


def test_school_code_unique_when_given():
    SchoolFactory(school_code="RMIC8A9005")
    refused(SchoolFactory, school_code="rmic8a9005 ")
    SchoolFactory(school_code="")
    SchoolFactory(school_code="")
    assert School.objects.filter(school_code="").count() == 2


def test_vat_number_unique_per_country():
    CompanyFactory(vat_number="IT00743110157", country="IT")
    refused(CompanyFactory, vat_number="00743110157", country="IT")
    # The same digits in another country are another number.
    CompanyFactory(vat_number="SM00743110157", country="SM")
    CompanyFactory(vat_number="")
    CompanyFactory(vat_number="")
    assert Company.objects.count() == 4


def test_municipal_code_unique_per_country():
    MunicipalityFactory(official_code="5192", country="CH")
    refused(MunicipalityFactory, official_code="5192", country="CH")
    MunicipalityFactory(official_code="5192", country="IT")
    MunicipalityFactory(official_code="")
    MunicipalityFactory(official_code="")
    assert Municipality.objects.count() == 4


def test_municipal_code_country_follows_the_member_country():
    municipality = MunicipalityFactory(official_code="5192", country="IT")
    municipality.country = "CH"
    municipality.save()
    assert Municipality.objects.get(pk=municipality.pk).code_country == "CH"
    refused(MunicipalityFactory, official_code="5192", country="CH")


def test_ambassador_email_unique_among_ambassadors_only():
    AmbassadorFactory(email="giulia@example.org")
    refused(AmbassadorFactory, email="Giulia@Example.org")
    # A school may share the address of an ambassador (e.g. the head teacher).
    SchoolFactory(email="giulia@example.org")
    assert Member.objects.filter(email="giulia@example.org").count() == 2


def test_one_primary_contact_per_member():
    school = SchoolFactory()
    ContactFactory(member=school, is_primary=True)
    ContactFactory(member=school, is_primary=False)
    refused(ContactFactory, member=school, is_primary=True)
    ContactFactory(is_primary=True)  # another member's primary contact
    assert Contact.objects.filter(is_primary=True).count() == 2


def test_recognition_unique_per_member_title_and_date():
    recognition = RecognitionFactory()
    refused(
        RecognitionFactory,
        member=recognition.member,
        title=recognition.title,
        awarded_on=recognition.awarded_on,
    )
    assert Recognition.objects.count() == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"latitude": 91, "longitude": 0},
        {"latitude": 0, "longitude": -181},
        {"latitude": 45, "longitude": None},
    ],
    ids=["latitude", "longitude", "half coordinates"],
)
def test_coordinates_are_checked(fields):
    refused(SchoolFactory, **fields)
    assert not Member.objects.exists()


def test_ambassador_dates_and_consent_are_checked():
    refused(
        AmbassadorFactory,
        appointed_on=datetime.date(2026, 5, 1),
        term_ends_on=datetime.date(2026, 4, 30),
    )
    ambassador = AmbassadorFactory(map_consent=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ambassador.objects.filter(pk=ambassador.pk).update(map_consent_at=None)


# Validation in Python (what forms show)


def test_full_clean_reports_constraints_of_derived_fields():
    MunicipalityFactory(official_code="5192", country="CH")
    duplicate = Municipality(name="Lugano bis", official_code="5192", country="CH")
    with pytest.raises(ValidationError) as exc:
        duplicate.full_clean()
    assert exc.value.messages == [
        "A municipality with this official code already exists in this country."
    ]
    AmbassadorFactory(email="lea@example.org")
    twin = Ambassador(first_name="Léa", last_name="Favre", email="LEA@example.org", country="CH")
    with pytest.raises(ValidationError) as exc:
        twin.full_clean(exclude=["kind", "name"])
    assert exc.value.messages == ["An ambassador with this e-mail already exists."]


@pytest.mark.parametrize(
    ("number", "country", "stored"),
    [
        ("00743110157", "IT", "IT00743110157"),
        ("IT 007 431 101 57", "IT", "IT00743110157"),
        ("it00743110157", "IT", "IT00743110157"),
        ("CHE-100.155.212", "CH", "CHE100155212"),
        ("CHE-100.155.212 MWST", "CH", "CHE100155212"),
        ("100.155.212", "CH", "CHE100155212"),
        ("", "IT", ""),
    ],
)
def test_valid_vat_numbers_are_stored_with_their_prefix(number, country, stored):
    assert vat_normalize(number, country) == stored
    company = Company(name="Azienda", country=country, vat_number=number)
    company.full_clean()
    assert company.vat_number == stored


@pytest.mark.parametrize(
    ("number", "country", "message"),
    [
        ("00743110158", "IT", "is not a valid VAT number for IT: the check digit does not match."),
        ("0074311015", "IT", "is not a valid VAT number for IT: wrong number of digits."),
        ("CHE-100.155.213", "CH", "is not a valid Swiss UID/VAT number: the check digit"),
        ("CHE-100.155", "CH", "is not a valid Swiss UID/VAT number: wrong number of digits."),
        ("FR40303265045", "IT", "is a VAT number of another country than IT."),
    ],
)
def test_invalid_vat_numbers_are_refused(number, country, message):
    company = Company(name="Azienda", country=country, vat_number=number)
    with pytest.raises(ValidationError) as exc:
        company.full_clean()
    assert list(exc.value.message_dict) == ["vat_number"]
    assert exc.value.message_dict["vat_number"][0].startswith(f"{number} {message}")


def test_municipal_code_digits_only_and_resolution_not_in_future():
    municipality = Municipality(
        name="Roma",
        country="IT",
        official_code="58A91",
        resolution_date=today() + datetime.timedelta(days=1),
    )
    with pytest.raises(ValidationError) as exc:
        municipality.full_clean()
    assert exc.value.message_dict == {
        "official_code": ["An official code has digits only."],
        "resolution_date": ["The resolution date cannot be in the future."],
    }


# Bulk creation across the two tables


def test_members_bulk_create_inserts_both_tables(django_assert_num_queries):
    schools = [School(name=f"Scuola {n}", school_code=f"BULK{n}", country="CH") for n in range(5)]
    with django_assert_num_queries(5):  # savepoint, chapters, members, schools, release
        members_bulk_create(schools)
    assert all(school.pk for school in schools)
    assert School.objects.filter(school_code__startswith="BULK").count() == 5
    base = Member.objects.filter(pk__in=[s.pk for s in schools])
    assert set(base.values_list("kind", "chapter__country")) == {("school", "CH")}
    assert School.objects.get(pk=schools[0].pk).name == "Scuola 0"


def test_members_bulk_create_normalises_and_respects_constraints():
    rows = [
        Municipality(name="A", official_code=" 5192 ", country="CH"),
        Municipality(name="B", official_code="5192", country="IT"),
    ]
    members_bulk_create(rows)
    assert set(Municipality.objects.values_list("code_country", "official_code")) == {
        ("CH", "5192"),
        ("IT", "5192"),
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        members_bulk_create([Municipality(name="C", official_code="5192", country="CH")])
    assert Member.objects.count() == 2


def test_members_bulk_create_many_rows_in_batches():
    rows = [Municipality(name=f"M{n}", official_code=str(n), country="IT") for n in range(1500)]
    members_bulk_create(rows, batch_size=700)
    assert Municipality.objects.count() == 1500
    assert Member.objects.filter(kind="municipality").count() == 1500


def test_members_bulk_create_refuses_mixed_kinds():
    with pytest.raises(TypeError):
        members_bulk_create([School(name="a"), Company(name="b")])
    assert members_bulk_create([]) == []
    assert not Member.objects.exists()


def test_member_history_records_changes():
    school = SchoolFactory(name="Scuola Vecchia")
    school.name = "Scuola Nuova"
    school.save()
    names = list(school.history.order_by("history_id").values_list("name", flat=True))
    assert names == ["Scuola Vecchia", "Scuola Nuova"]
