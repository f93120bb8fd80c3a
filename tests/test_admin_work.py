"""An admin that fits the work: "Add" on the list of all members asks for the kind, and
technical records are for superusers only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from crm.models import ChapterScope
from tests.conftest import login_verified

pytestmark = pytest.mark.django_db

KIND_ADD_URLS = [
    "/admin/partners/school/add/",
    "/admin/partners/company/add/",
    "/admin/partners/organization/add/",
    "/admin/municipalities/municipality/add/",
    "/admin/ambassadors/ambassador/add/",
]


def test_the_members_list_has_an_add_button_that_asks_for_the_kind(staff_client):
    listed = staff_client.get("/admin/crm/member/").content.decode()
    assert 'href="/admin/crm/member/add/"' in listed
    chooser = staff_client.get("/admin/crm/member/add/")
    assert chooser.status_code == 200
    assert [kind["url"] for kind in chooser.context["kinds"]] == KIND_ADD_URLS
    assert [kind["label"] for kind in chooser.context["kinds"]] == [
        "School",
        "Company",
        "Organisation",
        "Municipality",
        "Ambassador",
    ]
    page = chooser.content.decode()
    assert "Add member: which kind?" in page
    for url in KIND_ADD_URLS:
        assert f'href="{url}"' in page
        assert staff_client.get(url).status_code == 200


def test_the_kind_chooser_offers_only_the_kinds_the_user_may_add(django_user_model):
    user = django_user_model.objects.create_user("schools-only", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_member", "add_school", "view_school"])
    )
    ChapterScope.objects.create(user=user, all_chapters=True)
    client = login_verified(Client(), user)
    chooser = client.get("/admin/crm/member/add/")
    assert [kind["url"] for kind in chooser.context["kinds"]] == [KIND_ADD_URLS[0]]


def test_a_viewer_gets_no_add_button_and_no_chooser(viewer_client):
    assert (
        'href="/admin/crm/member/add/"'
        not in viewer_client.get("/admin/crm/member/").content.decode()
    )
    assert viewer_client.get("/admin/crm/member/add/").status_code == 403


def test_a_popup_of_another_form_stays_a_popup(staff_client):
    chooser = staff_client.get("/admin/crm/member/add/", {"_popup": "1", "_to_field": "id"})
    assert chooser.context["kinds"][0]["url"] == (
        "/admin/partners/school/add/?_popup=1&_to_field=id"
    )


TECHNICAL = [
    "/admin/authtoken/tokenproxy/",
    "/admin/django_tasks_database/dbtaskresult/",
    "/admin/axes/accessattempt/",
    "/admin/axes/accessfailurelog/",
    "/admin/axes/accesslog/",
    "/admin/otp_totp/totpdevice/",
]


def test_technical_records_are_hidden_from_staff_with_every_permission(django_user_model):
    """Even a staff member holding every permission of the site sees only the network."""
    user = django_user_model.objects.create_user("all-perms", is_staff=True)
    group = Group.objects.create(name="Everything")
    group.permissions.set(Permission.objects.all())
    user.groups.add(group)
    ChapterScope.objects.create(user=user, all_chapters=True)
    client = login_verified(Client(), user)
    home = client.get("/admin/")
    sections = {app["app_label"] for app in home.context["available_apps"]}
    assert {"axes", "otp_totp", "authtoken", "django_tasks_database"}.isdisjoint(sections)
    assert "crm" in sections
    for url in TECHNICAL:
        assert client.get(url).status_code == 403, url


def test_superusers_still_see_the_technical_records(superuser_client):
    home = superuser_client.get("/admin/")
    sections = {app["app_label"] for app in home.context["available_apps"]}
    assert {"axes", "otp_totp", "authtoken", "django_tasks_database"} <= sections
    for url in TECHNICAL:
        assert superuser_client.get(url).status_code == 200, url
