"""Staff lists cost a page, not a table: status filters are WHERE clauses the database can
index, and today's membership is computed for the rows a page shows only."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Agreement, AgreementStatus, Member, MembershipStatus
from tests.factories import AgreementFactory, SchoolFactory, days, today

pytestmark = pytest.mark.django_db

#: Agreements by what their dates say today: (signed_on, starts_on, ends_on, terminated_on).
AGREEMENT_SHAPES = {
    "draft": (None, days(-10), days(300), None),
    "signed, starts later": (days(-5), days(10), days(400), None),
    "open-ended": (days(-100), days(-100), None, None),
    "running": (days(-100), days(-100), days(300), None),
    "ends in 10 days": (days(-300), days(-300), days(10), None),
    "ends today": (days(-300), days(-300), today(), None),
    "ended": (days(-400), days(-400), days(-1), None),
    "terminated today": (days(-100), days(-100), days(300), today()),
    "terminated later": (days(-100), days(-100), days(300), days(5)),
}


def _agreement(member: Member, shape: str) -> Agreement:
    signed_on, starts_on, ends_on, terminated_on = AGREEMENT_SHAPES[shape]
    return AgreementFactory(
        member=member,
        signed_on=signed_on,
        starts_on=starts_on,
        ends_on=ends_on,
        terminated_on=terminated_on,
        termination_reason="Closed" if terminated_on else "",
    )


@pytest.fixture
def network() -> list[Member]:
    """A member with no agreement, one per shape, and one per pair of shapes."""
    shapes = list(AGREEMENT_SHAPES)
    members = [SchoolFactory(name="Nothing")]
    for combination in [(shape,) for shape in shapes] + list(itertools.combinations(shapes, 2)):
        member = SchoolFactory(name=" + ".join(combination))
        for shape in combination:
            _agreement(member, shape)
        members.append(member)
    return members


def test_membership_filters_agree_with_the_membership_shown(network):
    shown = dict(Member.objects.with_membership().values_list("pk", "membership"))
    assert set(shown.values()) == set(MembershipStatus.values)
    for status in MembershipStatus.values:
        filtered = set(Member.objects.with_membership_status(status).values_list("pk", flat=True))
        assert filtered == {pk for pk, shown_status in shown.items() if shown_status == status}
    assert not Member.objects.with_membership_status("happy").exists()


def test_agreement_status_filters_agree_with_each_agreement_status(network):
    agreements = list(Agreement.objects.all())
    assert {agreement.status_on() for agreement in agreements} == set(AgreementStatus.values)
    for status in AgreementStatus.values:
        filtered = set(Agreement.objects.with_status_in([status]).values_list("pk", flat=True))
        assert filtered == {a.pk for a in agreements if a.status_on() == status}, status
    pair = [AgreementStatus.DRAFT, AgreementStatus.EXPIRED]
    filtered = Agreement.objects.with_status_in(pair)
    assert {a.current_status for a in filtered} == set(pair)
    assert not Agreement.objects.with_status_in([]).exists()


def _list_queries(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/members/?status=active&page_size=5",
        "/api/v1/schools/?status=active&page_size=2&page=2",
        "/admin/crm/member/?membership=active",
        "/admin/partners/school/?membership=none",
    ],
)
def test_lists_compute_membership_for_the_page_only(network, superuser_client, url):
    queries = _list_queries(superuser_client, url)
    assert not [sql for sql in queries if "CASE" in sql]
    with_membership = [sql for sql in queries if sql.startswith('SELECT "crm_agreement"')]
    # One query computes the statuses from the agreements of the page's members, named by
    # id; the count and the page select their rows with EXISTS in the WHERE clause.
    assert len(with_membership) == 1, queries
    assert '"crm_agreement"."member_id" IN (' in with_membership[0]
    assert "GROUP BY" in with_membership[0]
    # The capped count is a sub-select of the page's own statement: one round trip.
    counts = [sql for sql in queries if "SELECT COUNT(*)" in sql]
    assert len(counts) == 1 and "EXISTS(" in counts[0] and "CASE" not in counts[0], counts
    assert counts[0].startswith('SELECT "crm_member"."id"')


def test_a_page_shows_each_members_own_membership(network, superuser_client):
    rows = superuser_client.get("/api/v1/members/?page_size=100").json()["results"]
    shown = dict(Member.objects.with_membership().values_list("pk", "membership"))
    assert len(rows) == len(network)
    assert {row["id"]: row["membership"] for row in rows} == shown
    page = superuser_client.get("/admin/partners/school/?membership=lapsed")
    labels = {str(MembershipStatus.LAPSED.label)}
    changelist = page.context["cl"]
    assert {str(MembershipStatus(m.membership).label) for m in changelist.result_list} == labels
    assert changelist.result_count == sum(1 for s in shown.values() if s == "lapsed")


def test_no_page_deeper_than_the_documented_limit(network, superuser_client, settings):
    settings.LIST_MAX_ROWS = 20
    assert superuser_client.get("/api/v1/members/?page_size=10&page=2").status_code == 200
    response = superuser_client.get("/api/v1/members/?page_size=10&page=3")
    assert response.status_code == 400
    message = str(response.json()["page"])
    assert "starts after row 20," in message and "filters" in message


def test_a_cursor_walks_the_whole_list_past_the_limit_in_constant_queries(
    network, superuser_client, settings
):
    settings.LIST_MAX_ROWS = 20  # numbered pages stop at row 20; a cursor does not
    message = str(superuser_client.get("/api/v1/members/?page_size=10&page=3").json()["page"])
    assert "cursor=" in message
    url, seen, statements = "/api/v1/members/?cursor=&page_size=7&status=active", [], set()
    while url:
        with CaptureQueriesContext(connection) as captured:
            body = superuser_client.get(url).json()
        assert "count" not in body
        seen += [(row["name"], row["id"]) for row in body["results"]]
        statements.add(len(captured.captured_queries))
        url = body["next"]
    active = Member.objects.filter(pk__in=[m.pk for m in network]).with_membership()
    expected = sorted((m.name, m.pk) for m in active if m.membership == MembershipStatus.ACTIVE)
    assert seen == expected and len(seen) > 20
    assert len(statements) == 1  # the first page and the last cost the same statements
    # No row twice and none left out, even when names repeat (the cursor carries an offset).
    SchoolFactory.create_batch(9, name="Same name")
    names = []
    url = "/api/v1/members/?cursor=&page_size=4&search=Same"
    while url:
        body = superuser_client.get(url).json()
        names += [row["id"] for row in body["results"]]
        url = body["next"]
    assert len(names) == len(set(names)) == 9
    # Another order, backwards with `previous`: the same rows in reverse.
    first = superuser_client.get("/api/v1/members/?cursor=&page_size=5&ordering=-id").json()
    second = superuser_client.get(first["next"]).json()
    back = superuser_client.get(second["previous"]).json()
    assert [r["id"] for r in back["results"]] == [r["id"] for r in first["results"]]
    assert [r["id"] for r in first["results"]] == sorted(
        (r["id"] for r in first["results"]), reverse=True
    )
    bad = superuser_client.get("/api/v1/members/?cursor=not-a-cursor")
    assert bad.status_code == 404 and "cursor" in str(bad.json()).lower()


def test_lists_count_up_to_the_limit_and_say_so(network, superuser_client, settings):
    settings.LIST_MAX_ROWS = 20
    body = superuser_client.get("/api/v1/members/?page_size=5").json()
    assert (body["count"], body["count_is_exact"]) == (20, False)
    assert body["next"]
    queries = _list_queries(superuser_client, "/admin/partners/school/")
    counts = [sql for sql in queries if "SELECT COUNT(*)" in sql]
    assert len(counts) == 1 and "LIMIT 21" in counts[0]
    page = superuser_client.get("/admin/partners/school/")
    assert "More than 20 schools: the next pages appear" in page.content.decode()
    agreements = superuser_client.get("/admin/crm/agreement/")
    assert "More than 20 agreements" in agreements.content.decode()

    settings.LIST_MAX_ROWS = 1000
    body = superuser_client.get("/api/v1/members/?page_size=5").json()
    assert (body["count"], body["count_is_exact"]) == (len(network), True)
    page = superuser_client.get("/admin/partners/school/").content.decode()
    assert f"{len(network)} schools" in page and "More than" not in page


def test_lists_count_only_a_few_pages_past_the_one_asked_for(network, superuser_client, settings):
    # 2 pages ahead of 2 rows: page 1 counts up to row 6, page 2 up to row 8.
    settings.LIST_PAGES_AHEAD = 2
    assert len(network) > 8
    body = superuser_client.get("/api/v1/members/?page_size=2").json()
    assert (body["count"], body["count_is_exact"]) == (6, False)
    body = superuser_client.get("/api/v1/members/?page_size=2&page=2").json()
    assert (body["count"], body["count_is_exact"]) == (8, False)
    last = -(-len(network) // 2)
    body = superuser_client.get(f"/api/v1/members/?page_size=2&page={last}").json()
    assert (body["count"], body["count_is_exact"]) == (len(network), True)

    # The admin's pages of 50 rows: page 1 (`?p=1`) counts up to row (1 + 2) * 50.
    queries = _list_queries(superuser_client, "/admin/partners/school/?p=1")
    counts = [sql for sql in queries if "SELECT COUNT(*)" in sql]
    assert len(counts) == 1 and "LIMIT 151" in counts[0]


def test_a_page_and_its_count_are_one_statement_and_agree_with_two(
    network, superuser_client, settings
):
    settings.LIST_PAGES_AHEAD = 1
    url = "/api/v1/members/?page_size=3&page=2&ordering=name"
    queries = _list_queries(superuser_client, url)
    body = superuser_client.get(url).json()
    pages = [sql for sql in queries if sql.startswith('SELECT "crm_member"."id"')]
    assert len(pages) == 1 and "SELECT COUNT(*)" in pages[0]
    names = sorted((m.name, m.pk) for m in network)
    assert [row["id"] for row in body["results"]] == [pk for _, pk in names[3:6]]
    # Page 2 of 3 rows, one page ahead: counted to the end of page 3, row 9.
    assert (body["count"], body["count_is_exact"]) == (9, False)

    # A page past the end has no row to carry the count: it is counted on its own, and
    # the answer is DRF's "Invalid page." as before.
    past = superuser_client.get("/api/v1/members/?page_size=3&page=900")
    assert past.status_code == 404 and past.json() == {"detail": "Invalid page."}


def test_a_one_page_admin_list_reads_its_rows_once(network, superuser_client):
    queries = _list_queries(superuser_client, "/admin/partners/school/?membership=lapsed")
    # (The sidebar's choices read the table too, as a loose index scan, until cached.)
    rows = [sql for sql in queries if 'FROM "partners_school"' in sql and "RECURSIVE" not in sql]
    assert len(rows) == 1 and "SELECT COUNT(*)" in rows[0], queries


def test_sidebar_choices_skip_through_the_index_in_one_statement(django_assert_num_queries):
    from crm.distinct import distinct_values
    from partners.models import School
    from tests.factories import CompanyFactory

    for region in ["Veneto", "Lazio", "", "Lazio", "Abruzzo"]:
        SchoolFactory(region=region)
    CompanyFactory(region="Toscana", country="CH")
    with django_assert_num_queries(1) as captured:
        assert distinct_values(Member.objects.all(), "region") == [
            "Abruzzo",
            "Lazio",
            "Toscana",
            "Veneto",
        ]
    assert "DISTINCT" not in captured.captured_queries[0]["sql"]
    assert distinct_values(School.objects.all(), "region") == ["Abruzzo", "Lazio", "Veneto"]
    assert distinct_values(Member.objects.filter(region="Lazio"), "country") == ["IT"]
    assert distinct_values(Member.objects.none(), "region") == []
    assert distinct_values(School.objects.filter(region="Molise"), "region") == []


@pytest.mark.parametrize("page", ["²", "٣", "-1", "last", "1e3", ""])
def test_odd_page_numbers_are_answered_not_crashed(superuser_client, page):
    response = superuser_client.get("/api/v1/members/", {"page": page})
    assert response.status_code in (200, 404), (page, response.status_code)


SIDEBAR_TABLES = ('FROM "crm_chapter"', 'FROM "crm_sector"', "kindnet_distinct")


def _sidebar_statements(client, url: str) -> list[str]:
    return [sql for sql in _list_queries(client, url) if any(t in sql for t in SIDEBAR_TABLES)]


def _choices(response, name: str) -> list[str]:
    """The choices of the sidebar filter on `name` (a field or a parameter)."""
    spec = next(
        s
        for s in response.context["cl"].filter_specs
        if name in (getattr(s, "field_path", None), getattr(s, "parameter_name", None))
    )
    return [str(c["display"]) for c in spec.choices(response.context["cl"])][1:]  # no "All"


def test_sidebar_choices_are_read_once_until_the_network_changes(superuser_client, viewer):
    from tests.conftest import login_verified
    from tests.factories import ChapterFactory, SectorFactory

    school = SchoolFactory(region="Lazio")
    SectorFactory(slug="health", name_en="Health", name_it="Salute")
    url = "/admin/partners/school/"
    assert len(_sidebar_statements(superuser_client, url)) == 4  # chapters, sectors, 2 scans
    assert _sidebar_statements(superuser_client, url) == []
    assert _sidebar_statements(superuser_client, url + "?membership=active") == []

    # A member saved with a new region, a new chapter: both at the next page.
    school.region = "Molise"
    school.save()
    page = superuser_client.get(url)
    assert _choices(page, "region") == ["Molise"]
    ChapterFactory(name="Österreich", country="AT")
    assert "Österreich" in _choices(superuser_client.get(url), "chapter")
    # Languages and users' scopes are cached apart: Italian sector names on an Italian
    # page, only their chapters for a user of one chapter.
    assert "Health" in _choices(superuser_client.get(url), "sectors")
    italian = _choices(superuser_client.get(url, HTTP_ACCEPT_LANGUAGE="it"), "sectors")
    assert "Salute" in italian and "Health" not in italian
    scoped = login_verified(type(superuser_client)(), viewer)
    viewer.chapter_scope.all_chapters = False
    viewer.chapter_scope.save()
    viewer.chapter_scope.chapters.set([school.chapter])
    chapters = _choices(scoped.get(url), "chapter")
    assert str(school.chapter) in chapters and "Österreich" not in chapters


def test_sidebar_choices_without_the_cache_are_read_every_time(superuser_client, settings):
    from tests.test_cache_down import DEAD_REDIS, _redis

    SchoolFactory(region="Lazio")
    settings.CACHES = _redis(DEAD_REDIS)
    url = "/admin/partners/school/"
    for _ in range(2):
        page = superuser_client.get(url)
        assert page.status_code == 200 and _choices(page, "region") == ["Lazio"]
    assert len(_sidebar_statements(superuser_client, url)) == 4
