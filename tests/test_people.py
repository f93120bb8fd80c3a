"""People's rights and documents: `person export` / `person erase`, the audit of who looked
at people's data, retention of join requests, and private documents that never outlive
their rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models
from django.test import Client
from django.utils import timezone

from crm.models import Agreement, ChapterScope, ConsentEvent, Contact, Member, PersonalDataAccess
from crm.people import person_erase, person_export
from municipalities.models import JoinRequest
from tests.conftest import login_verified
from tests.factories import (
    AgreementFactory,
    AmbassadorFactory,
    ChapterFactory,
    ContactFactory,
    JoinRequestFactory,
    SchoolFactory,
    pdf_bytes,
)

pytestmark = pytest.mark.django_db

EMAIL = "giulietta.capuleti@verona.example"
NAME = "Giulietta Capuleti"
STREET = "Via Cappello 23"
LAT, LON = 45.441922, 10.998474


def stored_files(root: Path) -> set[str]:
    return {p.name for p in Path(root).rglob("*") if p.is_file()}


@pytest.fixture
def private_root(settings, tmp_path) -> Path:
    settings.PRIVATE_ROOT = tmp_path / "private"
    return settings.PRIVATE_ROOT


@pytest.fixture
def giulietta(private_root, superuser):
    """One person named in many places: an ambassador (changed twice, so with history),
    a contact of a school, a join request, consent events and the admin's log."""
    person = AmbassadorFactory(
        first_name="Giulietta",
        last_name="Capuleti",
        email=EMAIL,
        phone="045 123 4567",
        street=STREET,
        city="Verona",
        latitude=LAT,
        longitude=LON,
        geocode_status="manual",
        notes="Met at the kindness week.",
    )
    AgreementFactory(member=person)
    person.status = "active"
    person.save()
    school = SchoolFactory(name="Scuola Romeo", email="segreteria@scuola.example")
    contact = ContactFactory(member=school, name=NAME, email=EMAIL.upper(), phone="045 123 4567")
    contact.role = "Volunteer"
    contact.save()
    request = JoinRequestFactory(submitter_name=NAME, submitter_email=EMAIL, message="Ciao")
    ConsentEvent.objects.create(email=EMAIL, purpose="privacy_notice", action="given")
    LogEntry.objects.create(
        user=superuser,
        content_type=ContentType.objects.get_for_model(person),
        object_id=str(person.pk),
        object_repr=NAME,
        action_flag=CHANGE,
        change_message="[]",
    )
    romeo = AmbassadorFactory(first_name="Romeo", last_name="Montecchi", email="romeo@example.org")
    return {"person": person, "contact": contact, "request": request, "romeo": romeo}


def _personal_values(person) -> list[str]:
    return [EMAIL, NAME, "Giulietta", "Capuleti", STREET, person.phone]


def _text_columns():
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.CharField | models.TextField) and field.model is model:
                yield model, field


def _rows_naming(values: list[str]) -> set[tuple[str, object]]:
    """Every row of every table (history included) with one of `values` in a text column."""
    found = set()
    for model, field in _text_columns():
        for value in values:
            pks = model._default_manager.filter(**{f"{field.name}__icontains": value})
            found |= {(model._meta.label, pk) for pk in pks.values_list("pk", flat=True)}
    return found


def test_person_export_contains_every_row_that_names_the_person(giulietta, tmp_path):
    person = giulietta["person"]
    naming = _rows_naming(_personal_values(person))
    labels = {label for label, _pk in naming}
    # The fixture names her in the live rows and their history, and in the admin's log.
    assert {
        "ambassadors.Ambassador",
        "ambassadors.HistoricalAmbassador",
        "crm.Contact",
        "crm.HistoricalContact",
        "municipalities.JoinRequest",
        "municipalities.HistoricalJoinRequest",
        "crm.ConsentEvent",
        "admin.LogEntry",
    } <= labels
    output = tmp_path / "giulietta.json"
    call_command("person", "export", "--email", EMAIL.upper(), "--output", str(output))
    exported = json.loads(output.read_text())
    rows = set()
    for label, records in exported["records"].items():
        pk = apps.get_model(label)._meta.pk.attname
        rows |= {(label, record[pk]) for record in records}
    # Others' rows that mention her: the row, with only the columns that name her.
    for label, records in exported["mentions"].items():
        rows |= {(label, record["pk"]) for record in records}
        assert all(len(record) > 1 for record in records), records
    assert naming <= rows, naming - rows
    assert "romeo@example.org" not in output.read_text()
    [record] = PersonalDataAccess.objects.filter(action="export")
    assert record.username == "(command)" and EMAIL not in record.what


def test_person_erase_leaves_no_personal_value_anywhere(giulietta, private_root):
    person, romeo = giulietta["person"], giulietta["romeo"]
    counts = {m: m.objects.count() for m in (Member, Contact, JoinRequest, Agreement)}
    call_command("person", "erase", "--email", EMAIL, "--noinput")

    assert _rows_naming(_personal_values(person)) == set()
    for model in apps.get_models():  # the hand-placed point is gone too, history included
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FloatField):
                for value in (LAT, LON):
                    assert not model._default_manager.filter(**{field.name: value}).exists(), (
                        model._meta.label,
                        field.name,
                    )
    # Aggregates stay: every row is still there, anonymised.
    assert counts == {m: m.objects.count() for m in counts}
    person.refresh_from_db()
    assert (person.name, person.email, person.map_consent) == ("[erased]", "", False)
    romeo.refresh_from_db()
    assert romeo.name == "Romeo Montecchi" and romeo.email == "romeo@example.org"
    # The erasure itself is recorded, without naming the person.
    [record] = PersonalDataAccess.objects.filter(action="erase")
    assert "person erasure" in record.what and EMAIL not in record.what
    # Nobody left to erase.
    with pytest.raises(CommandError, match="Nothing is stored about"):
        call_command("person", "erase", "--email", EMAIL, "--noinput")


def test_namesakes_and_neighbours_keep_their_own_data(giulietta):
    """Another member at the same street text, another contact with the same full name:
    theirs, not hers. Erasure leaves them alone; the export does not hand them out."""
    neighbour = AmbassadorFactory(
        first_name="Bruno", email="bruno@bari.example", phone="080 765 4321", street=STREET
    )
    school = SchoolFactory(name="Scuola di Bari", email="info@bari.example", street=STREET)
    namesake = ContactFactory(member=school, name=NAME, email="other@bari.example")
    note = SchoolFactory(name="Scuola di Lecce", notes=f"Knows {NAME} from Verona.")

    exported = person_export(email=EMAIL)
    text = json.dumps(exported)
    assert "bruno@bari.example" not in text and "info@bari.example" not in text
    assert "other@bari.example" not in text
    [mention] = [m for m in exported["mentions"]["crm.Member"] if m["pk"] == note.pk]
    assert mention == {"pk": note.pk, "notes": f"Knows {NAME} from Verona."}

    person_erase(email=EMAIL)
    neighbour.refresh_from_db(), school.refresh_from_db(), namesake.refresh_from_db()
    note.refresh_from_db()
    assert (neighbour.email, neighbour.phone, neighbour.street) == (
        "bruno@bari.example",
        "+390807654321",
        STREET,
    )
    assert (school.email, school.street) == ("info@bari.example", STREET)
    assert (namesake.name, namesake.email) == (NAME, "other@bari.example")
    assert note.notes == "Knows [erased] from Verona." and note.name == "Scuola di Lecce"


def test_person_commands_refuse_bad_input(giulietta):
    with pytest.raises(CommandError, match="is not an e-mail address"):
        call_command("person", "export", "--email", "giulietta")
    with pytest.raises(CommandError, match="No user 'nobody'"):
        call_command("person", "export", "--email", EMAIL, "--user", "nobody")


def test_the_dpo_exports_people_from_the_admin_and_views_are_recorded(giulietta, django_user_model):
    person = giulietta["person"]
    dpo = django_user_model.objects.create_user("dpo", password="pw", is_staff=True)
    dpo.groups.add(Group.objects.get(name="Data protection officer"))
    ChapterScope.objects.create(user=dpo, all_chapters=True)
    client = Client()
    login_verified(client, dpo)
    assert client.get(f"/admin/ambassadors/ambassador/{person.pk}/change/").status_code == 200
    # Also from the list of all members; a school's page is no person's.
    assert client.get(f"/admin/crm/member/{person.pk}/change/").status_code == 200
    school = giulietta["contact"].member
    assert client.get(f"/admin/partners/school/{school.pk}/change/").status_code == 200
    assert list(
        PersonalDataAccess.objects.filter(action="view")
        .order_by("pk")
        .values_list("username", "what")
    ) == [("dpo", f"ambassadors.Ambassador {person.pk}"), ("dpo", f"crm.Member {person.pk}")]
    response = client.post(
        "/admin/ambassadors/ambassador/",
        {"action": "people_export", "_selected_action": [person.pk]},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    [exported] = json.loads(response.content)["people"]
    assert exported["email"] == EMAIL and "crm.Contact" in exported["records"]
    # A chapter viewer has no such action.
    viewer = django_user_model.objects.create_user("cv", password="pw", is_staff=True)
    viewer.groups.add(Group.objects.get(name="Chapter viewer"))
    ChapterScope.objects.create(user=viewer, all_chapters=True)
    login_verified(client, viewer)
    page = client.get("/admin/ambassadors/ambassador/")
    assert "people_export" not in page.content.decode()
    # Nor a DPO of one chapter: a person's export gathers rows of every chapter.
    ChapterScope.objects.filter(user=dpo).delete()
    ChapterScope.objects.create(user=dpo).chapters.add(ChapterFactory(country="IT"))
    login_verified(client, dpo)
    assert "people_export" not in client.get("/admin/ambassadors/ambassador/").content.decode()


def _decided(request: JoinRequest, status: str, days_ago: int) -> JoinRequest:
    decided_at = timezone.now() - timezone.timedelta(days=days_ago)
    JoinRequest.objects.filter(pk=request.pk).update(
        status=status, decided_at=decided_at, rejection_reason="No."
    )
    return request


def test_retention_deletes_old_rejected_and_withdrawn_requests_and_their_files(
    settings, private_root, django_capture_on_commit_callbacks
):
    settings.JOIN_REQUEST_RETENTION_DAYS = 30
    old_rejected = _decided(JoinRequestFactory(municipality_key="IT:1"), "rejected", 31)
    old_withdrawn = _decided(JoinRequestFactory(municipality_key="IT:2"), "withdrawn", 400)
    recent = _decided(JoinRequestFactory(municipality_key="IT:3"), "rejected", 5)
    approved = _decided(JoinRequestFactory(municipality_key="IT:4"), "approved", 400)
    pending = JoinRequestFactory(municipality_key="IT:5")
    JoinRequest.objects.filter(pk=pending.pk).update(
        updated_at=timezone.now() - timezone.timedelta(days=400)
    )
    kept = [recent, approved, pending]
    assert len(stored_files(private_root)) == 5
    with django_capture_on_commit_callbacks(execute=True):
        call_command("apply_retention")
    assert set(JoinRequest.objects.values_list("pk", flat=True)) == {r.pk for r in kept}
    assert stored_files(private_root) == {Path(r.resolution_file.name).name for r in kept}
    history = JoinRequest.history.model.objects
    assert not history.filter(id__in=[old_rejected.pk, old_withdrawn.pk]).exists()
    # Safe to run again (daily, or twice at once): nothing more is due.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("apply_retention")
    assert JoinRequest.objects.count() == 3


def test_no_deletion_path_leaves_a_file_behind(
    private_root, superuser_client, superuser, django_capture_on_commit_callbacks
):
    from rest_framework.test import APIClient

    def agreement_with_document(member=None):
        agreement = AgreementFactory(**({"member": member} if member else {}))
        agreement.document.save("signed.pdf", ContentFile(pdf_bytes()))
        return agreement

    in_admin, by_api, by_action = (agreement_with_document() for _ in range(3))
    member = SchoolFactory()
    cascaded = agreement_with_document(member)
    requests = [JoinRequestFactory(municipality_key=f"IT:{n}") for n in range(2)]
    in_admin.document.save("signed-again.pdf", ContentFile(pdf_bytes()))  # replaced: history
    assert len(stored_files(private_root)) == 7
    api = APIClient()
    api.force_authenticate(superuser)
    with django_capture_on_commit_callbacks(execute=True):
        superuser_client.post(f"/admin/crm/agreement/{in_admin.pk}/delete/", {"post": "yes"})
        assert api.delete(f"/api/v1/agreements/{by_api.pk}/").status_code == 204
        superuser_client.post(
            "/admin/crm/agreement/",
            {"action": "delete_selected", "_selected_action": [by_action.pk], "post": "yes"},
        )
        member.delete()  # its agreements go with it
        superuser_client.post(
            f"/admin/municipalities/joinrequest/{requests[0].pk}/delete/", {"post": "yes"}
        )
        JoinRequest.objects.filter(pk=requests[1].pk).delete()
    assert not Agreement.objects.filter(pk__in=[in_admin.pk, by_api.pk, cascaded.pk]).exists()
    assert not JoinRequest.objects.exists()
    assert stored_files(private_root) == set()


def test_documents_download_within_the_chapter_only(private_root, django_user_model):
    it = ChapterFactory(name="Italy", country="IT")
    ch = ChapterFactory(name="Switzerland", country="CH")
    own = AgreementFactory(member=SchoolFactory(chapter=it))
    other = AgreementFactory(member=SchoolFactory(chapter=ch, country="CH"))
    for agreement in (own, other):
        agreement.document.save("x.pdf", ContentFile(pdf_bytes()))
    swiss_request = JoinRequestFactory(
        country="CH",
        municipality_reference=None,
        municipality_name="Bellinzona",
        official_code="",
        municipality_key="CH:x",
    )
    manager = django_user_model.objects.create_user("cm", password="pw", is_staff=True)
    manager.groups.add(Group.objects.get(name="Chapter manager"))
    ChapterScope.objects.create(user=manager).chapters.add(it)
    client = Client()
    login_verified(client, manager)
    response = client.get(f"/staff/agreements/{own.pk}/document.pdf")
    assert response.status_code == 200
    assert (
        response["Content-Disposition"] == f'attachment; filename="agreement-{own.reference}.pdf"'
    )
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == pdf_bytes()
    assert client.get(f"/staff/agreements/{other.pk}/document.pdf").status_code == 404
    url = f"/staff/join-requests/{swiss_request.reference}/resolution.pdf"
    assert client.get(url).status_code == 404
    assert Client().get(f"/staff/agreements/{own.pk}/document.pdf").status_code == 302  # login
    # Nothing under the media folder, nothing served from it.
    assert not own.document.name.endswith(f"{own.reference}.pdf")


def test_existing_agreement_documents_move_out_of_the_media_folder(settings, tmp_path):
    import importlib

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_ROOT = tmp_path / "private"
    agreement = AgreementFactory()
    old = f"agreements/2025/{agreement.reference}.pdf"
    (settings.MEDIA_ROOT / "agreements/2025").mkdir(parents=True)
    (settings.MEDIA_ROOT / old).write_bytes(pdf_bytes())
    Agreement.objects.filter(pk=agreement.pk).update(document=old)
    gone = AgreementFactory()
    Agreement.objects.filter(pk=gone.pk).update(document="agreements/2024/lost.pdf")
    migration = importlib.import_module("crm.migrations.0010_agreement_documents_private")
    migration.documents_move(apps, None)
    agreement.refresh_from_db()
    assert agreement.document.name.startswith("agreements/2025/")
    assert agreement.reference not in agreement.document.name
    assert (settings.PRIVATE_ROOT / agreement.document.name).read_bytes() == pdf_bytes()
    assert stored_files(settings.MEDIA_ROOT) == set()
    gone.refresh_from_db()
    assert gone.document.name == "agreements/2024/lost.pdf"  # left as it was


def test_reading_a_person_through_the_api_is_recorded(giulietta, superuser):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(superuser)
    person, request = giulietta["person"], giulietta["request"]
    assert client.get(f"/api/v1/ambassadors/{person.pk}/").status_code == 200
    assert client.get(f"/api/v1/join-requests/{request.reference}/").status_code == 200
    assert client.get(f"/api/v1/schools/{giulietta['contact'].member_id}/").status_code == 200
    assert list(
        PersonalDataAccess.objects.filter(action="view")
        .order_by("pk")
        .values_list("what", "username")
    ) == [
        (f"ambassadors.Ambassador {person.pk}", "alice"),
        (f"municipalities.JoinRequest {request.reference}", "alice"),
    ]
    # A page of people is read too: each list records the people it showed, once.
    PersonalDataAccess.objects.all().delete()
    romeo = giulietta["romeo"]
    assert client.get("/api/v1/ambassadors/").status_code == 200
    assert client.get("/api/v1/join-requests/").status_code == 200
    assert client.get("/api/v1/schools/").status_code == 200  # no one's personal record
    assert client.get("/api/v1/members/").status_code == 200  # the ambassadors among them
    ambassadors = ", ".join(str(pk) for pk in sorted([person.pk, romeo.pk]))
    assert sorted(PersonalDataAccess.objects.values_list("what", flat=True)) == sorted(
        [
            f"ambassadors.Ambassador list, 2 shown: {ambassadors}",
            f"municipalities.JoinRequest list, 1 shown: {request.reference}",
            f"crm.Member list, 2 shown: {ambassadors}",
        ]
    )


def test_consents_and_the_access_log_keep_to_the_chapter_scope(giulietta, django_user_model):
    italy, swiss = ChapterFactory(country="IT"), ChapterFactory(country="CH")
    mine = AmbassadorFactory(chapter=italy, email="mine@example.org")
    theirs = AmbassadorFactory(chapter=swiss, email="theirs@example.org")
    for member in (mine, theirs):
        ConsentEvent.objects.create(
            email=member.email, member=member, purpose="map", action="given"
        )
    PersonalDataAccess.objects.create(username="root", action="export", what="someone")
    dpo = django_user_model.objects.create_user("dpo-it", password="pw", is_staff=True)
    dpo.groups.add(Group.objects.get(name="Data protection officer"))
    ChapterScope.objects.create(user=dpo).chapters.add(italy)
    client = login_verified(Client(), dpo)
    page = client.get("/admin/crm/consentevent/")
    assert page.status_code == 200
    shown = {event.pk for event in page.context["cl"].result_list}
    italian = ConsentEvent.objects.filter(member__chapter=italy)
    assert italian.filter(email="mine@example.org").exists()
    # Not the Swiss member's, not those of no member (a join request's submitter).
    assert shown == set(italian.values_list("pk", flat=True))
    log = client.get("/admin/crm/personaldataaccess/")
    assert log.status_code == 200 and list(log.context["cl"].result_list) == []
