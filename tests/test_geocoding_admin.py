"""Geocoding in the admin: the "geocode selected" action, the status filter, and the
manual-override map (Leaflet served locally, a draggable marker, landmarks offline)."""

from __future__ import annotations

import pytest

from crm.models import GeocodeStatus
from tests.factories import AmbassadorFactory, SchoolFactory
from tests.on_commit import geocoding_batches
from tests.test_geocoding import km, reload

pytestmark = pytest.mark.django_db


def test_admin_action_geocode_selected_enqueues_the_selection(
    gazetteer, staff_client, django_capture_on_commit_callbacks
):
    chosen = SchoolFactory.create_batch(2, city="Bologna", province="BO")
    manual = SchoolFactory(
        city="Roma", geocode_status=GeocodeStatus.MANUAL, latitude=1, longitude=1
    )
    other = SchoolFactory(city="Roma")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = staff_client.post(
            "/admin/partners/school/",
            {"action": "geocode_selected", "_selected_action": [m.pk for m in [*chosen, manual]]},
            follow=True,
        )
    assert response.status_code == 200
    assert len(geocoding_batches(callbacks)) == 1  # one task for the whole selection
    text = response.content.decode()
    assert "Geocoding of 3 members queued. 1 set by hand is left alone." in text
    assert {reload(m).geocode_status for m in chosen} == {GeocodeStatus.OK}
    assert reload(manual).coordinates == (1, 1)
    assert reload(other).geocode_status == GeocodeStatus.PENDING


def test_admin_action_on_the_all_members_list(
    gazetteer, staff_client, viewer_client, django_capture_on_commit_callbacks
):
    school = SchoolFactory(city="Bologna")
    ambassador = AmbassadorFactory(city="Roma")
    data = {"action": "geocode_selected", "_selected_action": [school.pk, ambassador.pk]}
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post("/admin/crm/member/", data, follow=True)
    assert "Geocoding of 2 members queued." in response.content.decode()
    assert reload(ambassador).geocode_status == GeocodeStatus.OK
    # The read-only viewer is not offered the action.
    assert "geocode_selected" not in viewer_client.get("/admin/crm/member/").content.decode()


@pytest.mark.parametrize("count", [3, 12])
def test_changelist_filters_by_geocoding_status_in_constant_queries(
    superuser_client, django_assert_max_num_queries, count
):
    SchoolFactory.create_batch(count, geocode_status=GeocodeStatus.FAILED, geocode_error="x")
    SchoolFactory(name="Already There", geocode_status=GeocodeStatus.OK, latitude=1, longitude=1)
    for url in ("/admin/partners/school/", "/admin/crm/member/"):
        # 13 with the second factor's device, which django-otp reads from the session.
        with django_assert_max_num_queries(13):
            response = superuser_client.get(url, {"geocode_status__exact": "failed"})
        assert response.status_code == 200
        assert response.context["cl"].result_count == count
        assert "Already There" not in response.content.decode()


def _change_form_data(response) -> dict:
    """The change form as the browser would post it back, unchanged."""
    data: dict = {}
    form = response.context["adminform"].form
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
    return data


def test_change_form_shows_the_map_with_leaflet_served_locally(superuser_client, settings):
    settings.MAP_TILE_URL = ""
    school = SchoolFactory(latitude=41.9, longitude=12.5, geocode_status=GeocodeStatus.OK)
    response = superuser_client.get(f"/admin/partners/school/{school.pk}/change/")
    html = response.content.decode()
    assert 'class="kindnet-member-map"' in html
    assert '<script src="/static/leaflet/leaflet.js">' in html
    assert 'href="/static/leaflet/leaflet.css"' in html
    assert "unpkg" not in html and "cdn" not in html.lower()
    assert 'data-tiles=""' in html  # MAP_TILE_URL empty: no tile server at all
    for path, marker in [
        ("/static/leaflet/leaflet.js", b"Leaflet"),
        ("/static/leaflet/images/marker-icon.png", b"PNG"),
        ("/static/geocoding/member_map.js", b"kindnet-member-map"),
    ]:
        static = superuser_client.get(path)  # served by whitenoise, from the package's files
        assert static.status_code == 200, path
        assert marker in b"".join(static.streaming_content)
        static.close()


def test_moving_the_marker_sets_coordinates_by_hand(
    superuser_client, django_capture_on_commit_callbacks
):
    school = SchoolFactory(latitude=41.9, longitude=12.5, geocode_status=GeocodeStatus.OK)
    url = f"/admin/partners/school/{school.pk}/change/"
    data = _change_form_data(superuser_client.get(url))
    # What the map script writes into the form when the marker is dropped.
    data.update(latitude="41.901234", longitude="12.456789", geocode_status="manual")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = superuser_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert geocoding_batches(callbacks) == []  # nothing to geocode
    school = reload(school)
    assert (school.latitude, school.longitude) == (41.901234, 12.456789)
    assert (school.geocode_status, school.geocode_provider) == ("manual", "staff")


def test_typed_coordinates_count_as_set_by_hand_and_survive_an_address_change(
    gazetteer, superuser_client, django_capture_on_commit_callbacks
):
    school = SchoolFactory(latitude=41.9, longitude=12.5, geocode_status=GeocodeStatus.OK)
    url = f"/admin/partners/school/{school.pk}/change/"
    data = _change_form_data(superuser_client.get(url))
    data.update(latitude="45.0", longitude="9.0")  # status left as it was: "ok"
    assert superuser_client.post(url, data).status_code == 302
    assert reload(school).geocode_status == GeocodeStatus.MANUAL

    data = _change_form_data(superuser_client.get(url))
    data.update(city="Milano")
    with django_capture_on_commit_callbacks(execute=True):
        assert superuser_client.post(url, data).status_code == 302
    school = reload(school)
    assert (school.city, school.coordinates, school.geocode_status) == (
        "Milano",
        (45.0, 9.0),
        "manual",
    )


def test_saving_an_address_in_the_admin_geocodes_after_commit(
    gazetteer, superuser_client, django_capture_on_commit_callbacks
):
    school = SchoolFactory(city="Roma", latitude=41.9, longitude=12.5, geocode_status="ok")
    url = f"/admin/partners/school/{school.pk}/change/"
    data = _change_form_data(superuser_client.get(url))
    data.update(city="Lugano", country="CH")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert superuser_client.post(url, data).status_code == 302
    assert len(geocoding_batches(callbacks)) == 1
    school = reload(school)
    assert school.geocode_status == GeocodeStatus.OK
    assert km(school.coordinates, (46.0101, 8.96)) < 5


def test_map_landmarks_come_from_the_gazetteer(gazetteer, viewer_client, anonymous_client):
    box = {"south": 45.8, "west": 8.7, "north": 46.3, "east": 9.2}  # around Lugano
    response = viewer_client.get("/admin/crm/member/map-places/", box)
    assert response.status_code == 200
    names = [place[2] for place in response.json()["places"]]
    assert "Lugano" in names and "Roma" not in names and len(names) <= 60
    assert all(45.8 <= p[0] <= 46.3 and 8.7 <= p[1] <= 9.2 for p in response.json()["places"])

    bad = viewer_client.get("/admin/crm/member/map-places/", {**box, "north": "up"})
    assert bad.status_code == 400
    assert bad.json() == {"error": "Give south, west, north and east as numbers."}
    assert anonymous_client.get("/admin/crm/member/map-places/", box).status_code == 302


@pytest.mark.browser
def test_dropping_the_marker_in_a_real_browser_fills_the_form(superuser_client, tmp_path):
    """The real change page, opened in headless Chromium: a click on the map moves the
    marker and writes coordinates and 'Set by hand' into the form."""
    import json
    import re
    import shutil
    import subprocess

    from django.contrib.staticfiles import finders

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no Chromium on this machine")
    school = SchoolFactory(latitude=41.9, longitude=12.5, geocode_status=GeocodeStatus.OK)
    html = superuser_client.get(f"/admin/partners/school/{school.pk}/change/").content.decode()
    html = re.sub(
        r'(src|href)="/static/([^"]+)"',
        lambda m: f'{m[1]}="file://{finders.find(m[2].split("?")[0])}"',
        html,
    )
    probe = """<pre id="probe">waiting</pre><script>
    setTimeout(function () {
      var map = document.querySelector(".kindnet-member-map"), r = map.getBoundingClientRect();
      var at = {bubbles: true, cancelable: true, button: 0,
                clientX: r.left + 60, clientY: r.top + 60};
      ["mousedown", "mouseup", "click"].forEach(function (type) {
        map.dispatchEvent(new MouseEvent(type, at));
      });
      document.getElementById("probe").textContent = JSON.stringify({
        draggable: document.querySelector(".leaflet-marker-draggable") !== null,
        lat: document.getElementById("id_latitude").value,
        lon: document.getElementById("id_longitude").value,
        status: document.getElementById("id_geocode_status").value});
    }, 800);</script>"""
    page = tmp_path / "change.html"
    page.write_text(html.replace("</body>", probe + "</body>"))
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files"]
    dom = subprocess.run(
        [browser, *flags, "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    found = json.loads(re.search(r'<pre id="probe">([^<]*)</pre>', dom)[1].replace("&quot;", '"'))
    assert found["draggable"] is True
    assert found["status"] == "manual"
    lat, lon = float(found["lat"]), float(found["lon"])
    assert (lat, lon) != (41.9, 12.5) and km((lat, lon), (41.9, 12.5)) < 20
