"""The movement's areas of intervention and its first two country chapters, as data."""

from django.db import migrations

SECTORS = [
    ("education", "Education", "Istruzione"),
    ("health", "Health", "Salute"),
    ("environment", "Environment", "Ambiente"),
    ("culture", "Culture", "Cultura"),
    ("economy", "Economy", "Economia"),
    ("justice", "Justice", "Giustizia"),
    ("business", "Business", "Impresa"),
]
CHAPTERS = [
    ("Italy", "IT", "italia@kindnet.example"),
    ("Switzerland", "CH", "svizzera@kindnet.example"),
]


def load(apps, schema_editor):
    Sector = apps.get_model("crm", "Sector")
    Chapter = apps.get_model("crm", "Chapter")
    for slug, name_en, name_it in SECTORS:
        Sector.objects.get_or_create(slug=slug, defaults={"name_en": name_en, "name_it": name_it})
    for name, country, email in CHAPTERS:
        Chapter.objects.get_or_create(country=country, defaults={"name": name, "email": email})


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
