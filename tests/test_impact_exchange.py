"""Import and export of programmes and deliveries: a round trip changes nothing, rows are
matched by their natural keys, bad rows write nothing, and the chapter scope holds."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Chapter, ChapterScope
from exchange.formats import SpreadsheetCSV
from impact.models import Delivery, Programme
from impact.resources import DeliveryResource, ProgrammeResource
from tests.conftest import login_verified
from tests.factories import (
    ChapterFactory,
    DeliveryFactory,
    ProgrammeFactory,
    SchoolFactory,
    SectorFactory,
    days,
    import_rows,
)

pytestmark = pytest.mark.django_db

DELIVERY_HEADER = ["member_kind", "member", "programme", "started_on", "sessions", "students"]


def errors_of(result) -> list[str]:
    return [str(message) for row in result.invalid_rows for message in row.error.messages]


@pytest.fixture
def network():
    italy = ChapterFactory(country="IT", name="Italy")
    swiss = ChapterFactory(country="CH", name="Switzerland")
    kindness = ProgrammeFactory(
        name="Kindness at school",
        chapter=italy,
        sectors=[SectorFactory()],
        accreditation="Accredited training course for teachers",
        accredited_by="Ministry of Education",
        accredited_on=days(-400),
        target_participants=5000,
        target_kind="students",
    )
    care = ProgrammeFactory(name="Kind care", chapter=swiss, programme_type="training")
    school = SchoolFactory(country="IT", school_code="BGIC80000A")
    clinic = SchoolFactory(country="CH", name="Scuola Lugano", city="Lugano")
    DeliveryFactory(programme=kindness, member=school, students=120, teachers=8)
    DeliveryFactory(programme=care, member=clinic, health_workers=40)
    return {"italy": italy, "kindness": kindness, "care": care, "school": school}


def test_export_then_import_changes_nothing(network, superuser, tmp_path):
    for name, resource in (("programmes", ProgrammeResource), ("deliveries", DeliveryResource)):
        target = tmp_path / f"{name}.csv"
        call_command("export", "csv", name, "--user", "alice", "--output", str(target))
        dataset = SpreadsheetCSV().create_dataset(target.read_bytes())
        assert len(dataset) == 2
        result = resource().import_data(dataset, dry_run=False, user=superuser)
        assert not result.has_errors() and not result.invalid_rows, errors_of(result)
        assert result.totals["new"] == 0 and result.totals["update"] == 0, result.totals
    rows = SpreadsheetCSV().create_dataset((tmp_path / "deliveries.csv").read_bytes()).dict
    italian = next(row for row in rows if row["member"] == "BGIC80000A")
    assert italian["programme"] == "Kindness at school" and italian["students"] == "120"
    rows = SpreadsheetCSV().create_dataset((tmp_path / "programmes.csv").read_bytes()).dict
    kindness = next(row for row in rows if row["name"] == "Kindness at school")
    assert kindness["chapter"] == "Italy" and kindness["sectors"] == "Education"
    assert kindness["accredited_by"] == "Ministry of Education"


def test_new_rows_create_and_known_rows_update(network, superuser):
    start = days(-10).isoformat()
    result = import_rows(
        DeliveryResource,
        DELIVERY_HEADER,
        ["school", "BGIC80000A", "kindness AT school", start, "3", "60"],
        user=superuser,
    )
    assert not result.invalid_rows, errors_of(result)
    delivery = Delivery.objects.get(started_on=start)
    assert delivery.programme == network["kindness"] and delivery.member_id == network["school"].pk
    assert (delivery.sessions, delivery.students) == (3, 60)
    result = import_rows(
        ProgrammeResource,
        ["name", "programme_type", "chapter", "starts_on", "target_participants"],
        ["Kindness at school", "course", "IT", days(-365).isoformat(), "6000"],
        ["Kind festival", "festival", "Italy", days(5).isoformat(), ""],
        user=superuser,
    )
    assert not result.invalid_rows, errors_of(result)
    assert result.totals["new"] == 1 and result.totals["update"] == 1, result.totals
    network["kindness"].refresh_from_db()
    assert network["kindness"].target_participants == 6000
    assert Programme.objects.get(name="Kind festival").chapter == network["italy"]


def test_unknown_or_ambiguous_programme_is_a_row_error_and_writes_nothing(network, superuser):
    start = days(-10).isoformat()
    result = import_rows(
        DeliveryResource,
        DELIVERY_HEADER,
        ["school", "BGIC80000A", "Kindness at school", start, "1", "10"],
        ["school", "BGIC80000A", "Kindness everywhere", start, "1", "10"],
        user=superuser,
    )
    assert errors_of(result) == [
        "No programme called “Kindness everywhere” in the chapters you work for."
    ]
    assert Delivery.objects.count() == 2  # all or nothing
    ProgrammeFactory(name="Kind care", chapter=network["italy"])
    result = import_rows(
        DeliveryResource,
        DELIVERY_HEADER,
        ["school", "BGIC80000A", "Kind care", start, "1", "10"],
        user=superuser,
    )
    assert errors_of(result) == [
        "2 programmes called “Kind care” (chapters Italy, Switzerland); "
        "rename one of them in the admin before importing."
    ]
    assert Delivery.objects.count() == 2


def test_chapter_staff_cannot_import_into_another_chapter(network, chapter_staff):
    ChapterScope.objects.filter(user=chapter_staff).update(all_chapters=False)
    ChapterScope.objects.get(user=chapter_staff).chapters.add(network["italy"])
    result = import_rows(
        DeliveryResource,
        ["member_kind", "member", "member_country", "programme", "started_on"],
        ["school", "BGIC80000A", "IT", "Kind care", days(-10).isoformat()],
        ["school", "Scuola Lugano", "CH", "Kindness at school", days(-10).isoformat()],
        user=chapter_staff,
    )
    assert sorted(errors_of(result)) == [
        "No programme called “Kind care” in the chapters you work for.",
        "This row is outside the chapters you work for; it cannot be imported.",
    ]
    result = import_rows(
        ProgrammeResource,
        ["name", "programme_type", "chapter", "starts_on"],
        ["Kind care", "workshop", "Switzerland", days(-365).isoformat()],
        user=chapter_staff,
    )
    assert errors_of(result) == [
        "This row is outside the chapters you work for; it cannot be imported."
    ]
    assert Delivery.objects.count() == 2
    assert Programme.objects.get(name="Kind care").programme_type == "training"


def test_export_queries_do_not_grow_with_rows(network, superuser, client):
    login_verified(client, superuser)
    swiss = Chapter.objects.get(country="CH")

    def export_queries(model: str) -> int:
        url = f"/admin/impact/{model}/export/"
        form = client.get(url).context["form"]
        skip = ("format", "resource", "export_items")
        data = {name: "on" for name in form.fields if name not in skip}
        data.update({"format": "0", "resource": "0"})
        with CaptureQueriesContext(connection) as queries:
            response = client.post(url, data)
            rows = SpreadsheetCSV().create_dataset(b"".join(response.streaming_content))
        assert len(rows) == Programme.objects.count()  # as many deliveries as programmes
        return len(queries)

    page = client.get("/admin/impact/programme/").content.decode()
    for link in ("report/", "import/", "export/", "import/template/"):  # the report stays
        assert f"/admin/impact/programme/{link}" in page
    before = {model: export_queries(model) for model in ("programme", "delivery")}
    for n in range(3):
        programme = ProgrammeFactory(chapter=swiss, sectors=[SectorFactory()])
        DeliveryFactory(programme=programme, member__school_code=f"BGIC8000{n}B")
    assert {model: export_queries(model) for model in ("programme", "delivery")} == before
