"""Activities and follow-ups: the admin (private attachments, "my follow-ups"), the
dashboard's `follow_ups_due`, the member's timeline, the staff API and its filters,
import and export, and people's rights over the contacts they name."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from activities.models import Activity, FollowUp
from activities.resources import ActivityResource, FollowUpResource
from activities.selectors import follow_ups_due, member_timeline
from crm.models import Chapter, ChapterScope
from crm.people import person_erase, person_export
from crm.services import agreement_renew
from exchange.formats import SpreadsheetCSV
from municipalities.services import join_request_approve
from tests.conftest import login_verified
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    ContactFactory,
    FollowUpFactory,
    JoinRequestFactory,
    SchoolFactory,
    import_rows,
    today,
)

pytestmark = pytest.mark.django_db


def day(n: int) -> datetime.date:
    return today() + datetime.timedelta(days=n)


@pytest.fixture
def private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.PRIVATE_ROOT


@pytest.fixture
def manager(django_user_model):
    """A chapter manager of Italy."""
    user = django_user_model.objects.create_user(
        "giulia", "giulia@kindness.example", "pw", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Chapter manager"))
    ChapterScope.objects.create(user=user).chapters.add(Chapter.objects.get(country="IT"))
    return user


@pytest.fixture
def manager_client(manager) -> Client:
    client = Client()
    login_verified(client, manager)
    return client


def activity_form(member, **fields) -> dict:
    return {
        "member": member.pk,
        "kind": "meeting",
        "happened_on": today().isoformat(),
        "summary": "Planned the kindness week with the teachers.",
        **fields,
    }


# -- The admin: logging an activity, its private attachment ----------------------------


def test_log_an_activity_with_contacts_and_a_private_attachment(
    manager_client, manager, private_root
):
    school = SchoolFactory(country="IT")
    teacher = ContactFactory(member=school, name="Anna Verdi")
    upload = SimpleUploadedFile("verbale riunione.pdf", b"%PDF-1.7 minutes", "application/pdf")
    response = manager_client.post(
        "/admin/activities/activity/add/",
        activity_form(school, contacts=[teacher.pk], attachment=upload),
    )
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert activity.staff == manager  # left empty: whoever logged it
    assert list(activity.contacts.all()) == [teacher]
    assert activity.attachment_name == "verbale riunione.pdf"
    assert re.fullmatch(rf"activities/{today():%Y}/[0-9a-f]{{32}}\.pdf", activity.attachment.name)
    assert (private_root / activity.attachment.name).read_bytes() == b"%PDF-1.7 minutes"
    page = manager_client.get(f"/admin/activities/activity/{activity.pk}/change/").content.decode()
    assert f'href="/staff/activities/{activity.pk}/attachment"' in page
    assert "verbale riunione.pdf" in page
    download = manager_client.get(f"/staff/activities/{activity.pk}/attachment")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == f'attachment; filename="activity-{activity.pk}.pdf"'
    assert b"".join(download.streaming_content) == b"%PDF-1.7 minutes"
    assert Client().get(f"/staff/activities/{activity.pk}/attachment").status_code == 302


def test_bad_activities_are_refused_and_store_nothing(manager_client, private_root, settings):
    school, other = SchoolFactory(country="IT"), SchoolFactory(country="IT")
    stranger = ContactFactory(member=other, name="Piero Neri")
    response = manager_client.post(
        "/admin/activities/activity/add/", activity_form(school, contacts=[stranger.pk])
    )
    assert "Piero Neri (Head teacher): not a contact of this member." in response.content.decode()
    script = SimpleUploadedFile("run.exe", b"MZ", "application/octet-stream")
    response = manager_client.post(
        "/admin/activities/activity/add/", activity_form(school, attachment=script)
    )
    assert "File extension “exe” is not allowed." in response.content.decode()
    monkey_limit = "activities.admin.attachment_size_check"
    from unittest import mock

    from django.core.exceptions import ValidationError

    with mock.patch(
        monkey_limit, side_effect=ValidationError("The attachment is larger than 20 MB.")
    ):
        big = SimpleUploadedFile("big.pdf", b"%PDF-", "application/pdf")
        response = manager_client.post(
            "/admin/activities/activity/add/", activity_form(school, attachment=big)
        )
    assert "The attachment is larger than 20 MB." in response.content.decode()
    tomorrow = activity_form(school, happened_on=day(1).isoformat())
    assert manager_client.post("/admin/activities/activity/add/", tomorrow).status_code == 200
    assert not Activity.objects.exists()
    assert not private_root.exists() or not any(private_root.rglob("*.*"))


def test_attachment_size_limit():
    from django.core.exceptions import ValidationError

    from activities.models import ATTACHMENT_MAX_BYTES, attachment_size_check

    attachment_size_check(SimpleUploadedFile("ok.pdf", b"x"))
    big = SimpleUploadedFile("big.pdf", b"x")
    big.size = ATTACHMENT_MAX_BYTES + 1
    with pytest.raises(ValidationError, match="larger than 20 MB"):
        attachment_size_check(big)


def test_attachments_download_within_the_chapter_only(manager_client, private_root):
    own = ActivityFactory(member=SchoolFactory(country="IT"))
    swiss = ActivityFactory(member=SchoolFactory(country="CH"))
    for activity in (own, swiss):
        activity.attachment.save("photo.png", ContentFile(b"\x89PNG"))
    download = manager_client.get(f"/staff/activities/{own.pk}/attachment")
    assert download.status_code == 200 and download["Content-Type"] == "image/png"
    assert b"".join(download.streaming_content) == b"\x89PNG"
    assert manager_client.get(f"/staff/activities/{swiss.pk}/attachment").status_code == 404
    ActivityFactory(member=own.member)  # without an attachment
    last = Activity.objects.latest("id")
    assert manager_client.get(f"/staff/activities/{last.pk}/attachment").status_code == 404


# -- "My follow-ups" and the dashboard's follow_ups_due --------------------------------


def test_my_follow_ups_open_on_mine_overdue_first(manager_client, manager, django_user_model):
    colleague = django_user_model.objects.create_user("emma", is_staff=True)
    school = SchoolFactory(country="IT")
    later = FollowUpFactory(member=school, assignee=manager, due_on=day(5), title="Later")
    late = FollowUpFactory(member=school, assignee=manager, due_on=day(-3), title="Late")
    FollowUpFactory(member=school, assignee=manager, due_on=day(-9), done_on=day(-1), title="Done")
    FollowUpFactory(member=school, assignee=colleague, due_on=day(-5), title="Emma's")
    page = manager_client.get("/admin/activities/followup/")
    assert [row.title for row in page.context["cl"].result_list] == ["Late", "Later"]
    assert "follow-up-overdue" in page.content.decode()
    everyone = manager_client.get("/admin/activities/followup/?assigned=anyone&state=all")
    assert len(everyone.context["cl"].result_list) == 4
    overdue = manager_client.get("/admin/activities/followup/?assigned=anyone&state=overdue")
    assert [f.title for f in overdue.context["cl"].result_list] == ["Emma's", "Late"]
    response = manager_client.post(
        "/admin/activities/followup/",
        {"action": "mark_done", "_selected_action": [late.pk, later.pk]},
    )
    assert response.status_code == 302
    late.refresh_from_db()
    assert late.done_on == today()
    assert late.history.first().history_user == manager
    # Constant queries, whatever the number of rows.
    FollowUpFactory.create_batch(3, member=school, assignee=manager, due_on=day(-1))
    manager_client.get("/admin/activities/followup/")
    with CaptureQueriesContext(connection) as few:
        manager_client.get("/admin/activities/followup/")
    FollowUpFactory.create_batch(6, member=SchoolFactory(country="IT"), assignee=manager)
    manager_client.get("/admin/activities/followup/")  # sidebar choices cached again
    with CaptureQueriesContext(connection) as many:
        manager_client.get("/admin/activities/followup/")
    assert len(many) == len(few)


def test_follow_ups_due_are_mine_due_or_overdue_overdue_first_bounded(
    manager, django_assert_num_queries
):
    school, swiss = SchoolFactory(country="IT"), SchoolFactory(country="CH")
    week_late = FollowUpFactory(member=school, assignee=manager, due_on=day(-7))
    due_today = FollowUpFactory(member=school, assignee=manager, due_on=today())
    FollowUpFactory(member=school, assignee=manager, due_on=day(1))  # not due yet
    FollowUpFactory(member=school, assignee=manager, due_on=day(-2), done_on=today())
    FollowUpFactory(member=school, due_on=day(-2))  # nobody's
    FollowUpFactory(member=swiss, assignee=manager, due_on=day(-30))  # outside her chapters
    manager._chapter_ids = frozenset(
        Chapter.objects.filter(country="IT").values_list("pk", flat=True)
    )
    with django_assert_num_queries(1):
        due = follow_ups_due(manager, today())
        assert [(f.pk, f.is_overdue, f.member.name) for f in due] == [
            (week_late.pk, True, school.name),
            (due_today.pk, False, school.name),
        ]
    FollowUpFactory.create_batch(12, member=school, assignee=manager, due_on=day(-1))
    assert len(follow_ups_due(manager, today())) == 10
    assert len(follow_ups_due(manager, today(), limit=3)) == 3


# -- The member's timeline -------------------------------------------------------------


def test_timeline_on_the_members_page(manager_client, manager):
    request = JoinRequestFactory()
    municipality = join_request_approve(join_request=request, by=manager)
    agreement = municipality.agreements.get()
    agreement.ends_on = day(-10)
    agreement.auto_renew = True
    agreement.save()
    successor = agreement_renew(agreement=agreement)
    contact = municipality.contacts.get()
    activity = ActivityFactory(member=municipality, staff=manager, kind="call")
    activity.contacts.add(contact)
    FollowUpFactory(member=municipality, assignee=manager, due_on=day(-2), title="Send the kit")
    municipality.population = 6100
    municipality.save()
    page = manager_client.get(f"/admin/municipalities/municipality/{municipality.pk}/change/")
    html = page.content.decode()
    labels = [entry.label for entry in page.context["timeline"]]
    assert labels[:2] == ["Call", "Changed"] or labels[:2] == ["Changed", "Call"]
    for label in (
        "Follow-up overdue",
        "Agreement signed",
        "Agreement renewed",
        "Join request submitted",
        "Join request approved",
        "Created",
    ):
        assert label in labels, labels
    days = [entry.day for entry in page.context["timeline"]]
    assert days == sorted(days, reverse=True)
    assert f"{activity.summary} (with {contact.name})" in html
    assert "population" in html  # what the change was
    assert f"/admin/activities/activity/add/?member={municipality.pk}" in html
    assert f'href="/admin/crm/agreement/{successor.pk}/change/"' in html
    assert 'href="/static/activities/timeline.css"' in html or "activities/timeline" in html


def test_timeline_costs_the_same_queries_whatever_the_members_past(manager):
    school = SchoolFactory(country="IT")
    ActivityFactory(member=school).contacts.add(ContactFactory(member=school))
    FollowUpFactory(member=school)
    AgreementFactory(member=school)
    with CaptureQueriesContext(connection) as few:
        member_timeline(school)
    for _ in range(4):
        activity = ActivityFactory(member=school, staff=manager)
        activity.contacts.add(ContactFactory(member=school))
        FollowUpFactory(member=school, assignee=manager)
        AgreementFactory(
            member=school, signed_on=day(-3000), starts_on=day(-2900), ends_on=day(-2000)
        )
        school.name = f"{school.name}!"
        school.save()
    with CaptureQueriesContext(connection) as many:
        entries = member_timeline(school)
    assert len(many) == len(few) == 5
    assert len(entries) > 15


# -- The staff API ---------------------------------------------------------------------


@pytest.fixture
def api(manager) -> APIClient:
    client = APIClient()
    client.force_authenticate(manager)
    return client


def test_api_logs_an_activity_as_the_caller(api, manager):
    school = SchoolFactory(country="IT")
    teacher = ContactFactory(member=school)
    response = api.post(
        "/api/v1/activities/",
        {
            "member": school.pk,
            "kind": "workshop",
            "happened_on": today().isoformat(),
            "summary": "Workshop on kindness with class 3B.",
            "contacts": [teacher.pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["staff"] == manager.pk and body["contacts"] == [teacher.pk]
    assert body["has_attachment"] is False
    stranger = ContactFactory(member=SchoolFactory(country="IT"))
    refused = api.patch(
        f"/api/v1/activities/{body['id']}/", {"contacts": [stranger.pk]}, format="json"
    )
    assert refused.status_code == 400
    assert "not a contact of this member" in refused.json()["contacts"][0]
    swiss = SchoolFactory(country="CH")
    outside = api.post(
        "/api/v1/activities/",
        {"member": swiss.pk, "kind": "call", "summary": "x", "happened_on": today().isoformat()},
        format="json",
    )
    assert outside.status_code == 400
    assert Activity.objects.count() == 1


def test_api_activity_filters(api, manager):
    school, other = SchoolFactory(country="IT"), SchoolFactory(country="IT")
    teacher = ContactFactory(member=school)
    meeting = ActivityFactory(member=school, kind="meeting", happened_on=day(-10), staff=manager)
    meeting.contacts.add(teacher)
    call = ActivityFactory(member=other, kind="call", happened_on=day(-1))
    call.attachment.name = "activities/x.pdf"
    call.save()

    def ids(**params) -> list[int]:
        response = api.get("/api/v1/activities/", params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [call.pk, meeting.pk]
    assert ids(member=school.pk) == [meeting.pk]
    assert ids(member_kind="school") == [call.pk, meeting.pk]
    assert ids(chapter=school.chapter_id) == [call.pk, meeting.pk]
    assert ids(kind="call") == [call.pk]
    assert ids(staff=manager.pk) == [meeting.pk]
    assert ids(contact=teacher.pk) == [meeting.pk]
    assert ids(happened_after=day(-5).isoformat()) == [call.pk]
    assert ids(happened_before=day(-5).isoformat()) == [meeting.pk]
    assert ids(has_attachment="true") == [call.pk]
    assert ids(has_attachment="false") == [meeting.pk]
    assert api.get("/api/v1/activities/", {"kind": "party"}).status_code == 400


def test_api_follow_up_filters(api, manager, django_user_model):
    colleague = django_user_model.objects.create_user("emma", is_staff=True)
    school = SchoolFactory(country="IT")
    mine_late = FollowUpFactory(member=school, assignee=manager, due_on=day(-2))
    mine_done = FollowUpFactory(member=school, assignee=manager, due_on=day(-9), done_on=day(-1))
    theirs = FollowUpFactory(member=school, assignee=colleague, due_on=day(4))

    def ids(**params) -> list[int]:
        response = api.get("/api/v1/follow-ups/", params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [mine_done.pk, mine_late.pk, theirs.pk]
    assert ids(mine="true") == [mine_done.pk, mine_late.pk]
    assert ids(mine="false") == [theirs.pk]
    assert ids(assignee=colleague.pk) == [theirs.pk]
    assert ids(done="true") == [mine_done.pk]
    assert ids(done="false") == [mine_late.pk, theirs.pk]
    assert ids(overdue="true") == [mine_late.pk]
    assert ids(overdue="false") == [mine_done.pk, theirs.pk]
    assert ids(due_after=today().isoformat()) == [theirs.pk]
    assert ids(due_before=today().isoformat()) == [mine_done.pk, mine_late.pk]
    assert ids(member=school.pk, member_kind="school", chapter=school.chapter_id) == [
        mine_done.pk,
        mine_late.pk,
        theirs.pk,
    ]
    created = api.post(
        "/api/v1/follow-ups/",
        {"member": school.pk, "title": "Send photos", "due_on": day(3).isoformat()},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["assignee"] == manager.pk and created.json()["is_overdue"] is False


# -- Import and export -----------------------------------------------------------------


def test_export_then_import_changes_nothing_and_imports_new_rows(superuser, tmp_path):
    school = SchoolFactory(country="IT", school_code="BGIC80000A")
    teacher = ContactFactory(member=school, name="Anna Verdi")
    activity = ActivityFactory(member=school, staff=superuser, summary="First visit.")
    activity.contacts.add(teacher)
    FollowUpFactory(member=school, assignee=superuser, title="Send the kit", due_on=day(3))
    for name in ("activities", "follow-ups"):
        target = tmp_path / f"{name}.csv"
        call_command("export", "csv", name, "--user", "alice", "--output", str(target))
        resource = ActivityResource if name == "activities" else FollowUpResource
        dataset = SpreadsheetCSV().create_dataset(target.read_bytes())
        result = resource().import_data(dataset, dry_run=False, user=superuser)
        assert not result.has_errors() and not result.invalid_rows
        assert result.totals["new"] == 0 and result.totals["update"] == 0, result.totals
    rows = SpreadsheetCSV().create_dataset((tmp_path / "activities.csv").read_bytes()).dict
    assert rows[0]["contacts"] == "Anna Verdi" and rows[0]["staff"] == "alice"
    result = import_rows(
        FollowUpResource,
        ["member_kind", "member", "title", "due_on", "assignee"],
        ["school", "BGIC80000A", "Call the head teacher", "15/01/2027", "alice"],
        ["school", "BGIC80000A", "Book the gym", "2027-02-01", "nobody-here"],
        user=superuser,
    )
    errors = [str(message) for row in result.invalid_rows for message in row.error.messages]
    assert errors == ["“nobody-here” is not the username of active staff."]
    assert FollowUp.objects.count() == 1  # all or nothing
    result = import_rows(
        ActivityResource,
        ["member_kind", "member", "kind", "happened_on", "staff", "summary"],
        ["school", "BGIC80000A", "call", "2026-01-10", "alice", "Called about the week."],
        user=superuser,
    )
    assert not result.invalid_rows
    assert Activity.objects.filter(kind="call", staff=superuser).count() == 1


def test_exporting_activities_needs_the_people_permission(viewer):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=r"missing .*crm\.export_contact"):
        call_command("export", "csv", "activities", "--user", "bob")


# -- People's rights -------------------------------------------------------------------


def test_a_contact_named_in_an_activity_is_exported_and_erased():
    school = SchoolFactory(country="IT")
    contact = ContactFactory(member=school, name="Anna Verdi", email="anna.verdi@example.org")
    activity = ActivityFactory(member=school, summary="Anna Verdi will bring the posters.")
    activity.contacts.add(contact)
    exported = person_export(email="anna.verdi@example.org")
    # The link "took part in this activity", and the words of the summary that name her.
    assert exported["records"]["activities.Activity_contacts"] == [
        {
            "id": activity.contacts.through.objects.get().pk,
            "activity_id": activity.pk,
            "contact_id": contact.pk,
        }
    ]
    assert exported["mentions"]["activities.Activity"] == [
        {"pk": activity.pk, "summary": "Anna Verdi will bring the posters."}
    ]
    person_erase(email="anna.verdi@example.org")
    activity.refresh_from_db()
    assert activity.summary == "[erased] will bring the posters."
    assert activity.history.filter(summary__contains="Anna Verdi").count() == 0
