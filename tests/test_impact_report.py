"""The impact report for staff: every breakdown of a hand-made impact_network, progress against
targets, measured change with its n, small groups withheld on the page and in the CSV
and XLSX files, the chapter scope, constant queries."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import Group
from openpyxl import load_workbook

from crm.models import ChapterScope
from impact.models import Delivery
from impact.selectors import ReportFilters, impact_report
from tests.conftest import login_verified
from tests.impact_network import Y1, Y2

pytestmark = pytest.mark.django_db
URL = "/admin/impact/programme/report/"


def _table(breakdown):
    return [(row.label, row.deliveries, row.sessions, row.people) for row in breakdown.rows]


def test_every_breakdown_of_the_report(impact_network):
    report = impact_report(deliveries=Delivery.objects.all())
    by = {breakdown.name: breakdown for breakdown in report.breakdowns}

    assert (report.total.deliveries, report.total.sessions, report.total.people) == (4, 10, 303)
    assert report.total.kind_counts == [70, None, None, 0, 200]
    assert _table(by["year"]) == [(str(Y1), 2, 5, 58), (str(Y2), 2, 5, 245)]
    assert _table(by["sector"]) == [("Education", 3, 8, 278), ("Health", 2, 3, 225)]
    # 25 health workers in Switzerland: shown (not under 10), and so is Italy's 278.
    assert _table(by["country"]) == [("Switzerland", 1, 2, 25), ("Italy", 3, 8, 278)]
    assert _table(by["chapter"]) == [("Italy", 3, 8, 278), ("Switzerland", 1, 2, 25)]
    assert _table(by["programme"]) == [
        ("Kind care", 1, 2, 25),
        ("Kindness at school", 2, 7, 78),
        ("Kindness festival", 1, 1, 200),
    ]
    assert _table(by["member_kind"]) == [
        ("Company", 1, 2, 25),
        ("Municipality", 1, 1, 200),
        ("School", 2, 7, 78),
    ]
    [progress] = report.progress
    assert (progress.programme.name, progress.target, progress.reached, progress.percent) == (
        "Kindness at school",
        100,
        70,
        70,
    )
    bkind, empathy = report.change
    assert (bkind.instrument, bkind.change.respondents) == ("B-Kind Test", 25)
    assert round(bkind.change.change, 2) == 4.8
    # Within- and between-group spread: sqrt((19 * 10² + 20 * 60² + 5 * 70² - 25 * 62²) / 24).
    assert round(bkind.change.sd_before, 3) == 9.789
    assert (empathy.change.respondents, empathy.change.change) == (None, None)


def test_filters_of_the_report(impact_network):
    deliveries = Delivery.objects.all()

    year = impact_report(deliveries=deliveries, filters=ReportFilters(year=Y1))
    training = impact_report(
        deliveries=deliveries, filters=ReportFilters(programme_type="training")
    )

    assert (year.total.deliveries, year.total.people) == (2, 58)
    assert year.years == [Y1, Y2]  # every year stays offered
    assert (training.total.deliveries, training.total.people) == (1, 25)


def test_a_small_row_and_its_complement_are_withheld(impact_network, settings):
    Delivery.objects.filter(programme__name="Kind care").update(health_workers=4)

    report = impact_report(deliveries=Delivery.objects.all())
    by = {breakdown.name: breakdown for breakdown in report.breakdowns}

    # Switzerland (4) is withheld, and Italy too: the total would give Switzerland away.
    assert _table(by["country"]) == [("Switzerland", 1, 2, None), ("Italy", 3, 8, None)]
    assert by["programme"].rows[0].people is None


def test_the_page_shows_figures_charts_and_withheld_groups(
    impact_network,
    superuser_client,
    django_assert_max_num_queries,
):
    with django_assert_max_num_queries(25):
        response = superuser_client.get(URL)

    page = response.content.decode()
    assert response.status_code == 200
    assert "303 people reached" in page
    assert "&lt;10" in page  # the 8 teachers
    assert '<progress max="100" value="70"' in page
    assert "<svg" in page and 'class="kn-impact__bar"' in page
    assert "Too few respondents to show." in page  # the six of the empathy scale
    assert "4.80" in page
    assert 'href="?format=csv"' in page


def test_csv_export_withholds_small_groups(impact_network, superuser_client):
    response = superuser_client.get(URL, {"format": "csv"})

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="impact-report-all-years.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["Section", "Group", "Deliveries", "Sessions", "People reached"]
    assert rows[1] == ["Total", "All", "4", "10", "303", "70", "<10", "<10", "0", "200"]
    empathy = next(row for row in rows if row[1:2] == ["Empathy scale"])
    assert empathy[3:] == ["1", "<10", "<10", "<10", "<10", "<10"]
    assert not any(row[:1] == ["Total"] and "8" in row for row in rows)


def test_xlsx_export_has_a_sheet_per_section(impact_network, superuser_client):
    response = superuser_client.get(URL, {"format": "xlsx", "year": Y1})

    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames[:3] == ["Total", "By year", "By sector"]
    total = list(book["Total"].values)
    assert total[1] == ("All", 2, 5, 58, 30, "<10", "<10", 0, 0)
    assert next(iter(book["Measured change"].values))[0] == "Instrument"


def test_a_chapter_sees_its_own_deliveries_only(impact_network, django_user_model, client):
    manager = django_user_model.objects.create_user("it-manager", password="pw", is_staff=True)
    manager.groups.add(Group.objects.get(name="Chapter manager"))
    italy = impact_network["schools"][0].chapter
    ChapterScope.objects.create(user=manager).chapters.add(italy)
    login_verified(client, manager)

    page = client.get(URL).content.decode()

    assert "278 people reached" in page and "Switzerland" not in page
    assert client.get(URL, {"format": "csv"}).status_code == 200


def test_viewers_without_impact_rights_get_no_report(impact_network, django_user_model, client):
    user = django_user_model.objects.create_user("nobody", password="pw", is_staff=True)
    login_verified(client, user)

    assert client.get(URL).status_code == 403
