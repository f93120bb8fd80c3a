"""The dashboard, the admin's home: its figures, their scope, their links and their cost."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from crm.models import Chapter, ChapterScope, GeocodeStatus, Member
from municipalities.models import JoinRequest
from tests.conftest import login_verified
from tests.factories import (
    AgreementFactory,
    CompanyFactory,
    FollowUpFactory,
    JoinRequestFactory,
    SchoolFactory,
    bulk_create,
    today,
)

pytestmark = pytest.mark.django_db


def network_build(copies: int) -> None:
    """`copies` times: members of every kind in Italy and Switzerland, active or not,
    agreements ending in 10, 45 and 80 days, members geocoding could not place, and
    waiting join requests."""
    italy, swiss = Chapter.objects.get(country="IT"), Chapter.objects.get(country="CH")
    rows = []
    for n in range(copies):
        rows += [
            {"name": f"Scuola {n}", "chapter": italy, "country": "IT", "region": "Lombardia"},
            {
                "name": f"Schule {n}",
                "chapter": swiss,
                "country": "CH",
                "region": "Ticino",
                "city": "Lugano",
                "postal_code": "6900",
                "province": "TI",
            },
            {
                "name": f"Ferma {n}",
                "chapter": italy,
                "country": "IT",
                "region": "Lazio",
                "geocode_status": GeocodeStatus.FAILED,
                "geocode_error": "No such place",
            },
            {
                "name": f"Dubbia {n}",
                "chapter": italy,
                "country": "IT",
                "region": "Lazio",
                "geocode_status": GeocodeStatus.UNPLACED,
            },
        ]
    schools = bulk_create(SchoolFactory, rows)
    companies = bulk_create(
        CompanyFactory,
        [
            {"name": f"Azienda {n}", "chapter": italy, "country": "IT", "region": "Umbria"}
            for n in range(copies)
        ],
    )
    members = [*schools, *companies]
    ends = [10, 45, 80, 400]
    bulk_create(
        AgreementFactory,
        [
            {"member": member, "ends_on": today() + datetime.timedelta(days=ends[i % 4])}
            for i, member in enumerate(members)
        ],
    )
    for _n in range(copies):
        JoinRequestFactory(country="IT", municipality_key=f"IT:{_n}-{copies}")
    FollowUpFactory.create_batch(copies, member=schools[0], due_on=today())


@pytest.fixture
def private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path  # the join requests' resolution PDFs


def _user_of(django_user_model, role: str, *countries: str):
    user = django_user_model.objects.create_user(f"{role}-{'-'.join(countries)}", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    scope = ChapterScope.objects.create(user=user)
    scope.chapters.set(Chapter.objects.filter(country__in=countries))
    return user


def _panel(response, key: str) -> dict:
    panels = {panel.key: panel for panel in response.context["panels"]}
    return panels[key].context


def test_the_admin_home_is_the_dashboard(admin_client, private_root):
    network_build(2)
    response = admin_client.get("/admin/")
    assert response.status_code == 200
    assert [p.key for p in response.context["panels"]] == [
        "active-members",
        "expiring-agreements",
        "join-requests",
        "follow-ups",
        "not-on-map",
        "new-members",
        "growth",
        "regions",
    ]
    page = response.content.decode()
    assert "All sections" in page and 'href="/admin/crm/member/"' in page  # Django's app list
    assert 'href="/admin/crm/agreement/?expiring_within=30"' in page


def test_active_members_by_kind_and_chapter_link_to_their_lists(admin_client, private_root):
    network_build(2)
    # A member whose only agreement ended is not active.
    lapsed = SchoolFactory(name="Lapsed", country="IT")
    AgreementFactory(
        member=lapsed,
        starts_on=today() - datetime.timedelta(days=400),
        ends_on=today() - datetime.timedelta(days=1),
    )
    panel = _panel(admin_client.get("/admin/"), "active-members")
    assert panel["columns"] == ["Italy", "Switzerland"]
    rows = {row["label"]: row for row in panel["rows"]}
    assert [c["count"] for c in rows["School"]["cells"]] == [6, 2]
    assert [c["count"] for c in rows["Company"]["cells"]] == [2, 0]
    assert rows["Municipality"]["total"] == 0
    assert panel["column_totals"] == [8, 2] and panel["total"] == 10
    italy = Chapter.objects.get(country="IT")
    assert rows["School"]["cells"][0]["url"] == (
        f"/admin/partners/school/?membership=active&chapter__id__exact={italy.pk}"
    )
    listed = admin_client.get(rows["School"]["cells"][0]["url"])
    assert listed.status_code == 200 and listed.context["cl"].result_count == 6


def test_expiring_agreements_within_30_60_90_days_and_their_lists(admin_client, private_root):
    network_build(2)  # 10 agreements ending in 10, 45, 80, 400, 10, 45, … days
    panel = _panel(admin_client.get("/admin/"), "expiring-agreements")
    assert [(h["days"], h["count"]) for h in panel["horizons"]] == [(30, 3), (60, 6), (90, 8)]
    assert [row["days_left"] for row in panel["soonest"]] == [10, 10, 10, 45, 45, 45, 80, 80]
    listed = admin_client.get(panel["horizons"][0]["url"])
    shown = {agreement.ends_on for agreement in listed.context["cl"].result_list}
    assert listed.context["cl"].result_count == 3
    assert shown == {today() + datetime.timedelta(days=10)}


def test_join_requests_waiting_oldest_first(admin_client, private_root):
    network_build(1)
    older = JoinRequestFactory(municipality_key="IT:older")
    JoinRequest.objects.filter(pk=older.pk).update(
        submitted_at=timezone.now() - datetime.timedelta(days=9)
    )
    decided = JoinRequestFactory(
        municipality_key="IT:done", status="rejected", rejection_reason="Not a municipality"
    )
    panel = _panel(admin_client.get("/admin/"), "join-requests")
    references = [row["request"].reference for row in panel["rows"]]
    assert references[0] == older.reference and decided.reference not in references
    assert panel["waiting"].total == 2 and panel["rows"][0]["days"] == 9
    listed = admin_client.get(panel["all_url"])
    assert {jr.pk for jr in listed.context["cl"].result_list} == {
        jr.pk for jr in JoinRequest.objects.exclude(pk=decided.pk)
    }


def test_my_follow_ups_due_the_longest_overdue_first(admin_client, private_root, django_user_model):
    admin = django_user_model.objects.get(username="admin")
    school = SchoolFactory(name="Scuola Rodari")
    late = FollowUpFactory(
        member=school,
        assignee=admin,
        title="Send the agreement",
        due_on=today() - datetime.timedelta(days=5),
    )
    due = FollowUpFactory(member=school, assignee=admin, title="Call the head", due_on=today())
    FollowUpFactory(
        member=school, assignee=admin, title="Later", due_on=today() + datetime.timedelta(days=3)
    )
    FollowUpFactory(member=school, assignee=admin, title="Done", due_on=today(), done_on=today())
    FollowUpFactory(member=school, title="Someone else's", due_on=today())
    response = admin_client.get("/admin/")
    rows = _panel(response, "follow-ups")["rows"]
    assert [row["follow_up"] for row in rows] == [late, due]
    assert rows[0]["days_late"] == 5
    page = response.content.decode()
    assert "5 days late" in page and "Scuola Rodari" in page
    assert "assigned=me&amp;state=open" in page


def test_members_not_on_the_map(admin_client, private_root):
    network_build(2)
    panel = _panel(admin_client.get("/admin/"), "not-on-map")
    assert [(s["label"], s["count"]) for s in panel["statuses"]] == [
        ("Failed", 2),
        ("To place by hand", 2),
    ]
    assert [row["member"].name for row in panel["first"]] == [
        "Dubbia 0",
        "Dubbia 1",
        "Ferma 0",
        "Ferma 1",
    ]
    assert panel["first"][0]["url"].startswith("/admin/partners/school/")
    listed = admin_client.get(panel["statuses"][0]["url"])
    assert {m.name for m in listed.context["cl"].result_list} == {"Ferma 0", "Ferma 1"}


def test_new_members_this_year_against_last_year(admin_client, private_root):
    network_build(1)  # 5 members added today
    last_year = timezone.now() - datetime.timedelta(days=366)
    two_years = timezone.now() - datetime.timedelta(days=800)
    Member.objects.filter(name="Azienda 0").update(created_at=last_year)
    Member.objects.filter(name="Schule 0").update(created_at=two_years)
    counts = _panel(admin_client.get("/admin/"), "new-members")["counts"]
    assert counts.this_year == 3 and counts.last_year_same_days + counts.last_year >= 1
    assert counts.last_year == (1 if last_year.year == timezone.now().year - 1 else 0)


def test_charts_are_images_with_a_table_of_their_figures(admin_client, private_root):
    network_build(2)
    response = admin_client.get("/admin/")
    regions = _panel(response, "regions")
    assert regions["table"] == [
        ("Lazio (Italy)", 4),
        ("Lombardia (Italy)", 2),
        ("Ticino (Switzerland)", 2),
        ("Umbria (Italy)", 2),
    ]
    growth = _panel(response, "growth")
    assert len(growth["table"]) == 24 and growth["table"][-1][2] == 10
    page = response.content.decode()
    assert page.count('<img src="data:image/svg+xml;') == 2
    assert "<table" in page.split('id="panel-growth"')[1].split("</section>")[0]
    # The SVG runs no script of pygal's (no tooltip script, no script from a CDN).
    assert "kozea.github.io" not in page


def test_a_chapter_sees_its_own_figures_only(client, django_user_model, private_root):
    network_build(2)
    JoinRequestFactory(
        country="CH",
        municipality_key="CH:x",
        municipality_reference=None,
        municipality_name="Lugano",
        official_code="",
    )
    swiss = _user_of(django_user_model, "Chapter manager", "CH")
    response = login_verified(client, swiss).get("/admin/")
    active = _panel(response, "active-members")
    assert active["columns"] == ["Switzerland"] and active["total"] == 2
    waiting = _panel(response, "join-requests")
    assert [row["request"].municipality_name for row in waiting["rows"]] == ["Lugano"]
    assert _panel(response, "not-on-map")["total"] == 0
    assert _panel(response, "expiring-agreements")["horizons"][2]["count"] == 2


def test_panels_follow_the_users_permissions(client, django_user_model, private_root):
    network_build(1)
    user = django_user_model.objects.create_user("members-only", is_staff=True)
    user.user_permissions.add(
        *Group.objects.get(name="Chapter viewer").permissions.filter(
            codename__in=["view_member", "view_school"]
        )
    )
    ChapterScope.objects.create(user=user, all_chapters=True)
    response = login_verified(client, user).get("/admin/")
    keys = [panel.key for panel in response.context["panels"]]
    assert "join-requests" not in keys and "expiring-agreements" not in keys
    assert "active-members" in keys


def test_anonymous_is_sent_to_the_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("copies", [1, 8])
def test_the_dashboard_costs_the_same_queries_at_any_size(
    admin_client, private_root, copies, django_assert_num_queries
):
    network_build(copies)
    # Session, user, second factor; then the panels' queries (dashboard/selectors.py).
    with django_assert_num_queries(14):
        assert admin_client.get("/admin/").status_code == 200
    # Until the network changes, the figures of the whole network come from the cache;
    # the to-do lists (join requests, follow-ups, members not on the map) are read again.
    with django_assert_num_queries(8):
        assert admin_client.get("/admin/").status_code == 200


def test_a_change_of_the_network_shows_at_the_next_visit(admin_client, private_root):
    network_build(1)
    before = _panel(admin_client.get("/admin/"), "expiring-agreements")["horizons"][0]["count"]
    AgreementFactory(ends_on=today() + datetime.timedelta(days=3))  # network_changed
    after = _panel(admin_client.get("/admin/"), "expiring-agreements")["horizons"][0]["count"]
    assert after == before + 1
    JoinRequestFactory(municipality_key="IT:new")  # not the network: read at every visit
    assert _panel(admin_client.get("/admin/"), "join-requests")["waiting"].total == 2
