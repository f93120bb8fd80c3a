"""The movement's own instrument, so that measurements can be recorded from day one."""

from __future__ import annotations

from django.db import migrations


def add_b_kind_test(apps, schema_editor) -> None:
    Instrument = apps.get_model("impact", "Instrument")
    Instrument.objects.get_or_create(
        name="B-Kind Test",
        defaults={
            "description": (
                "The movement's psychometric measure of kindness. Check the score range "
                "against the version of the test in use."
            ),
            "scale_min": 0,
            "scale_max": 100,
        },
    )


class Migration(migrations.Migration):
    dependencies = [("impact", "0001_initial")]

    operations = [migrations.RunPython(add_b_kind_test, migrations.RunPython.noop)]
