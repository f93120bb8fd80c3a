"""The public pages (issue 19): the front page's live figures, the join form's guidance and
embed, the error pages in the visitor's language, the favicon."""

from __future__ import annotations

import datetime
import html

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.test import Client, RequestFactory
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.views.defaults import bad_request, page_not_found, permission_denied, server_error

from municipalities.models import JoinRequest
from tests.factories import (
    AgreementFactory,
    ChapterFactory,
    CompanyFactory,
    DeliveryFactory,
    MunicipalityFactory,
    SchoolFactory,
    castro_reference,
    join_form_data,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"
    cache.clear()  # the figures and the rate limits live in it
    yield
    cache.clear()


def member(factory, *, active: bool = True, **fields):
    row = factory(**fields)
    if active:
        AgreementFactory(member=row)
    else:  # a former member: its agreement ended last month
        AgreementFactory(
            member=row,
            starts_on=timezone.localdate() - datetime.timedelta(days=400),
            ends_on=timezone.localdate() - datetime.timedelta(days=30),
        )
    return row


def small_network():
    today = timezone.localdate()
    for _ in range(3):
        member(SchoolFactory, latitude=45.46, longitude=9.19, geocode_status="ok")
    member(CompanyFactory, country="CH", city="Bern", latitude=46.95, longitude=7.45)
    member(MunicipalityFactory, joined_on=today.replace(month=1, day=1))
    member(MunicipalityFactory, joined_on=today.replace(year=today.year - 1))
    member(SchoolFactory, active=False)  # lapsed: not counted
    SchoolFactory()  # no agreement at all: not counted


def test_front_page_figures_match_the_database(client: Client):
    small_network()

    response = client.get("/?lang=en")

    assert response.status_code == 200
    figures = response.context["figures"]
    assert figures.by_kind_and_country == {
        ("school", "IT"): 3,
        ("company", "CH"): 1,
        ("municipality", "IT"): 2,
    }
    assert figures.municipalities_joined_this_year == 1
    assert [(h.value, h.label) for h in response.context["headlines"]] == [
        (6, "active members"),
        (2, "countries with members"),
        (1, f"municipality joined in {timezone.localdate().year}"),
    ]
    page = html.unescape(response.content.decode())
    # The table: Italy first (5 members), then Switzerland; a column per kind, then the total.
    cells = "".join(f"<td>{n}</td>" for n in (3, 0, 0, 2, 0, 5))
    assert f'<th scope="row">Italy</th>{cells}' in page
    cells = "".join(f"<td>{n}</td>" for n in (0, 1, 0, 0, 0, 1))
    assert f'<th scope="row">Switzerland</th>{cells}' in page
    # The preview draws the members on the public map (located ones) in coarse cells.
    assert [(c.longitude, c.latitude, c.members) for c in figures.preview] == [
        (9.0, 45.5, 3),  # Milan's three schools
        (7.5, 47.0, 1),  # the company in Bern
    ]
    assert page.count('class="kn-preview__dot"') == 2
    assert "4 members on the map" in page


def test_front_page_costs_the_same_queries_whatever_the_network(
    client: Client, django_assert_num_queries
):
    small_network()
    # Cold cache: the map feed's and the programmes' versions, then the figures' four
    # grouped queries.
    with django_assert_num_queries(6):
        assert client.get("/").status_code == 200
    # Warm: the versions only.
    with django_assert_num_queries(2):
        assert client.get("/").status_code == 200

    for country in ("FR", "DE", "AT"):
        member(CompanyFactory, country=country, latitude=46.0, longitude=10.0)
        member(MunicipalityFactory, joined_on=timezone.localdate())
    cache.clear()
    with django_assert_num_queries(6):
        response = client.get("/")
    assert response.context["figures"].members == 12


def test_front_page_shows_the_programmes_year_once_the_group_is_large_enough(
    client: Client, settings
):
    settings.IMPACT_MIN_GROUP_SIZE = 10
    small_network()
    this_year = timezone.localdate().replace(month=1, day=1)
    DeliveryFactory(started_on=this_year, students=7)
    page = client.get("/").content.decode()
    # 7 people is a group under the minimum: withheld; the programme itself is shown.
    assert "people reached by our programmes" not in page
    assert f"programme delivered in {this_year.year}" in page

    # A new delivery bumps the programmes' version: the cached page is not served again.
    DeliveryFactory(started_on=this_year, students=20, teachers=3)
    page = client.get("/").content.decode()
    assert f"people reached by our programmes in {this_year.year}" in page
    assert ">30<" in page and f"programmes delivered in {this_year.year}" in page
    DeliveryFactory(started_on=this_year.replace(year=this_year.year - 1), students=500)
    assert ">30<" in client.get("/").content.decode()  # last year's are not this year's


def test_front_page_figures_follow_a_change_of_the_network(client: Client):
    small_network()
    assert client.get("/").context["figures"].members == 6

    member(SchoolFactory)  # the core's network_changed bumps the version the cache keys on

    assert client.get("/").context["figures"].members == 7


def test_front_page_in_italian(client: Client):
    small_network()
    page = client.get("/?lang=it").content.decode()
    assert '<html lang="it">' in page
    assert "La rete oggi" in page and "membri attivi" in page
    assert 'href="/map/?lang=it"' in page and 'href="/join/?lang=it"' in page


def test_join_form_guides_in_sections(client: Client, settings):
    settings.JOIN_REQUEST_REVIEW_DAYS = 10
    page = html.unescape(client.get("/join/?lang=en").content.decode())
    legends = [part.split("</legend>")[0] for part in page.split("<legend>")[1:]]
    assert legends == [
        "Your municipality",
        "You",
        "The council's resolution",
        "Message and consent",
    ]
    assert "We write to you within 10 days." in page
    # The file's requirements come before the file input and describe it.
    requirements = page.index('id="id_resolution_file_helptext"')
    assert requirements < page.index('type="file"')
    assert 'aria-describedby="id_resolution_file_helptext"' in page
    assert "at most 10 MB" in page


def test_thank_you_page_sums_up_the_request(client: Client):
    ChapterFactory(email="italia@kindnet.example")
    castro_reference("BG")
    response = client.post("/join/?lang=en", join_form_data())
    join_request = JoinRequest.objects.get()

    page = html.unescape(client.get(response["Location"]).content.decode())

    assert join_request.reference in page and "Castro (BG)" in page
    assert f"no. 42/2026 of {date_format(join_request.resolution_date)}" in page
    assert "What to keep" in page and "What happens next" in page


def test_join_embed_sends_the_form_and_stays_in_the_frame(client: Client, settings):
    settings.JOIN_EMBED_ALLOWED_ORIGINS = ["https://www.kindness.example"]
    ChapterFactory(email="italia@kindnet.example")
    castro_reference("BG")

    page = client.get("/join/embed/?lang=it").content.decode()
    assert 'data-frame-origins="https://www.kindness.example"' in page
    assert "kindnet/frame.js" in page and "kn-site-header" not in page

    response = client.post(
        "/join/embed/?lang=it",
        join_form_data(language="it"),
        HTTP_ORIGIN="http://testserver",
    )
    reference = JoinRequest.objects.get().reference
    assert response["Location"] == f"/join/embed/thanks/{reference}/?lang=it"
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200 and "X-Frame-Options" not in thanks.headers
    assert "frame-ancestors https://www.kindness.example" in thanks["Content-Security-Policy"]


@pytest.mark.parametrize("origin", ["https://evil.example", "null", None])
def test_join_embed_refuses_a_post_from_another_site(client: Client, origin):
    castro_reference("BG")
    headers = {"HTTP_ORIGIN": origin} if origin else {}

    response = client.post("/join/embed/", join_form_data(), **headers)

    assert response.status_code == 403
    assert "The page has expired" in response.content.decode()
    assert not JoinRequest.objects.exists()


def test_not_found_in_the_visitors_language_with_a_way_back(client: Client):
    response = client.get("/no-such-page/?lang=it", HTTP_ACCEPT_LANGUAGE="en")
    page = html.unescape(response.content.decode())
    assert response.status_code == 404
    assert "Questa pagina non esiste" in page
    assert 'href="/?lang=it"' in page and "kindnet/site.css" in page


def test_bad_request_page_with_the_site_policy(client: Client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
    response = client.get("/map/?a=1&b=2&c=3&d=4&lang=it", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "This request could not be understood" in response.content.decode()
    # Refused by the view, not by a middleware: the security headers are there.
    assert "style-src 'self'" in response["Content-Security-Policy"]


def test_expired_form_page_leads_back_to_the_form():
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post("/join/?lang=it", {"language": "it"})
    page = html.unescape(response.content.decode())
    assert response.status_code == 403
    assert "La pagina è scaduta" in page and 'href="/join/?lang=it"' in page


@pytest.mark.parametrize(
    "handler, status, heading",
    [
        (
            lambda r: bad_request(r, SuspiciousOperation()),
            400,
            "Questa richiesta non è comprensibile",
        ),
        (lambda r: permission_denied(r, PermissionDenied()), 403, "Non puoi aprire questa pagina"),
        (lambda r: page_not_found(r, Http404()), 404, "Questa pagina non esiste"),
        # The 500 page is rendered without any request context.
        (server_error, 500, "Qualcosa è andato storto da parte nostra"),
    ],
)
def test_error_pages_in_the_visitors_language_with_a_way_back(handler, status, heading):
    request = RequestFactory().get("/")
    with translation.override("it"):
        response = handler(request)
    page = html.unescape(response.content.decode())
    assert response.status_code == status
    assert '<html lang="it">' in page and f"<h1>{heading}" in page
    assert 'href="/?lang=it"' in page


@pytest.mark.parametrize("path", ["/", "/map/", "/join/", "/join/privacy/", "/admin/login/"])
def test_favicon_on_public_pages_and_the_admin(client: Client, path):
    page = client.get(path).content.decode()
    assert '<link rel="icon" href="/static/kindnet/favicon.svg" type="image/svg+xml">' in page
