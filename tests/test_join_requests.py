"""Municipalities join: the public form, the API, refusals, review and decisions."""

from __future__ import annotations

import datetime
import html
import re
import time
from pathlib import Path

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from crm.models import Agreement, Contact, GeocodeStatus, Member
from municipalities.forms import form_started_token
from municipalities.models import JoinRequest, JoinRequestStatus, Municipality
from municipalities.services import (
    join_request_approve,
    join_request_reject,
    join_request_submit,
)
from tests.factories import (
    AgreementFactory,
    ChapterFactory,
    ContactFactory,
    JoinRequestFactory,
    MunicipalityFactory,
    castro_reference,
    join_api_data,
    join_form_data,
    pdf_bytes,
    pdf_upload,
)

pytestmark = pytest.mark.django_db

JOIN_URL = "/join/"
API_URL = "/api/v1/join-requests/"
CHAPTER_EMAIL = "italia@kindnet.example"


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path) -> Path:
    settings.PRIVATE_ROOT = tmp_path / "private"
    settings.JOIN_REQUEST_MIN_FILL_SECONDS = 3
    settings.JOIN_REQUEST_RATE = "5/hour"
    cache.clear()  # rate limits count in the cache
    yield settings.PRIVATE_ROOT
    cache.clear()


def stored_files(root: Path) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()] if Path(root).exists() else []


@pytest.fixture
def chapter():
    return ChapterFactory(email=CHAPTER_EMAIL)


@pytest.fixture
def castro_bg(chapter):
    return castro_reference("BG")


@pytest.fixture
def castro_le(chapter):
    return castro_reference("LE")


def csrf_client() -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    response = client.get(JOIN_URL)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text).group(1)
    return client, token


# The journey through the HTML form.


def test_form_in_english_and_italian(client, castro_bg):
    english = client.get(JOIN_URL)
    assert english.status_code == 200
    assert "Join the kindness movement" in english.text
    assert 'href="/join/privacy/?lang=en"' in english.text
    assert 'name="csrfmiddlewaretoken"' in english.text
    italian = client.get(JOIN_URL + "?lang=it")
    assert "Aderisci al movimento per la gentilezza" in italian.text
    assert "Delibera consiliare (PDF)" in italian.text
    assert ">Italia</option>" in italian.text and ">Svizzera</option>" in italian.text
    by_browser = client.get(JOIN_URL, HTTP_ACCEPT_LANGUAGE="it-IT,it;q=0.9")
    assert "Aderisci al movimento per la gentilezza" in by_browser.text
    privacy = client.get("/join/privacy/?lang=it")
    assert privacy.status_code == 200 and "Informativa sulla privacy" in privacy.text


def test_full_journey_through_the_form(
    castro_bg, private_root, staff_client, django_capture_on_commit_callbacks
):
    client, token = csrf_client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(JOIN_URL + "?lang=en", join_form_data(csrfmiddlewaretoken=token))
    join_request = JoinRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/join/thanks/{join_request.reference}/?lang=en"
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    assert join_request.reference in thanks.text and "Castro (BG)" in thanks.text

    assert join_request.status == JoinRequestStatus.SUBMITTED
    assert join_request.municipality_reference == castro_bg
    assert (join_request.official_code, join_request.municipality_name) == ("016065", "Castro")
    assert join_request.channel == "form" and join_request.language == "en"
    assert join_request.privacy_consent_at is not None
    [stored] = stored_files(private_root)
    assert stored.read_bytes() == pdf_bytes()
    assert stored.name != "delibera.pdf" and re.fullmatch(r"[0-9a-f]{32}\.pdf", stored.name)

    ack, notification = mail.outbox
    assert ack.to == ["maria.bianchi@comune.castro.bg.it"]
    assert ack.subject == f"We received the join request of Castro (BG) ({join_request.reference})"
    assert notification.to == [CHAPTER_EMAIL]
    assert notification.reply_to == ["maria.bianchi@comune.castro.bg.it"]
    assert f"/admin/municipalities/joinrequest/{join_request.pk}/change/" in notification.body

    # Staff approve it from the review queue.
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/admin/municipalities/joinrequest/",
            {"action": "approve_selected", "_selected_action": [join_request.pk]},
        )
    assert response.status_code == 302
    municipality = Municipality.objects.get()
    assert municipality.name == "Castro"
    assert (municipality.official_code, municipality.province) == ("016065", "BG")
    assert (municipality.region, municipality.population) == ("Lombardia", 1345)
    assert municipality.resolution_number == "42/2026"
    assert municipality.resolution_date == join_request.resolution_date
    assert municipality.joined_on == join_request.resolution_date
    assert municipality.mayor == "Giovanni Verdi"
    assert municipality.chapter.email == CHAPTER_EMAIL
    assert (municipality.latitude, municipality.longitude) == (45.8, 10.07)
    assert municipality.geocode_status == GeocodeStatus.OK
    agreement = Agreement.objects.get()
    assert agreement.member_id == municipality.pk and agreement.type == "membership"
    assert agreement.signed_on == agreement.starts_on == join_request.resolution_date
    assert Member.objects.active_on().filter(pk=municipality.pk).exists()
    contact = Contact.objects.get()
    assert (contact.member_id, contact.is_primary) == (municipality.pk, True)
    assert (contact.name, contact.email) == ("Maria Bianchi", "maria.bianchi@comune.castro.bg.it")
    join_request.refresh_from_db()
    assert join_request.status == JoinRequestStatus.APPROVED
    assert join_request.municipality_id == municipality.pk
    assert join_request.decided_by.username == "charlie" and join_request.decided_at
    approved = mail.outbox[-1]
    assert approved.to == ["maria.bianchi@comune.castro.bg.it"]
    assert approved.subject == "Welcome to the kindness movement, Castro (BG)!"


def test_form_needs_csrf_token(castro_bg, private_root):
    client = Client(enforce_csrf_checks=True)
    response = client.post(JOIN_URL, join_form_data())
    assert response.status_code == 403
    assert not JoinRequest.objects.exists() and stored_files(private_root) == []


REFUSALS = {
    "not a pdf": (
        {"resolution_file": pdf_upload(b"\x89PNG\r\n\x1a\n" + b"0" * 500, "delibera.pdf")},
        "resolution_file",
        "This file is not a PDF",
    ),
    "renamed text file": (
        {"resolution_file": pdf_upload(b"Delibera n. 42: approvata.\n" * 20, "delibera.pdf")},
        "resolution_file",
        "This file is not a PDF",
    ),
    "pdf signature but no pdf": (
        {"resolution_file": pdf_upload(b"%PDF-1.7\nthis is not really a PDF\n" * 10)},
        "resolution_file",
        "This PDF cannot be read",
    ),
    "no file": (
        {"resolution_file": None},
        "resolution_file",
        "Attach the council resolution as a PDF.",
    ),
    "missing consent": (
        {"privacy_consent": None},
        "privacy_consent",
        "Please accept the privacy notice",
    ),
    "resolution in the future": (
        {"resolution_date": (timezone.localdate() + datetime.timedelta(days=3)).isoformat()},
        "resolution_date",
        "The resolution date cannot be in the future.",
    ),
    "unknown municipality": (
        {"municipality_code": "", "municipality_name": "Atlantide"},
        "municipality_name",
        "Atlantide is not in the official list of municipalities",
    ),
    "honeypot filled": (
        {"website": "http://spam.example"},
        None,
        "This request looks automatic and was not sent.",
    ),
    "too fast": (
        # A start in the future stands for "just now", whenever the test runs.
        {"started": form_started_token(time.time() + 3600)},
        None,
        "The form was sent too quickly after opening it.",
    ),
    "forged start time": (
        {"started": "12345"},
        None,
        "The form was sent too quickly after opening it.",
    ),
}


@pytest.mark.parametrize("overrides, field, message", REFUSALS.values(), ids=REFUSALS.keys())
def test_form_refusals_store_nothing(client, castro_bg, private_root, overrides, field, message):
    response = client.post(JOIN_URL, join_form_data(**overrides))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert any(message in error for error in errors[field or "__all__"]), errors
    # Next to its field, with what was typed kept and the file asked for again.
    if field:
        block = html.unescape(response.text).split(f'id="field-{field}"')[1]
        assert message in block.split('<div class="field')[0]
    assert 'value="Maria Bianchi"' in response.text
    assert "Choose the file again." in response.text
    assert not JoinRequest.objects.exists()
    assert stored_files(private_root) == []
    assert mail.outbox == []


def test_too_large_file_is_dropped_before_storage(client, settings, castro_bg, private_root):
    settings.JOIN_REQUEST_MAX_UPLOAD_MB = 1
    big = pdf_bytes() + b"%" + b"0" * (1024 * 1024 + 10)
    response = client.post(JOIN_URL, join_form_data(resolution_file=pdf_upload(big)))
    assert response.status_code == 400
    assert response.context["form"].errors["resolution_file"] == [
        "The file is larger than 1 MB. Send a smaller PDF."
    ]
    assert not JoinRequest.objects.exists() and stored_files(private_root) == []


def test_errors_in_the_submitters_language(client, castro_bg, private_root):
    response = client.post(
        JOIN_URL + "?lang=it",
        join_form_data(language="it", privacy_consent=None, mayor_name="", resolution_file=None),
    )
    assert response.status_code == 400
    page = html.unescape(response.text)
    for field, message in {
        "mayor_name": "Campo obbligatorio.",  # Django's wording as DRF's catalogue has it
        "privacy_consent": "Accetta l'informativa sulla privacy: senza il consenso non "
        "possiamo gestire la richiesta.",
        "resolution_file": "Allega la delibera consiliare in PDF.",
    }.items():
        block = page.split(f'id="field-{field}"')[1].split('<div class="field')[0]
        assert message in block
    assert "Scegli di nuovo il file." in page
    assert 'value="Maria Bianchi"' in page
    assert not JoinRequest.objects.exists() and stored_files(private_root) == []


def test_homonyms_must_be_told_apart(client, castro_bg, castro_le, private_root):
    response = client.post(
        JOIN_URL, join_form_data(municipality_code="", municipality_name="castro")
    )
    assert response.status_code == 400
    assert response.context["form"].errors["municipality_name"] == [
        "Several municipalities are called castro: choose yours from the list "
        "(Castro (BG), Castro (LE))."
    ]
    # The label as the list shows it picks one, even without the script.
    response = client.post(
        JOIN_URL, join_form_data(municipality_code="", municipality_name="Castro (LE)")
    )
    assert response.status_code == 302
    assert JoinRequest.objects.get().municipality_reference == castro_le


def test_duplicate_of_an_active_member_is_refused(client, castro_bg, private_root):
    castro = MunicipalityFactory(name="Castro", official_code="016065")
    AgreementFactory(member=castro)
    response = client.post(JOIN_URL, join_form_data())
    assert response.status_code == 400
    assert response.context["form"].errors["municipality_name"] == [
        "Castro (BG) is already a member of the movement. To update its details or for any "
        f"question, write to {CHAPTER_EMAIL}."
    ]
    assert not JoinRequest.objects.exists() and stored_files(private_root) == []


def test_duplicate_of_a_pending_request_is_refused(client, castro_bg, castro_le, private_root):
    JoinRequestFactory(municipality_reference=castro_bg, status=JoinRequestStatus.IN_REVIEW)
    files_before = stored_files(private_root)
    response = client.post(JOIN_URL, join_form_data())
    assert response.status_code == 400
    assert response.context["form"].errors["municipality_name"] == [
        "A request for Castro (BG) has already been received and is being reviewed. For news "
        f"about it, write to {CHAPTER_EMAIL}."
    ]
    assert JoinRequest.objects.count() == 1 and stored_files(private_root) == files_before
    # Its namesake in another province is a different municipality.
    response = client.post(JOIN_URL, join_form_data(municipality_code="075096"))
    assert response.status_code == 302


def test_rate_limit_on_the_form(client, settings, castro_bg, private_root):
    settings.JOIN_REQUEST_RATE = "2/hour"
    for _ in range(2):
        assert client.post(JOIN_URL, join_form_data(privacy_consent=None)).status_code == 400
    response = client.post(JOIN_URL + "?lang=it", join_form_data())
    assert response.status_code == 429
    assert "Troppe richieste di adesione" in response.text
    assert not JoinRequest.objects.exists() and stored_files(private_root) == []
    # Another address is not affected.
    other = client.post(JOIN_URL, join_form_data(), REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 302


# The API.


def test_full_journey_through_the_api(
    castro_bg, private_root, staff_client, django_capture_on_commit_callbacks
):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(API_URL, join_api_data(language="it"))
    assert response.status_code == 201, response.json()
    join_request = JoinRequest.objects.get()
    assert response.json() == {
        "reference": join_request.reference,
        "status": "submitted",
        "municipality": "Castro (BG)",
        "official_code": "016065",
        "country": "IT",
        "member_id": None,
    }
    assert join_request.channel == "api" and join_request.language == "it"
    assert len(stored_files(private_root)) == 1
    assert [m.subject for m in mail.outbox] == [
        f"Abbiamo ricevuto la richiesta di adesione di Castro (BG) ({join_request.reference})",
        f"Nuova richiesta di adesione: Castro (BG) ({join_request.reference})",
    ]
    url = f"{API_URL}{join_request.reference}/approve/"
    with django_capture_on_commit_callbacks(execute=True):
        first = staff_client.post(url)
    second = staff_client.post(url)
    assert first.status_code == second.status_code == 200
    municipality = Municipality.objects.get()
    assert (
        first.json()
        == second.json()
        == {
            "reference": join_request.reference,
            "status": "approved",
            "municipality": "Castro (BG)",
            "official_code": "016065",
            "country": "IT",
            "member_id": municipality.pk,
        }
    )
    assert (Agreement.objects.count(), Contact.objects.count()) == (1, 1)
    assert mail.outbox[-1].subject == "Benvenuto nel movimento per la gentilezza, Castro (BG)!"


@pytest.mark.parametrize(
    "overrides, errors",
    [
        (
            {"resolution_file": pdf_upload(b"just text\n" * 50)},
            {
                "resolution_file": [
                    "This file is not a PDF. Send the council resolution as a PDF document."
                ]
            },
        ),
        (
            {"privacy_consent": "false"},
            {
                "privacy_consent": [
                    "Please accept the privacy notice: we cannot handle the request without it."
                ]
            },
        ),
        (
            {"submitter_email": "not-an-email", "mayor_name": ""},
            {
                "submitter_email": ["Enter a valid email address."],
                "mayor_name": ["This field may not be blank."],
            },
        ),
    ],
    ids=["not a pdf", "no consent", "bad fields"],
)
def test_api_refusals_store_nothing(castro_bg, private_root, overrides, errors):
    response = Client().post(API_URL, join_api_data(**overrides))
    assert response.status_code == 400
    assert response.json() == errors
    assert not JoinRequest.objects.exists() and stored_files(private_root) == []


def test_api_too_large_and_duplicate(settings, castro_bg, private_root):
    settings.JOIN_REQUEST_MAX_UPLOAD_MB = 1
    big = pdf_bytes() + b"%" + b"0" * (1024 * 1024 + 10)
    response = Client().post(API_URL, join_api_data(resolution_file=pdf_upload(big)))
    assert response.status_code == 400
    assert response.json() == {
        "resolution_file": ["The file is larger than 1 MB. Send a smaller PDF."]
    }
    JoinRequestFactory(municipality_reference=castro_bg)
    before = stored_files(private_root)
    response = Client().post(API_URL, join_api_data(language="it"))
    assert response.status_code == 400
    assert response.json() == {
        "municipality_name": [
            "Abbiamo già ricevuto una richiesta per Castro (BG), che è in corso di esame. "
            f"Per notizie scrivi a {CHAPTER_EMAIL}."
        ]
    }
    assert JoinRequest.objects.count() == 1 and stored_files(private_root) == before


def test_api_rate_limit(settings, castro_bg, private_root):
    settings.JOIN_REQUEST_RATE = "2/hour"
    client = Client()
    for _ in range(2):
        assert client.post(API_URL, join_api_data(privacy_consent="false")).status_code == 400
    response = client.post(API_URL, join_api_data())
    assert response.status_code == 429
    assert response.json()["detail"].startswith(
        "Too many join requests from your address (at most 2/hour). Try again in"
    )
    assert not JoinRequest.objects.exists() and stored_files(private_root) == []


def test_api_decisions_are_for_staff_only(castro_bg, anonymous_client, viewer_client):
    join_request = JoinRequestFactory(municipality_reference=castro_bg)
    # Anonymous: 401 (the staff API's token comes first); signed in without the permission: 403.
    for client, refused in ((anonymous_client, 401), (viewer_client, 403)):
        assert client.post(f"{API_URL}{join_request.reference}/approve/").status_code == refused
        response = client.post(
            f"{API_URL}{join_request.reference}/reject/", {"reason": "No"}, "application/json"
        )
        assert response.status_code == refused
    join_request.refresh_from_db()
    assert join_request.status == JoinRequestStatus.SUBMITTED
    assert not Municipality.objects.exists()


def test_api_reject_needs_a_reason(castro_bg, staff_client, django_capture_on_commit_callbacks):
    join_request = JoinRequestFactory(municipality_reference=castro_bg, language="en")
    url = f"{API_URL}{join_request.reference}/reject/"
    response = staff_client.post(url, {"reason": ""}, "application/json")
    assert response.status_code == 400
    assert response.json() == {"reason": ["This field may not be blank."]}
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, {"reason": "The PDF is unsigned."}, "application/json")
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    assert "The PDF is unsigned." in mail.outbox[-1].body


# Decisions.


def test_approval_is_idempotent(castro_bg, superuser, django_capture_on_commit_callbacks):
    join_request = JoinRequestFactory(municipality_reference=castro_bg)
    with django_capture_on_commit_callbacks(execute=True):
        first = join_request_approve(join_request=join_request, by=superuser)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = join_request_approve(join_request=join_request, by=superuser)
    assert first == second
    assert Municipality.objects.count() == 1
    assert Agreement.objects.count() == 1
    assert Contact.objects.count() == 1
    assert callbacks == []  # no second e-mail
    assert len(mail.outbox) == 1


def test_bulk_approval_twice_in_the_admin(
    castro_bg, castro_le, staff_client, django_capture_on_commit_callbacks
):
    requests = [
        JoinRequestFactory(municipality_reference=castro_bg),
        JoinRequestFactory(municipality_reference=castro_le),
    ]
    payload = {"action": "approve_selected", "_selected_action": [r.pk for r in requests]}
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = staff_client.post("/admin/municipalities/joinrequest/", payload, follow=True)
        assert response.status_code == 200
    assert "2 join requests approved." in response.text
    assert sorted(Municipality.objects.values_list("official_code", "province")) == [
        ("016065", "BG"),
        ("075096", "LE"),
    ]
    assert Agreement.objects.count() == Contact.objects.count() == 2
    # Each is placed where its own list entry says: no namesake mix-up.
    placed = dict(Municipality.objects.values_list("province", "latitude"))
    assert placed == {"BG": 45.8, "LE": 40.0}


def test_approval_links_an_existing_municipality(
    castro_bg, superuser, django_capture_on_commit_callbacks
):
    # Staff had entered it by hand, and an address search put it at its namesake in Lecce.
    existing = MunicipalityFactory(
        name="Comune di Castro",
        official_code="016065",
        latitude=40.0,
        longitude=18.42,
        geocode_status=GeocodeStatus.OK,
        geocode_provider="nominatim",
    )
    ContactFactory(member=existing, is_primary=True, email="sindaco@castro.example")
    join_request = JoinRequestFactory(municipality_reference=castro_bg)
    with django_capture_on_commit_callbacks(execute=True):
        municipality = join_request_approve(join_request=join_request, by=superuser)
    assert municipality.pk == existing.pk
    municipality.refresh_from_db()
    assert (municipality.latitude, municipality.longitude) == (45.8, 10.07)
    assert municipality.geocode_provider == "istat"
    assert Municipality.objects.count() == 1
    assert municipality.name == "Comune di Castro"  # staff's name is kept
    assert municipality.resolution_number == join_request.resolution_number
    contacts = dict(Contact.objects.values_list("email", "is_primary"))
    # Staff already chose a primary contact: the submitter joins as a second contact.
    assert contacts == {"sindaco@castro.example": True, join_request.submitter_email: False}


def test_rejection_needs_a_reason_and_emails_it(
    castro_bg, staff_client, django_capture_on_commit_callbacks
):
    join_request = JoinRequestFactory(municipality_reference=castro_bg, language="it")
    url = f"/admin/municipalities/joinrequest/{join_request.pk}/reject/"
    page = staff_client.get(url)
    assert page.status_code == 200 and "Reason for the rejection" in page.text
    assert staff_client.post(url, {"reason": "  "}).status_code == 200  # shown again
    join_request.refresh_from_db()
    assert join_request.status == JoinRequestStatus.SUBMITTED
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, {"reason": "La delibera non è firmata."})
    assert response.status_code == 302
    join_request.refresh_from_db()
    assert join_request.status == JoinRequestStatus.REJECTED
    assert join_request.rejection_reason == "La delibera non è firmata."
    [email] = mail.outbox
    assert email.to == [join_request.submitter_email]
    assert email.subject.startswith("La tua richiesta di adesione")
    assert "La delibera non è firmata." in email.body
    assert not Municipality.objects.exists()
    # A rejected request cannot be approved any more.
    with pytest.raises(Exception, match="only a submitted or in-review request"):
        join_request_approve(join_request=join_request, by=join_request.decided_by)


def test_bulk_reject_asks_for_a_reason(castro_bg, castro_le, staff_client):
    requests = [
        JoinRequestFactory(municipality_reference=castro_bg),
        JoinRequestFactory(municipality_reference=castro_le),
    ]
    payload = {"action": "reject_selected", "_selected_action": [r.pk for r in requests]}
    page = staff_client.post("/admin/municipalities/joinrequest/", payload)
    assert page.status_code == 200 and "Reason for the rejection" in page.text
    assert JoinRequest.objects.filter(status=JoinRequestStatus.SUBMITTED).count() == 2
    payload.update(apply="1", reason="Not a council resolution.")
    response = staff_client.post("/admin/municipalities/joinrequest/", payload)
    assert response.status_code == 302
    assert set(JoinRequest.objects.values_list("status", "rejection_reason")) == {
        ("rejected", "Not a council resolution.")
    }


def test_reject_service_refuses_an_empty_reason(castro_bg, superuser):
    join_request = JoinRequestFactory(municipality_reference=castro_bg)
    with pytest.raises(Exception, match="Give the reason for the rejection"):
        join_request_reject(join_request=join_request, by=superuser, reason=" ")


def test_approve_button_on_the_request_page(
    castro_bg, staff_client, django_capture_on_commit_callbacks
):
    join_request = JoinRequestFactory(municipality_reference=castro_bg)
    page = staff_client.get(f"/admin/municipalities/joinrequest/{join_request.pk}/change/")
    approve_url = f"/admin/municipalities/joinrequest/{join_request.pk}/approve/"
    assert f'action="{approve_url}"' in page.text
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(approve_url, follow=True)
    assert response.status_code == 200
    assert "1 join request approved." in response.text
    assert Municipality.objects.get().official_code == "016065"
    # Decided: the buttons are gone.
    assert f'action="{approve_url}"' not in response.text


def test_review_and_withdraw_actions_and_status_filter(castro_bg, castro_le, staff_client):
    first = JoinRequestFactory(municipality_reference=castro_bg)
    second = JoinRequestFactory(municipality_reference=castro_le)
    changelist = "/admin/municipalities/joinrequest/"
    staff_client.post(changelist, {"action": "mark_in_review", "_selected_action": [first.pk]})
    staff_client.post(changelist, {"action": "mark_withdrawn", "_selected_action": [second.pk]})
    assert dict(JoinRequest.objects.values_list("pk", "status")) == {
        first.pk: "in_review",
        second.pk: "withdrawn",
    }
    for status, expected in (("in_review", first), ("withdrawn", second)):
        response = staff_client.get(changelist, {"status__exact": status})
        assert list(response.context["cl"].result_list) == [expected]
    response = staff_client.get(changelist, {"country": "IT", "channel__exact": "form"})
    assert response.context["cl"].result_count == 2
    # A withdrawn request frees the municipality for a new one; it cannot be approved.
    with pytest.raises(Exception, match="only a submitted or in-review request"):
        join_request_approve(join_request=second, by=first.decided_by or _staff())


def _staff():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="charlie")


def test_viewer_cannot_decide_in_the_admin(castro_bg, viewer_client):
    join_request = JoinRequestFactory(municipality_reference=castro_bg)
    response = viewer_client.post(f"/admin/municipalities/joinrequest/{join_request.pk}/approve/")
    assert response.status_code == 403
    assert not Municipality.objects.exists()


# Review queue and the resolution download.


def test_review_queue_changelist_and_page(
    castro_bg, castro_le, staff_client, django_assert_max_num_queries
):
    MunicipalityFactory(name="Castro", official_code="016065")
    for reference in (castro_bg, castro_le):
        JoinRequestFactory(municipality_reference=reference)
    for _ in range(3):
        JoinRequestFactory()
    with django_assert_max_num_queries(12):
        response = staff_client.get("/admin/municipalities/joinrequest/")
    assert response.status_code == 200
    assert response.text.count("resolution.pdf") == 5
    for _ in range(10):
        JoinRequestFactory()
    with django_assert_max_num_queries(12):
        assert staff_client.get("/admin/municipalities/joinrequest/").status_code == 200
    filtered = staff_client.get("/admin/municipalities/joinrequest/?status__exact=submitted")
    assert filtered.status_code == 200
    join_request = JoinRequest.objects.get(municipality_reference=castro_bg)
    page = staff_client.get(f"/admin/municipalities/joinrequest/{join_request.pk}/change/")
    assert page.status_code == 200
    assert "Bergamo (BG)" in page.text and "C337" in page.text  # the official list
    assert "Existing members that look like it" in page.text
    assert (
        f"/admin/municipalities/municipality/{Municipality.objects.get().pk}/change/" in page.text
    )
    assert f"/staff/join-requests/{join_request.reference}/resolution.pdf" in page.text


def test_only_staff_download_the_resolution(
    castro_bg, private_root, client, django_user_model, viewer_client, superuser_client
):
    join_request = JoinRequestFactory(municipality_reference=castro_bg)
    url = f"/staff/join-requests/{join_request.reference}/resolution.pdf"
    assert client.get(url).status_code == 302  # to the login page
    member = django_user_model.objects.create_user("dave", "d@example.org", "pw")
    client.force_login(member)
    assert client.get(url).status_code == 302  # not staff
    staff_without_perm = django_user_model.objects.create_user("erin", is_staff=True)
    client.force_login(staff_without_perm)
    assert client.get(url).status_code == 403
    for allowed in (viewer_client, superuser_client):
        response = allowed.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content) == pdf_bytes()
    # The file lives in the private folder, with no public address.
    assert Path(join_request.resolution_file.path).is_relative_to(private_root)
    with pytest.raises(ValueError):
        join_request.resolution_file.url  # noqa: B018


# Countries without an official list, and the service used directly.


def test_municipality_without_a_list_applies_by_name(superuser, private_root):
    ChapterFactory(name="Switzerland", country="CH", email="schweiz@kindnet.example")
    join_request = join_request_submit(
        country="CH",
        municipality_name="Lugano",
        submitter_name="Luca Rossi",
        submitter_role="Segretario comunale",
        submitter_email="luca@lugano.example",
        submitter_phone="+41 58 000 00 00",
        mayor_name="Michele Foletti",
        resolution_number="7",
        resolution_date=timezone.localdate(),
        resolution_file=pdf_upload(),
        privacy_consent=True,
        language="it",
    )
    assert (join_request.official_code, join_request.municipality_key) == ("", "CH:name:lugano")
    municipality = join_request_approve(join_request=join_request, by=superuser)
    assert (municipality.name, municipality.country.code) == ("Lugano", "CH")
    assert municipality.chapter.name == "Switzerland"
    assert municipality.geocode_fixed_point() is None  # no list: geocoded by its address


def test_municipality_is_placed_from_the_official_list(castro_bg, castro_le):
    castro = MunicipalityFactory(name="Castro", city="Castro", official_code="075096")
    point = castro.geocode_fixed_point()
    assert (point.latitude, point.longitude, point.precision, point.source) == (
        40.0,
        18.42,
        "city",
        "istat",
    )
    assert MunicipalityFactory(official_code="").geocode_fixed_point() is None
    # A code the loaded list does not know is left to place by hand, never searched by name.
    unknown = MunicipalityFactory(official_code="099999").geocode_fixed_point()
    assert (unknown.latitude, unknown.longitude) == (None, None)
    assert unknown.problem == "official code 099999 is not in the official list: place it by hand"
