"""Staff accounts that resist attack: lockout, second factor, a working day's session."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from kindnet.second_factor import DATA_PROTECTION_GROUP
from tests.conftest import login_verified

LOGIN = "/admin/login/?next=/admin/"


def _login(client: Client, username: str, password: str, **extra) -> object:
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(
    superuser, client: Client, settings
):
    settings.AXES_FAILURE_LIMIT = 5
    statuses = [_login(client, "alice", f"wrong-{n}").status_code for n in range(5)]
    locked = _login(Client(), "alice", "pw", REMOTE_ADDR="192.0.2.7")  # another address

    assert statuses[:4] == [200] * 4  # the form again, with its error
    assert statuses[4] == 429
    assert locked.status_code == 429
    assert "Login temporarily locked" in locked.content.decode()
    assert "_auth_user_id" not in Client().session


@pytest.mark.django_db
def test_one_address_trying_many_accounts_is_locked_out(django_user_model, client: Client):
    for n in range(5):
        _login(client, f"nobody-{n}", "guess")
    django_user_model.objects.create_user("erin", "erin@example.org", "pw", is_staff=True)

    assert _login(client, "erin", "pw").status_code == 429
    assert _login(Client(), "erin", "pw", REMOTE_ADDR="192.0.2.8").status_code == 302


@pytest.mark.django_db
def test_a_superuser_sets_up_the_second_factor_at_the_first_login(
    superuser, client: Client, settings
):
    # django-otp makes a wrong code wait 1 s, then 2, 4…; the test does not wait.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    response = _login(client, "alice", "pw")
    assert response.status_code == 302
    admin = client.get("/admin/")
    assert admin.headers["Location"] == "/account/second-factor/setup/?next=%2Fadmin%2F"
    # Until then the session is no staff session anywhere: the API treats it as anonymous.
    assert client.get("/api/v1/schools/").status_code in {401, 403}

    setup = client.get(admin.headers["Location"])
    page = setup.content.decode()
    assert "<svg" in page
    secret = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', page).group(1)
    device = TOTPDevice.objects.get(user=superuser)
    assert not device.confirmed and len(secret.replace(" ", "")) == 32

    wrong = client.post("/account/second-factor/setup/", {"code": "000000", "next": "/admin/"})
    assert "This code is not valid" in wrong.content.decode()
    done = client.post("/account/second-factor/setup/", {"code": _code(device), "next": "/admin/"})

    assert done.headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed


@pytest.mark.django_db
def test_the_next_login_asks_for_the_code(superuser, client: Client, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    device = TOTPDevice.objects.create(user=superuser, name="Authenticator app", confirmed=True)
    _login(client, "alice", "pw")

    response = client.get("/admin/crm/member/")
    assert response.headers["Location"] == "/account/second-factor/?next=%2Fadmin%2Fcrm%2Fmember%2F"
    assert (
        "This code is not valid"
        in client.post("/account/second-factor/", {"code": "123456"}).content.decode()
    )
    verified = client.post(
        "/account/second-factor/", {"code": _code(device), "next": "/admin/crm/member/"}
    )
    assert verified.headers["Location"] == "/admin/crm/member/"
    assert client.get("/admin/crm/member/").status_code == 200


@pytest.mark.django_db
def test_other_staff_may_go_without_unless_the_setting_says_all(viewer, settings):
    client = Client()
    _login(client, "bob", "pw")
    assert client.get("/admin/").status_code == 200

    settings.STAFF_SECOND_FACTOR = "all-staff"
    assert client.get("/admin/").headers["Location"].startswith("/account/second-factor/setup/")


@pytest.mark.django_db
def test_the_data_protection_officer_must_have_a_second_factor(viewer):
    # The group comes with the roles' migration.
    viewer.groups.add(Group.objects.get(name=DATA_PROTECTION_GROUP))
    client = Client()
    _login(client, "bob", "pw")
    assert client.get("/admin/").headers["Location"].startswith("/account/second-factor/setup/")


@pytest.mark.django_db
def test_staff_sessions_last_a_working_day(superuser):
    client = login_verified(Client(), superuser)
    assert client.session.get_expiry_age() == 8 * 3600
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_network_admins_too_must_have_a_second_factor(viewer):
    """Network admins may export and erase people, as the data protection officer may."""
    viewer.groups.add(Group.objects.get(name="Network admin"))
    client = Client()
    _login(client, "bob", "pw")
    assert client.get("/admin/").headers["Location"].startswith("/account/second-factor/setup/")
