"""Roles and chapter scope: the permission matrix of every admin page and staff API endpoint.

Each role (network admin, chapter manager, chapter viewer, data protection officer, and
the superuser) is tried on every admin page and staff endpoint, on a record of its own
chapter (Italy), of another chapter (Switzerland), and as a user of that role with no
chapter at all. `PAGES` says what each role may do with each model; the expected status
follows from it: 403 without the permission, 404 for a record outside the scope (never a
403: another chapter's records do not exist for the user), 200 otherwise, and the page or
a PATCH says whether the user can change it.

A new admin page or URL must be declared here (one line in `PAGES` or `OTHER_URLS`), or
`test_every_page_and_endpoint_is_declared` fails naming it.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from api.urls import router
from crm.models import ChapterScope
from tests.conftest import login_verified
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    AmbassadorFactory,
    AudienceFactory,
    ChapterFactory,
    CompanyFactory,
    ContactFactory,
    FollowUpFactory,
    JoinRequestFactory,
    MailingFactory,
    MunicipalityFactory,
    MunicipalityReferenceFactory,
    OrganizationFactory,
    RecognitionFactory,
    SchoolFactory,
    SectorFactory,
)

pytestmark = pytest.mark.django_db

NA, CM, CV, DPO, SU = (
    "Network admin",
    "Chapter manager",
    "Chapter viewer",
    "Data protection officer",
    "superuser",
)
ROLES = [NA, CM, CV, DPO, SU]

# What each role may do, by admin page (model label): C change, V view only, - nothing;
# in the order NA, CM, CV, DPO, superuser. `scoped` pages hold records of one chapter.
# Declaring a new page is one line here.
PAGES: dict[str, tuple[str, bool]] = {
    # label: (rights "NA CM CV DPO SU", scoped)
    "crm.Chapter": ("C V V V C", True),
    "crm.Member": ("V V V V V", True),  # the list of every kind is view-only for everyone
    "partners.School": ("C C V V C", True),
    "partners.Company": ("C C V V C", True),
    "partners.Organization": ("C C V V C", True),
    "municipalities.Municipality": ("C C V V C", True),
    "ambassadors.Ambassador": ("C C V V C", True),
    "crm.Contact": ("C C V V C", True),
    "crm.Agreement": ("C C V V C", True),
    "crm.Recognition": ("C C V V C", True),
    "municipalities.JoinRequest": ("C C V V C", True),
    "crm.Sector": ("C V V V C", False),
    "municipalities.MunicipalityReference": ("C V V V C", False),
    "crm.ConsentEvent": ("V - - V V", False),  # records: nobody changes them
    "crm.PersonalDataAccess": ("V - - V V", False),
    "auth.Group": ("- - - - C", False),
    "auth.User": ("- - - - C", False),
    "authtoken.TokenProxy": ("- - - - C", False),  # tokens: superusers only
    "django_tasks_database.DBTaskResult": ("- - - - V", False),
    "axes.AccessAttempt": ("- - - - V", False),  # login failures and lockouts
    "axes.AccessFailureLog": ("- - - - V", False),
    "axes.AccessLog": ("- - - - V", False),
    "otp_totp.TOTPDevice": ("- - - - C", False),  # staff's second factors
    "impact.Programme": ("C C V V C", True),
    "impact.Delivery": ("C C V V C", True),
    "impact.Measurement": ("C C V V C", True),
    "impact.Instrument": ("C V V V C", False),
    "impact.RecognitionRule": ("C V V V C", False),
    "mailings.Audience": ("C C V - C", True),
    "mailings.Mailing": ("C C V - C", True),
    "mailings.Subscriber": ("V - - V V", False),  # sign-ups: recorded, never written by staff
    "mailings.Suppression": ("V - - V V", False),  # added (bounces) and deleted, never changed
    "activities.Activity": ("C C V V C", True),
    "activities.FollowUp": ("C C V V C", True),
}
# The staff API's endpoints and the page whose rights they follow; one line each.
ENDPOINTS: dict[str, str] = {
    "members": "crm.Member",
    "schools": "partners.School",
    "companies": "partners.Company",
    "organizations": "partners.Organization",
    "municipalities": "municipalities.Municipality",
    "ambassadors": "ambassadors.Ambassador",
    "contacts": "crm.Contact",
    "agreements": "crm.Agreement",
    "recognitions": "crm.Recognition",
    "chapters": "crm.Chapter",
    "sectors": "crm.Sector",
    "join-requests": "municipalities.JoinRequest",
    "programmes": "impact.Programme",
    "deliveries": "impact.Delivery",
    "measurements": "impact.Measurement",
    "activities": "activities.Activity",
    "follow-ups": "activities.FollowUp",
}
READ_ONLY_ENDPOINTS = {"members", "join-requests"}  # join requests change by approve/reject
# Every other URL of the site (by name), with who may use it; one line each.
OTHER_URLS: dict[str, str] = {
    "home": "public",
    "set_language": "public",
    "map": "public",
    "map-embed": "public",
    "map-feed": "public",
    "impact": "public (tests/test_impact_public.py)",
    "impact-member-programmes": "public (tests/test_impact_public.py)",
    "api-schema": "public",
    "api-docs": "public",
    "join_form": "public",
    "join_thanks": "public",
    "privacy_notice": "public",
    "municipality_search": "public",
    "api-root": "staff",
    "join_request_resolution": "staff document (tests/test_people.py)",
    "agreement_document": "staff document (tests/test_people.py)",
    "index": "admin",
    "login": "admin",
    "logout": "admin",
    "password_change": "admin",
    "password_change_done": "admin",
    "autocomplete": "admin (scoped: tested below)",
    "jsi18n": "admin",
    "app_list": "admin",
    "view_on_site": "admin",
    "health": "public short answer, details for staff (tests/test_health.py)",
    "second_factor_setup": "staff signing in (tests/test_staff_login.py)",
    "second_factor_verify": "staff signing in (tests/test_staff_login.py)",
    "join_form_embed": "public (framed by JOIN_EMBED_ALLOWED_ORIGINS)",
    "join_embed_thanks": "public (framed by JOIN_EMBED_ALLOWED_ORIGINS)",
    "newsletter-subscriptions": "public (tests/test_mailings.py)",
    "newsletter_subscribe": "public",
    "newsletter_check_inbox": "public",
    "newsletter_confirm": "public, signed link (tests/test_mailings.py)",
    "newsletter_unsubscribe": "public, signed link (tests/test_mailings.py)",
    "dashboard": "staff: the admin's home, by permission and scope (tests/test_dashboard.py)",
    "activity_attachment": "staff document (tests/test_activities.py)",
}


def _rights(label: str, role: str) -> str:
    return PAGES[label][0].split()[ROLES.index(role)]


def _url_names(patterns, prefix: str = "") -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            names |= _url_names(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(pattern.name)
    return names


def test_every_page_and_endpoint_is_declared():
    registered = {model._meta.label for model in admin.site._registry}
    undeclared = sorted(registered - set(PAGES))
    assert not undeclared, (
        f"Admin pages not in the permission matrix: {undeclared}. Add one line per page to "
        "PAGES in tests/test_roles.py: what each role may do (C, V or -) and whether its "
        "records belong to a chapter."
    )
    assert not sorted(set(PAGES) - registered), "PAGES names a page that no longer exists."
    prefixes = {prefix for prefix, _viewset, _basename in router.registry}
    assert prefixes == set(ENDPOINTS), (
        f"Staff API endpoints not in the matrix: {sorted(prefixes - set(ENDPOINTS))}. Add one "
        "line to ENDPOINTS in tests/test_roles.py naming the page whose rights it follows."
    )
    admin_prefixes = tuple(
        f"{model._meta.app_label}_{model._meta.model_name}_" for model in admin.site._registry
    )
    api_names = {f"{basename}-" for _prefix, _viewset, basename in router.registry}
    other = {
        name
        for name in _url_names(get_resolver().url_patterns)
        if not name.startswith(admin_prefixes)
        and not any(name.startswith(prefix) for prefix in api_names)
        and not any(name.startswith(f"{basename.replace('-', '')}-") for basename in api_names)
    }
    other -= {
        f"{viewset.queryset.model._meta.model_name}-list" for _p, viewset, _b in router.registry
    }
    undeclared = sorted(other - set(OTHER_URLS))
    assert not undeclared, (
        f"URLs not declared: {undeclared}. Add one line per URL name to OTHER_URLS in "
        "tests/test_roles.py saying who may use it (and test it where its behaviour lives)."
    )


@pytest.fixture
def network(settings, tmp_path, django_user_model):
    """Two chapters with one record of every kind each; one user per role and chapter
    (Italy), one per role without a chapter, and a superuser."""
    settings.PRIVATE_ROOT = tmp_path
    it = ChapterFactory(name="Italy", country="IT")
    ch = ChapterFactory(name="Switzerland", country="CH")
    sector = SectorFactory()
    reference = MunicipalityReferenceFactory()
    records = {}
    for chapter in (it, ch):
        country = chapter.country
        school = SchoolFactory(chapter=chapter, country=country)
        records[chapter.country] = {
            "crm.Chapter": chapter,
            "crm.Sector": sector,  # shared by every chapter
            "crm.Member": school,
            "partners.School": school,
            "partners.Company": CompanyFactory(chapter=chapter, country=country),
            "partners.Organization": OrganizationFactory(chapter=chapter, country=country),
            "municipalities.Municipality": MunicipalityFactory(chapter=chapter, country=country),
            "ambassadors.Ambassador": AmbassadorFactory(chapter=chapter, country=country),
            "crm.Contact": ContactFactory(member=school),
            "crm.Agreement": AgreementFactory(member=school),
            "crm.Recognition": RecognitionFactory(member=school),
            **_impact_records(chapter, school),
            "municipalities.JoinRequest": JoinRequestFactory(
                country=country,
                municipality_reference=reference if country == "IT" else None,
                municipality_name=f"Comune {country}",
                official_code="",
                municipality_key=f"{country}:x",
            ),
        }
        audience = AudienceFactory(chapter=chapter)
        records[chapter.country] |= {
            "mailings.Audience": audience,
            "mailings.Mailing": MailingFactory(audience=audience),
        }
    for chapter in (it, ch):
        school = records[chapter.country]["crm.Member"]
        records[chapter.country]["activities.Activity"] = ActivityFactory(member=school)
        records[chapter.country]["activities.FollowUp"] = FollowUpFactory(member=school)
    users = {}
    for role in (NA, CM, CV, DPO):
        group = Group.objects.get(name=role)
        for where in ("IT", "none"):
            user = django_user_model.objects.create_user(
                f"{role}-{where}".replace(" ", "-").lower(), password="pw", is_staff=True
            )
            user.groups.add(group)
            if where == "IT":
                ChapterScope.objects.create(user=user).chapters.add(it)
            users[role, where] = user
    superuser = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    users[SU, "IT"] = users[SU, "none"] = superuser
    return records, users


def _admin_url(label: str, obj) -> str:
    app, model = label.lower().split(".")
    return f"/admin/{app}/{model}/{obj.pk}/change/"


def _expected(rights: str, scoped: bool, role: str, case: str) -> int:
    if rights == "-":
        return 403
    sees_all = role in (NA, SU)
    if scoped and not sees_all and case != "own":
        return 404
    return 200


CASES = {"own": ("IT", "IT"), "other": ("IT", "CH"), "no chapter": ("none", "IT")}


@pytest.mark.parametrize("role", ROLES)
def test_admin_pages_follow_the_role_and_the_chapter(network, role):
    records, users = network
    problems = []
    clients = {}
    for where in ("IT", "none"):
        clients[where] = Client()
        login_verified(clients[where], users[role, where])
    for label, (_rights_line, scoped) in PAGES.items():
        rights = _rights(label, role)
        app, model = label.lower().split(".")
        changelist = clients["IT"].get(f"/admin/{app}/{model}/")
        want = 403 if rights == "-" else 200
        if changelist.status_code != want:
            problems.append(f"{label} list: expected {want}, got {changelist.status_code}")
        if label not in records["IT"]:
            continue
        for case, (user_where, record_where) in CASES.items():
            if case == "no chapter" and users[role, "none"] is users[role, "IT"]:
                continue  # the superuser: the same user and record as "own"
            obj = records[record_where][label]
            response = clients[user_where].get(_admin_url(label, obj))
            want = _expected(rights, scoped, role, case)
            if response.status_code != want:
                problems.append(f"{label} {case}: expected {want}, got {response.status_code}")
            elif want == 200:
                can_change = response.context["has_change_permission"]
                if can_change != (rights == "C"):
                    problems.append(f"{label} {case}: can change is {can_change}, not {rights}")
    assert not problems, f"{role}:\n" + "\n".join(problems)


@pytest.mark.parametrize("role", ROLES)
def test_staff_api_follows_the_role_and_the_chapter(network, role):
    records, users = network
    problems = []
    clients = {}
    for where in ("IT", "none"):
        clients[where] = APIClient()
        token, _ = Token.objects.get_or_create(user=users[role, where])
        clients[where].credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    for prefix, label in ENDPOINTS.items():
        rights = _rights(label, role)
        scoped = PAGES[label][1]
        listed = clients["IT"].get(f"/api/v1/{prefix}/")
        want = 403 if rights == "-" else 200
        if listed.status_code != want:
            problems.append(f"{prefix} list: expected {want}, got {listed.status_code}")
        elif want == 200 and scoped and role not in (NA, SU):
            ids = {row.get("id", row.get("reference")) for row in listed.json()["results"]}
            other = records["CH"][label]
            if getattr(other, "reference", None) in ids or other.pk in ids:
                problems.append(f"{prefix} list shows another chapter's record")
        for case, (user_where, record_where) in CASES.items():
            obj = records[record_where][label]
            key = obj.reference if prefix == "join-requests" else obj.pk
            url = f"/api/v1/{prefix}/{key}/"
            response = clients[user_where].get(url)
            want = _expected(rights, scoped, role, case)
            if response.status_code != want:
                problems.append(f"{prefix} {case}: expected {want}, got {response.status_code}")
            if case == "own" and want == 200 and prefix not in READ_ONLY_ENDPOINTS:
                patched = clients[user_where].patch(url, {}, format="json")
                want_patch = 200 if rights == "C" else 403
                if patched.status_code != want_patch:
                    problems.append(
                        f"{prefix} change: expected {want_patch}, got {patched.status_code}"
                    )
    assert not problems, f"{role}:\n" + "\n".join(problems)


def test_filter_choices_and_autocomplete_show_only_own_chapters(network):
    records, users = network
    client = Client()
    login_verified(client, users[CM, "IT"])
    page = client.get("/admin/partners/school/")
    chapters = {
        choice["display"]
        for spec in page.context["cl"].filter_specs
        for choice in spec.choices(page.context["cl"])
        if "chapter" in str(spec.title)
    }
    assert "Italy" in chapters and "Switzerland" not in chapters
    found = client.get(
        "/admin/autocomplete/",
        {"app_label": "crm", "model_name": "contact", "field_name": "member", "term": ""},
    ).json()["results"]
    names = {row["text"] for row in found}
    assert records["IT"]["crm.Member"].name in names
    assert records["CH"]["crm.Member"].name not in names


def test_history_of_another_chapters_record_is_a_404(network):
    records, users = network
    client = Client()
    login_verified(client, users[CV, "IT"])
    for label in ("partners.School", "crm.Contact", "municipalities.JoinRequest"):
        app, model = label.lower().split(".")
        own, other = records["IT"][label], records["CH"][label]
        assert client.get(f"/admin/{app}/{model}/{own.pk}/history/").status_code == 200
        assert client.get(f"/admin/{app}/{model}/{other.pk}/history/").status_code == 404


def test_a_manager_cannot_write_into_another_chapter(network):
    records, users = network
    manager = users[CM, "IT"]
    client = APIClient()
    client.force_authenticate(manager)
    # A school in Switzerland: refused, nothing written.
    response = client.post(
        "/api/v1/schools/", {"name": "Scuola Altrove", "country": "CH"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"chapter": ["This is outside the chapters you work for."]}
    assert not records["IT"]["crm.Member"].__class__.objects.filter(name="Scuola Altrove").exists()
    # A contact of another chapter's member.
    response = client.post(
        "/api/v1/contacts/",
        {"member": records["CH"]["crm.Member"].pk, "name": "Hans Muster"},
        format="json",
    )
    assert response.status_code == 400
    # Moving an own school to Switzerland.
    school = records["IT"]["partners.School"]
    ch = records["CH"]["crm.Chapter"]
    response = client.patch(f"/api/v1/schools/{school.pk}/", {"chapter": ch.pk}, format="json")
    assert response.status_code == 400
    school.refresh_from_db()
    assert school.chapter == records["IT"]["crm.Chapter"]


def test_an_import_may_not_touch_another_chapter(network):
    from partners.resources import SchoolResource
    from tests.factories import import_rows

    records, users = network
    swiss = records["CH"]["partners.School"]
    result = import_rows(
        SchoolResource,
        ["school_code", "name", "country"],
        ["RMIC7A1234", "Scuola Nuova", "IT"],
        ["CHXX00001", "Schule Neu", "CH"],
        [swiss.school_code, "Renamed", "CH"],
        user=users[CM, "IT"],
    )
    errors = {row.number: row.error.messages for row in result.invalid_rows}
    assert set(errors) == {2, 3}, errors  # the two Swiss rows (data rows, header not counted)
    assert all(
        "This row is outside the chapters you work for; it cannot be imported." in messages
        for messages in errors.values()
    )
    swiss.refresh_from_db()
    assert swiss.name != "Renamed"
    assert not swiss.__class__.objects.filter(name="Scuola Nuova").exists()  # all or nothing


def test_review_queue_over_token_with_status_filter(network, django_capture_on_commit_callbacks):
    records, users = network
    token = Token.objects.create(user=users[CM, "IT"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    listed = client.get("/api/v1/join-requests/", {"status": "submitted"})
    assert listed.status_code == 200
    assert [row["reference"] for row in listed.json()["results"]] == [
        records["IT"]["municipalities.JoinRequest"].reference
    ]
    assert client.get("/api/v1/join-requests/", {"status": "approved"}).json()["count"] == 0
    assert client.get("/api/v1/join-requests/", {"status": "nonsense"}).status_code == 400
    other = records["CH"]["municipalities.JoinRequest"]
    assert client.post(f"/api/v1/join-requests/{other.reference}/approve/").status_code == 404
    own = records["IT"]["municipalities.JoinRequest"]
    response = client.post(
        f"/api/v1/join-requests/{own.reference}/reject/", {"reason": "Unsigned."}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "rejected"


def test_no_one_but_a_superuser_reads_a_token(network):
    _records, users = network
    root = users[SU, "IT"]
    token = Token.objects.create(user=root)
    for role in (NA, CM, CV, DPO):
        client = Client()
        login_verified(client, users[role, "IT"])
        for url in (
            "/admin/authtoken/tokenproxy/",
            f"/admin/authtoken/tokenproxy/{root.pk}/change/",
        ):
            response = client.get(url)
            assert response.status_code == 403, (role, url)
            assert token.key not in response.content.decode()
    # The superuser sees the token's owner and date, never the key after its creation.
    client = Client()
    login_verified(client, root)
    for url in ("/admin/authtoken/tokenproxy/", f"/admin/authtoken/tokenproxy/{root.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 200
        assert token.key not in response.content.decode()
    token.delete()
    created = client.post("/admin/authtoken/tokenproxy/add/", {"user": root.pk}, follow=True)
    key = Token.objects.get(user=root).key
    assert "it will not be shown again" in created.content.decode()
    assert key in created.content.decode()
    assert key not in client.get("/admin/authtoken/tokenproxy/").content.decode()
    from django.contrib.admin.models import LogEntry

    assert LogEntry.objects.filter(object_repr=f"Token of {root}").exists()
    assert not LogEntry.objects.filter(object_repr__contains=key).exists()


def test_roles_have_descriptions_in_the_admin(network):
    _records, users = network
    client = Client()
    login_verified(client, users[SU, "IT"])
    page = client.get("/admin/auth/group/").content.decode()
    for role in (NA, CM, CV, DPO):
        assert role in page
    assert "Read only: the members, agreements, contacts and join requests" in page


def _impact_records(chapter, school) -> dict:
    """A programme of `chapter`, delivered and measured at `school` (impact, issue 16)."""
    from tests.factories import DeliveryFactory, MeasurementFactory, ProgrammeFactory

    programme = ProgrammeFactory(chapter=chapter)
    delivery = DeliveryFactory(programme=programme, member=school)
    return {
        "impact.Programme": programme,
        "impact.Delivery": delivery,
        "impact.Measurement": MeasurementFactory(delivery=delivery),
    }
