"""The demo loader, synthetic networks and the admin account that `make run` relies on."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from activities.models import Activity, FollowUp
from crm.models import Agreement, AgreementStatus, Contact, Member, MemberKind, Recognition

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, object]:
    return {
        "members": Counter(Member.objects.values_list("kind", flat=True)),
        "agreements": Agreement.objects.count(),
        "contacts": Contact.objects.count(),
        "recognitions": Recognition.objects.count(),
        "activities": Activity.objects.count(),
        "follow-ups": FollowUp.objects.count(),
    }


def test_demo_network_loads_once_with_every_kind_and_status(monkeypatch, capsys):
    monkeypatch.setenv("ADMIN_PASSWORD", "demo-pass-123")
    call_command("ensure_admin")  # as `make data` does, before the demo
    call_command("load_demo")
    first = snapshot()
    assert "Demo network loaded:" in capsys.readouterr().out
    assert sum(first["members"].values()) >= 200
    assert set(first["members"]) == set(MemberKind.values)
    statuses = set(Agreement.objects.with_status().values_list("current_status", flat=True))
    assert statuses == set(AgreementStatus.values)
    assert set(Member.objects.values_list("country", flat=True)) == {"IT", "CH"}
    assert not Member.objects.filter(chapter__isnull=True).exists()
    assert Member.objects.filter(sectors__isnull=True).count() == 0
    # Every member has an agreement with a generated reference.
    assert not Member.objects.filter(agreements__isnull=True).exists()
    assert all(
        re.fullmatch(r"IKM-\d{4}-\d{4}", ref)
        for ref in Agreement.objects.values_list("reference", flat=True)
    )

    _demo_follow_ups_check()

    call_command("load_demo")
    assert snapshot() == first
    assert "Demo network already loaded: nothing to add." in capsys.readouterr().out


def _demo_follow_ups_check() -> None:
    """The demo's follow-ups are the admin's: the dashboard's "due to me" panel and the
    members' timelines show something."""
    from activities.selectors import follow_ups_due, member_timeline

    admin = get_user_model().objects.get(username="admin")
    due = follow_ups_due(admin)
    assert len(due) >= 3
    assert any(f.is_overdue for f in due) and not all(f.is_overdue for f in due)
    assert FollowUp.objects.filter(assignee=admin, done_on__isnull=False).exists()
    activity = Activity.objects.select_related("member").first()
    kinds = {entry.kind for entry in member_timeline(activity.member)}
    assert {"activity", "follow-up"} <= kinds


def test_demo_companies_have_valid_vat_numbers():
    from partners.models import Company

    call_command("load_demo")
    companies = list(Company.objects.all())
    assert len(companies) >= 40
    for company in companies:
        stored = company.vat_number
        company.full_clean()
        assert company.vat_number == stored


def test_members_option_adds_synthetic_members(capsys):
    call_command("load_demo", "--members", "40")
    assert "Added 40 synthetic members." in capsys.readouterr().out
    assert Member.objects.count() == 40
    call_command("load_demo", "--members", "12")
    assert Member.objects.count() == 52
    # Every kind of organisation, located, active today, in a chapter.
    assert Member.objects.active_on().count() == 52
    assert not Member.objects.filter(latitude__isnull=True).exists()
    assert not Member.objects.filter(chapter__isnull=True).exists()
    assert len(set(Member.objects.values_list("name", flat=True))) == 52
    assert set(Member.objects.values_list("kind", flat=True)) == {
        "school",
        "company",
        "organization",
        "municipality",
    }


def test_members_option_refuses_negative_numbers(capsys):
    with pytest.raises(SystemExit) as exc:
        call_command("load_demo", "--members", "-3")
    assert exc.value.code == 2
    assert "--members must be zero or more." in capsys.readouterr().err
    assert not Member.objects.exists()


def test_ensure_admin_with_admin_password(monkeypatch, capsys, client):
    monkeypatch.setenv("ADMIN_PASSWORD", "kind-and-secret-2026")
    call_command("ensure_admin")
    out = capsys.readouterr().out
    assert "Created superuser 'admin'" in out
    assert "kind-and-secret-2026" not in out
    assert client.login(username="admin", password="kind-and-secret-2026")
    call_command("ensure_admin")
    assert "A superuser exists already: nothing to do." in capsys.readouterr().out
    assert get_user_model().objects.count() == 1


def test_ensure_admin_generates_and_prints_a_password(monkeypatch, capsys, client):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    call_command("ensure_admin")
    out = capsys.readouterr().out
    password = re.search(r"with password: (\S+)", out).group(1)
    assert len(password) >= 12
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert client.login(username="admin", password=password)
    # A superuser is led to set up the second factor before the admin opens.
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/second-factor/setup/?next=%2Fadmin%2F"
    assert client.get(response.headers["Location"]).status_code == 200


def test_ensure_admin_leaves_an_ordinary_admin_user_alone(django_user_model, capsys):
    django_user_model.objects.create_user("admin", password="their-own")
    call_command("ensure_admin")
    assert "exists but is not a superuser" in capsys.readouterr().err
    user = django_user_model.objects.get()
    assert not user.is_superuser and user.check_password("their-own")
