"""The staff admin: every list, filter, page, form error and action, with constant queries."""

from __future__ import annotations

import datetime
import itertools
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ambassadors.models import Ambassador
from crm.models import Agreement, Chapter, Contact, Member, Sector
from municipalities.models import Municipality
from partners.models import Company, School
from tests.conftest import login_verified
from tests.factories import (
    AgreementFactory,
    AmbassadorFactory,
    ChapterFactory,
    CompanyFactory,
    ContactFactory,
    MunicipalityFactory,
    OrganizationFactory,
    RecognitionFactory,
    SchoolFactory,
    SectorFactory,
    bulk_create,
    days,
    member_form,
    sectors_bulk_add,
    today,
)

pytestmark = pytest.mark.django_db

CHANGELISTS = {
    "members": "/admin/crm/member/",
    "schools": "/admin/partners/school/",
    "companies": "/admin/partners/company/",
    "organisations": "/admin/partners/organization/",
    "municipalities": "/admin/municipalities/municipality/",
    "ambassadors": "/admin/ambassadors/ambassador/",
    "contacts": "/admin/crm/contact/",
    "agreements": "/admin/crm/agreement/",
    "recognitions": "/admin/crm/recognition/",
    "chapters": "/admin/crm/chapter/",
    "sectors": "/admin/crm/sector/",
}
KIND_FACTORIES = [
    SchoolFactory,
    CompanyFactory,
    OrganizationFactory,
    MunicipalityFactory,
    AmbassadorFactory,
]
_serial = itertools.count()


def populate(rows: int) -> None:
    """`rows` of every list: members of each kind with everything a row can show.

    Written in bulk, a few INSERTs per kind rather than a save per row: the lists read
    these rows, not the history or the signals that a save would add.
    """
    sectors = [SectorFactory(slug="education"), SectorFactory(slug="health", name_en="Health")]
    serials = [next(_serial) for _ in range(rows)]
    for n in serials:
        ChapterFactory(country=f"{chr(65 + n // 26 % 26)}{chr(65 + n % 26)}", name=f"Chapter {n}")
        SectorFactory(slug=f"sector-{n}", name_en=f"Sector {n}", name_it=f"Settore {n}")
    sponsors = bulk_create(SchoolFactory, [{"name": f"Sponsor {n}"} for n in serials])
    members: list[tuple[int, Member]] = []
    for factory in KIND_FACTORIES:
        rows = [{"region": f"Region {n % 4}"} for n in serials]
        if factory is AmbassadorFactory:
            rows = [
                {**row, "sponsor": sponsor} for row, sponsor in zip(rows, sponsors, strict=True)
            ]
        members += zip(serials, bulk_create(factory, rows), strict=True)
    sectors_bulk_add((member.pk, sector.pk) for _, member in members for sector in sectors)
    old = bulk_create(
        AgreementFactory,
        [
            {"member": m, "signed_on": days(-400), "starts_on": days(-400), "ends_on": days(-35)}
            for _, m in members
        ],
    )
    renewals = zip(members, old, strict=True)
    bulk_create(
        AgreementFactory,
        [
            {"member": m, "renews": o, "starts_on": days(-34), "ends_on": days(20 * (n % 5))}
            for (n, m), o in renewals
        ],
    )
    bulk_create(ContactFactory, ({"member": m, "is_primary": True} for _, m in members))
    bulk_create(RecognitionFactory, ({"member": m, "title": f"Kind {n}"} for n, m in members))


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def test_every_changelist_runs_constant_queries_whatever_the_page_size(superuser_client):
    """Each list with 3 rows and with 30 rows: the same number of queries (no N+1)."""
    populate(3)
    few = {name: count_queries(superuser_client, url) for name, url in CHANGELISTS.items()}
    populate(27)
    many = {name: count_queries(superuser_client, url) for name, url in CHANGELISTS.items()}
    for name, url in CHANGELISTS.items():
        changelist = superuser_client.get(url).context["cl"]
        assert len(changelist.result_list) >= 30, name
        assert len(changelist.result_list) == min(changelist.list_per_page, changelist.result_count)
    assert many == few
    assert max(many.values()) <= 15


FILTERED = {name: url for name, url in CHANGELISTS.items() if name not in {"chapters", "sectors"}}


@pytest.mark.parametrize("url", FILTERED.values(), ids=FILTERED.keys())
def test_every_list_filter_choice_opens(superuser_client, url):
    populate(2)
    AgreementFactory(signed_on=None)  # a draft, so every status has a row
    response = superuser_client.get(url)
    changelist = response.context["cl"]
    assert changelist.filter_specs, f"{url} has no filters"
    links = 0
    for spec in changelist.filter_specs:
        for choice in spec.choices(changelist):
            page = superuser_client.get(url + choice["query_string"])
            # An invalid lookup would redirect to ?e=1.
            assert page.status_code == 200, (url, choice["query_string"])
            links += 1
    assert links > len(changelist.filter_specs)


@pytest.mark.parametrize("url", CHANGELISTS.values(), ids=CHANGELISTS.keys())
def test_changelist_search_and_date_hierarchy(superuser_client, url):
    populate(2)
    response = superuser_client.get(url, {"q": "Kind"})
    assert response.status_code == 200
    hierarchy = response.context["cl"].model_admin.date_hierarchy
    if hierarchy:
        year = today().year
        page = superuser_client.get(url, {f"{hierarchy}__year": year})
        assert page.status_code == 200


def test_anonymous_is_sent_to_login_and_viewer_sees_lists(anonymous_client, viewer_client):
    AgreementFactory()
    assert anonymous_client.get(CHANGELISTS["schools"]).status_code == 302
    for url in CHANGELISTS.values():
        assert viewer_client.get(url).status_code == 200, url
    response = viewer_client.get(CHANGELISTS["agreements"])
    # A viewer may export what they can see, but neither renew nor delete.
    actions = {name for name, _label in response.context["action_form"].fields["action"].choices}
    assert actions <= {"", "export_admin_action"}
    assert b"renew_selected" not in response.content


# What the filters select


def names(response) -> set[str]:
    return {str(obj) for obj in response.context["cl"].result_list}


def test_membership_and_expiring_filters(superuser_client):
    AgreementFactory(member=SchoolFactory(name="Active"))
    AgreementFactory(
        member=SchoolFactory(name="Expiring"), ends_on=today() + datetime.timedelta(days=45)
    )
    AgreementFactory(
        member=SchoolFactory(name="Lapsed"),
        starts_on=today() - datetime.timedelta(days=400),
        ends_on=today() - datetime.timedelta(days=1),
    )
    AgreementFactory(
        member=SchoolFactory(name="Upcoming"),
        starts_on=today() + datetime.timedelta(days=3),
        ends_on=today() + datetime.timedelta(days=300),
    )
    SchoolFactory(name="Nothing")
    url = CHANGELISTS["schools"]
    assert names(superuser_client.get(url, {"membership": "active"})) == {"Active", "Expiring"}
    assert names(superuser_client.get(url, {"membership": "lapsed"})) == {"Lapsed"}
    assert names(superuser_client.get(url, {"membership": "upcoming"})) == {"Upcoming"}
    assert names(superuser_client.get(url, {"membership": "none"})) == {"Nothing"}
    assert names(superuser_client.get(url, {"expiring_within": "30"})) == set()
    assert names(superuser_client.get(url, {"expiring_within": "60"})) == {"Expiring"}
    members = superuser_client.get(CHANGELISTS["members"], {"expiring_within": "90"})
    assert names(members) == {"Expiring"}


def test_kind_country_region_and_sector_filters(superuser_client):
    health = SectorFactory(slug="health", name_en="Health")
    SchoolFactory(name="Scuola", region="Lazio", sectors=[health])
    CompanyFactory(name="Firma", country="CH", region="Ticino")
    url = CHANGELISTS["members"]
    assert names(superuser_client.get(url, {"kind__exact": "company"})) == {"Firma"}
    assert names(superuser_client.get(url, {"country": "CH"})) == {"Firma"}
    assert names(superuser_client.get(url, {"region": "Lazio"})) == {"Scuola"}
    assert names(superuser_client.get(url, {"sectors__id__exact": health.pk})) == {"Scuola"}
    switzerland = Chapter.objects.get(country="CH")
    assert names(superuser_client.get(url, {"chapter__id__exact": switzerland.pk})) == {"Firma"}


def test_agreement_status_filter(superuser_client):
    made = {
        "active": AgreementFactory(),
        "expiring": AgreementFactory(ends_on=today() + datetime.timedelta(days=5)),
        "draft": AgreementFactory(signed_on=None),
        "signed": AgreementFactory(starts_on=today() + datetime.timedelta(days=5)),
        "expired": AgreementFactory(
            starts_on=today() - datetime.timedelta(days=90),
            ends_on=today() - datetime.timedelta(days=1),
        ),
        "terminated": AgreementFactory(terminated_on=today(), termination_reason="Closed"),
    }
    for status, agreement in made.items():
        response = superuser_client.get(CHANGELISTS["agreements"], {"status": status})
        assert names(response) == {agreement.reference}, status
    within = superuser_client.get(CHANGELISTS["agreements"], {"expiring_within": "30"})
    assert names(within) == {made["expiring"].reference}


# Pages and links


def test_all_members_list_links_to_each_kind_page(superuser_client):
    made = [factory() for factory in KIND_FACTORIES]
    html = superuser_client.get(CHANGELISTS["members"]).content.decode()
    for member in made:
        assert f'href="{member.get_admin_url()}"' in html
    assert "/admin/ambassadors/ambassador/" in made[-1].get_admin_url()


def test_all_members_page_is_view_only(superuser_client):
    school = SchoolFactory()
    response = superuser_client.get(f"/admin/crm/member/{school.pk}/change/")
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    # "Add" asks for the kind first (tests/test_admin_work.py).
    assert superuser_client.get("/admin/crm/member/add/").status_code == 200


@pytest.mark.parametrize("factory", KIND_FACTORIES)
def test_member_change_and_history_pages_open(superuser_client, factory):
    member = factory()
    AgreementFactory(member=member)
    ContactFactory(member=member)
    RecognitionFactory(member=member)
    base = member.get_admin_url().removesuffix("change/")
    page = superuser_client.get(base + "change/")
    assert page.status_code == 200
    assert member.agreements.get().reference in page.content.decode()
    assert superuser_client.get(base + "history/").status_code == 200
    record = member.history.get()
    detail = superuser_client.get(f"{base}history/{record.history_id}/")
    assert detail.status_code == 200


@pytest.mark.parametrize(
    "url",
    ["/admin/crm/contact/", "/admin/crm/recognition/", "/admin/crm/chapter/", "/admin/crm/sector/"],
)
def test_other_change_pages_open(superuser_client, url):
    populate(1)
    obj = superuser_client.get(url).context["cl"].result_list[0]
    assert superuser_client.get(f"{url}{obj.pk}/change/").status_code == 200
    assert superuser_client.get(f"{url}add/").status_code == 200


def test_agreement_pages_show_status_links_and_history(superuser_client):
    old = AgreementFactory(
        starts_on=today() - datetime.timedelta(days=400),
        ends_on=today() - datetime.timedelta(days=1),
    )
    new = AgreementFactory(member=old.member, renews=old)
    page = superuser_client.get(f"/admin/crm/agreement/{old.pk}/change/").content.decode()
    assert "Expired" in page
    assert f'href="/admin/crm/agreement/{new.pk}/change/"' in page
    listing = superuser_client.get(CHANGELISTS["agreements"]).content.decode()
    assert f'renews <a href="/admin/crm/agreement/{old.pk}/change/">{old.reference}</a>' in listing
    assert superuser_client.get(f"/admin/crm/agreement/{old.pk}/history/").status_code == 200
    assert superuser_client.get("/admin/crm/agreement/add/").status_code == 200


def test_history_page_says_who_changed_what(superuser_client):
    school = SchoolFactory(name="Scuola Vecchia")
    data = member_form(School, name="Scuola Nuova", school_code=school.school_code, level="primary")
    response = superuser_client.post(f"/admin/partners/school/{school.pk}/change/", data)
    assert response.status_code == 302, form_errors(response)
    page = superuser_client.get(f"/admin/partners/school/{school.pk}/history/").content.decode()
    assert "alice" in page
    assert "Scuola Nuova" in page
    assert school.history.latest().history_user.username == "alice"


# Forms: clear errors instead of database errors


def form_errors(response) -> str:
    if response.status_code != 200 or not response.context:
        return ""
    errors = [str(response.context["adminform"].form.errors)]
    errors += [
        str(f.errors) + str(f.non_form_errors()) for f in response.context["inline_admin_formsets"]
    ]
    return " ".join(errors)


def post_add(client, url: str, data: dict, model) -> tuple[str, int]:
    before = model.objects.count()
    response = client.post(url, data)
    # A form error re-renders the page; a database error would be a 500.
    assert response.status_code == 200, (response.status_code, url)
    assert model.objects.count() == before
    return response.content.decode(), before


@pytest.mark.parametrize(
    ("factory", "existing", "fields", "message"),
    [
        (
            SchoolFactory,
            {"school_code": "RMIC8A9005"},
            {"school_code": "rmic8a9005", "level": "primary"},
            "A school with this official code already exists.",
        ),
        (
            CompanyFactory,
            {"vat_number": "IT00743110157"},
            {"vat_number": "007 431 101 57", "size": "small"},
            "A company with this VAT number already exists.",
        ),
        (
            CompanyFactory,
            {"vat_number": ""},
            {"vat_number": "00743110158", "size": "small"},
            "00743110158 is not a valid VAT number for IT: the check digit does not match.",
        ),
        (
            MunicipalityFactory,
            {"official_code": "5192", "country": "CH"},
            {"official_code": "5192", "country": "CH"},
            "A municipality with this official code already exists in this country.",
        ),
        (
            AmbassadorFactory,
            {"email": "lea@example.org"},
            {"first_name": "Léa", "last_name": "Favre", "email": "LEA@example.org"},
            "An ambassador with this e-mail already exists.",
        ),
        (
            AmbassadorFactory,
            {},
            {"first_name": "Léa", "last_name": "Favre", "email": ""},
            "An ambassador needs an e-mail address.",
        ),
        (
            AmbassadorFactory,
            {},
            {
                "first_name": "Léa",
                "last_name": "Favre",
                "email": "lea@example.org",
                "appointed_on": "2026-05-01",
                "term_ends_on": "2026-04-01",
            },
            "The term cannot end before the appointment.",
        ),
        (
            SchoolFactory,
            {},
            {"latitude": "45.1", "school_code": "NEW1"},
            "Give both latitude and longitude, or neither.",
        ),
    ],
    ids=[
        "school code",
        "vat number",
        "invalid vat",
        "municipal code",
        "ambassador email",
        "ambassador without email",
        "ambassador term",
        "half coordinates",
    ],
)
def test_add_forms_show_constraint_errors(superuser_client, factory, existing, fields, message):
    factory(**existing)
    model = factory._meta.model
    url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/add/"
    html, _ = post_add(superuser_client, url, member_form(model, **fields), model)
    assert message in html


def test_same_municipal_code_in_another_country_is_accepted(superuser_client):
    MunicipalityFactory(official_code="5192", country="CH")
    data = member_form(Municipality, name="Comune", official_code="5192", country="IT")
    response = superuser_client.post("/admin/municipalities/municipality/add/", data)
    assert response.status_code == 302, form_errors(response)
    assert Municipality.objects.filter(official_code="5192").count() == 2


def test_ambassador_added_through_the_admin_gets_a_name(superuser_client):
    data = member_form(
        Ambassador,
        name="ignored",
        first_name="Léa",
        last_name="Favre",
        email="Lea@Example.org",
        country="CH",
        map_consent="on",
    )
    response = superuser_client.post("/admin/ambassadors/ambassador/add/", data)
    assert response.status_code == 302, form_errors(response)
    ambassador = Ambassador.objects.get()
    assert (ambassador.name, ambassador.email, ambassador.kind) == (
        "Léa Favre",
        "lea@example.org",
        "ambassador",
    )
    assert ambassador.map_consent_at is not None
    assert ambassador.chapter == Chapter.objects.get(country="CH")


def test_company_vat_is_stored_with_prefix_from_the_admin(superuser_client):
    data = member_form(Company, name="Firma", country="CH", vat_number="CHE-100.155.212 MWST")
    response = superuser_client.post("/admin/partners/company/add/", data)
    assert response.status_code == 302, form_errors(response)
    assert Company.objects.get().vat_number == "CHE100155212"


def test_second_primary_contact_is_a_form_error(superuser_client):
    school = SchoolFactory()
    ContactFactory(member=school, is_primary=True)
    data = {"member": school.pk, "name": "Anna", "is_primary": "on"}
    html, _ = post_add(superuser_client, "/admin/crm/contact/add/", data, Contact)
    assert "This member already has a primary contact." in html


def test_two_primary_contacts_in_one_form_is_a_form_error(superuser_client):
    contacts = [{"name": "Anna", "is_primary": "on"}, {"name": "Marco", "is_primary": "on"}]
    data = member_form(School, school_code="NEW2", contacts=contacts)
    html, _ = post_add(superuser_client, "/admin/partners/school/add/", data, School)
    assert "Mark only one contact as the primary contact." in html
    assert not Contact.objects.exists()


def test_member_with_contacts_is_added(superuser_client):
    contacts = [{"name": "Anna", "is_primary": "on"}, {"name": "Marco"}]
    data = member_form(School, school_code="NEW3", contacts=contacts)
    response = superuser_client.post("/admin/partners/school/add/", data)
    assert response.status_code == 302, form_errors(response)
    school = School.objects.get()
    assert list(school.contacts.values_list("name", "is_primary")) == [
        ("Anna", True),
        ("Marco", False),
    ]


def agreement_form(member: Member, **fields) -> dict:
    return {
        "member": member.pk,
        "reference": "",
        "type": "membership",
        "starts_on": "2026-01-01",
        "renewal_months": "12",
        **fields,
    }


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"ends_on": "2025-12-31"}, "The end date cannot be before the start date."),
        ({"terminated_on": "2026-02-01"}, "Give a reason for the termination."),
        ({"renewal_months": "0"}, "The renewal period must be at least one month."),
        ({"signed_on": "2999-01-01"}, "The signing date cannot be in the future."),
        ({"starts_on": ""}, "This field is required."),
        ({"starts_on": "", "terminated_on": "2026-02-01", "termination_reason": "x"}, "required"),
        ({"reference": "IKM-2020-0001"}, "Agreement with this Reference already exists."),
    ],
)
def test_agreement_form_errors(superuser_client, fields, message):
    AgreementFactory(reference="IKM-2020-0001")
    data = agreement_form(SchoolFactory(), **fields)
    html, _ = post_add(superuser_client, "/admin/crm/agreement/add/", data, Agreement)
    assert message in html


def test_agreement_added_through_the_admin_gets_a_reference(superuser_client):
    school = SchoolFactory()
    data = agreement_form(school, signed_on="2025-12-01", ends_on="2026-12-31")
    response = superuser_client.post("/admin/crm/agreement/add/", data)
    assert response.status_code == 302, form_errors(response)
    assert Agreement.objects.get().reference.startswith("IKM-2025-")


# The renew action


def test_renew_selected_action(superuser_client):
    due = AgreementFactory(ends_on=today() + datetime.timedelta(days=10))
    also = AgreementFactory(ends_on=today() + datetime.timedelta(days=100))
    open_ended = AgreementFactory(ends_on=None)
    draft = AgreementFactory(signed_on=None)
    data = {
        "action": "renew_selected",
        "_selected_action": [due.pk, also.pk, open_ended.pk, draft.pk],
    }
    response = superuser_client.post(CHANGELISTS["agreements"], data, follow=True)
    assert response.status_code == 200
    shown = [(m.level_tag, str(m)) for m in response.context["messages"]]
    assert ("success", "2 agreements renewed.") in shown
    assert ("warning", f"{open_ended.reference} is open-ended: there is nothing to renew.") in shown
    assert ("warning", f"{draft.reference} is a draft (not signed) and cannot be renewed.") in shown
    assert set(Agreement.objects.filter(renews__isnull=False).values_list("renews", flat=True)) == {
        due.pk,
        also.pk,
    }
    # Again: the successors exist already, nothing new is created.
    superuser_client.post(CHANGELISTS["agreements"], data, follow=True)
    assert Agreement.objects.count() == 6


def test_renew_action_singular_message(superuser_client):
    agreement = AgreementFactory()
    data = {"action": "renew_selected", "_selected_action": [agreement.pk]}
    response = superuser_client.post(CHANGELISTS["agreements"], data, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["1 agreement renewed."]


def test_staff_without_add_permission_cannot_renew(viewer_client):
    agreement = AgreementFactory()
    data = {"action": "renew_selected", "_selected_action": [agreement.pk]}
    viewer_client.post(CHANGELISTS["agreements"], data)
    assert Agreement.objects.count() == 1


def test_chapter_and_sector_lists_count_members(superuser_client):
    SchoolFactory(sectors=[SectorFactory()])
    SchoolFactory(country="CH")
    html = superuser_client.get(CHANGELISTS["chapters"]).content.decode()
    assert re.search(r"Italy.*?field-member_count\">1<", html, re.S)
    sectors = superuser_client.get(CHANGELISTS["sectors"])
    education = next(s for s in sectors.context["cl"].result_list if s.slug == "education")
    assert education.member_count == 1
    assert Sector.objects.count() >= 7


# The signed PDF


def test_agreement_document_must_be_a_pdf(superuser_client, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.PRIVATE_ROOT = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    school = SchoolFactory()
    fake = SimpleUploadedFile("signed.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    data = agreement_form(school, signed_on="2025-12-01", document=fake)
    html, _ = post_add(superuser_client, "/admin/crm/agreement/add/", data, Agreement)
    assert "The document is not a PDF file." in html
    word = SimpleUploadedFile("signed.docx", b"%PDF-1.7", "application/pdf")
    html, _ = post_add(
        superuser_client,
        "/admin/crm/agreement/add/",
        agreement_form(school, document=word),
        Agreement,
    )
    assert "File extension “docx” is not allowed." in html
    assert not any(tmp_path.rglob("*"))

    real = SimpleUploadedFile("signed.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")
    data = agreement_form(school, signed_on="2025-12-01", document=real)
    response = superuser_client.post("/admin/crm/agreement/add/", data)
    assert response.status_code == 302, form_errors(response)
    agreement = Agreement.objects.get()
    # A generated name in the private folder: a reference could be guessed.
    assert re.fullmatch(rf"agreements/{today():%Y}/[0-9a-f]{{32}}\.pdf", agreement.document.name)
    assert (tmp_path / agreement.document.name).read_bytes().startswith(b"%PDF-")
    assert not (tmp_path / "media").exists()
    page = superuser_client.get(f"/admin/crm/agreement/{agreement.pk}/change/")
    url = f"/staff/agreements/{agreement.pk}/document.pdf"
    assert url in page.content.decode()
    download = superuser_client.get(url)
    assert download.status_code == 200
    assert download["Cache-Control"] == "private, no-store"
    assert download["Content-Disposition"] == (
        f'attachment; filename="agreement-{agreement.reference}.pdf"'
    )
    assert b"".join(download.streaming_content).startswith(b"%PDF-")


# --- Technical records: superusers only -------------------------------------------------
TECHNICAL_PAGES = ["/admin/authtoken/tokenproxy/", "/admin/django_tasks_database/dbtaskresult/"]


@pytest.fixture
def staff_who_may_view_everything(django_user_model):
    """A staff member whose groups grant every view permission the database knows."""
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.create(name="Sees everything")
    group.permissions.set(Permission.objects.filter(codename__startswith="view_"))
    user = django_user_model.objects.create_user("dora", "dora@example.org", "pw", is_staff=True)
    user.groups.add(group)
    return user


@pytest.mark.parametrize("url", TECHNICAL_PAGES)
def test_technical_records_are_for_superusers_only(
    client, superuser, staff_who_may_view_everything, url
):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=superuser)
    client.force_login(staff_who_may_view_everything)
    assert client.get(url).status_code == 403
    index = client.get("/admin/").content.decode()
    assert url not in index
    assert (
        token.key
        not in client.get(f"/admin/authtoken/tokenproxy/{superuser.pk}/change/").content.decode()
    )
    login_verified(client, superuser)
    assert client.get(url).status_code == 200
