"""Signed agreements move from MEDIA_ROOT/agreements/<year>/<reference>.pdf (a guessable name
in a folder that could be served) to PRIVATE_ROOT under a generated name. Files that are not
there are left as they are (the row keeps its name; the download answers 404)."""

import shutil
import uuid
from pathlib import Path

from django.conf import settings
from django.db import migrations


def documents_move(apps, schema_editor):
    Agreement = apps.get_model("crm", "Agreement")
    HistoricalAgreement = apps.get_model("crm", "HistoricalAgreement")
    media, private = Path(settings.MEDIA_ROOT), Path(settings.PRIVATE_ROOT)
    for agreement in Agreement.objects.exclude(document="").only("pk", "document"):
        old = agreement.document.name
        source = media / old
        if not source.is_file():
            continue
        year = Path(old).parent.name
        new = f"agreements/{year}/{uuid.uuid4().hex}.pdf"
        (private / new).parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(source), private / new)
        Agreement.objects.filter(pk=agreement.pk).update(document=new)
        HistoricalAgreement.objects.filter(id=agreement.pk, document=old).update(document=new)


class Migration(migrations.Migration):
    dependencies = [("crm", "0009_roles")]

    operations = [migrations.RunPython(documents_move, migrations.RunPython.noop)]
