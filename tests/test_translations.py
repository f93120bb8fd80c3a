"""English and Italian ship with the project; the admin follows the user's language."""

from __future__ import annotations

import shutil
from pathlib import Path

import polib
import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib import admin
from django.core.management import call_command
from django.utils import translation

from tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db

PO_FILE = Path(django_settings.BASE_DIR) / "locale" / "it" / "LC_MESSAGES" / "django.po"
PROJECT_APPS = {"crm", "partners", "municipalities", "ambassadors"}


@pytest.fixture(autouse=True)
def compiled_catalogues(settings):
    """Compile as `make` does, then make Django read the catalogues afresh."""
    mo_file = PO_FILE.with_suffix(".mo")
    if not mo_file.exists() or mo_file.stat().st_mtime < PO_FILE.stat().st_mtime:
        call_command("compiletranslations")
    # Changing LOCALE_PATHS empties Django's cache of loaded catalogues.
    settings.LOCALE_PATHS = list(settings.LOCALE_PATHS)


def test_every_italian_entry_is_translated():
    catalogue = polib.pofile(str(PO_FILE))
    assert len(catalogue) > 200
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []
    for entry in catalogue.translated_entries():
        if "python-format" in entry.flags:
            placeholders = sorted(part.split(")")[0] for part in entry.msgid.split("%(")[1:])
            translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
            for text in translations:
                assert sorted(p.split(")")[0] for p in text.split("%(")[1:]) == placeholders


def test_compiletranslations_writes_mo_files(tmp_path, settings, capsys):
    locale = tmp_path / "locale"
    shutil.copytree(PO_FILE.parents[2], locale, ignore=shutil.ignore_patterns("*.mo"))
    settings.LOCALE_PATHS = [locale]
    call_command("compiletranslations")
    assert "Compiled 1 translation catalogue(s)." in capsys.readouterr().out
    mo = polib.mofile(str(locale / "it" / "LC_MESSAGES" / "django.mo"))
    assert {e.msgid: e.msgstr for e in mo}["schools"] == "scuole"


def test_admin_follows_the_browser_language(superuser_client):
    italian = superuser_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="it").content.decode()
    for label in ("Scuole", "Accordi", "Comuni", "Ambasciatori", "Amministrazione della rete"):
        assert label in italian
    english = superuser_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Schools" in english and "Agreements" in english
    assert "Scuole" not in english


def test_filters_choices_and_errors_in_italian(superuser_client):
    SchoolFactory(school_code="RMIC8A9005")
    listing = superuser_client.get(
        "/admin/partners/school/", HTTP_ACCEPT_LANGUAGE="it"
    ).content.decode()
    assert "Aderente attivo" in listing
    assert "entro 30 giorni" in listing
    data = {
        "name": "Doppione",
        "country": "IT",
        "geocode_status": "pending",
        "school_code": "RMIC8A9005",
        **{
            f"{prefix}-{key}": value
            for prefix in ("contacts", "agreements", "recognitions")
            for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
        },
    }
    response = superuser_client.post("/admin/partners/school/add/", data, HTTP_ACCEPT_LANGUAGE="it")
    assert response.status_code == 200
    assert "Esiste già una scuola con questo codice meccanografico." in response.content.decode()


def test_every_model_name_is_translated():
    models = [
        model
        for model in apps.get_models()
        if model._meta.app_label in PROJECT_APPS and admin.site.is_registered(model)
    ]
    assert len(models) == 15  # with join requests, the official list, consent events, accesses
    for model in models:
        with translation.override("en"):
            english = str(model._meta.verbose_name_plural)
        with translation.override("it"):
            italian = str(model._meta.verbose_name_plural)
        assert italian != english, model
