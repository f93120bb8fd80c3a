# The content types (and so the permissions) of the moved models follow them from crm to
# geocoding. Nothing to do on a new database (the rows do not exist yet) or when the
# geocoding rows already exist.

from django.db import migrations

MODELS = ['gazetteerplace', 'gazetteername', 'geocodecacheentry', 'geocoderthrottle']


def _relabel(apps, schema_editor, *, old: str, new: str) -> None:
    ContentType = apps.get_model('contenttypes', 'ContentType')
    db = schema_editor.connection.alias
    taken = set(
        ContentType.objects.using(db)
        .filter(app_label=new, model__in=MODELS)
        .values_list('model', flat=True)
    )
    ContentType.objects.using(db).filter(app_label=old, model__in=set(MODELS) - taken).update(
        app_label=new
    )


def forwards(apps, schema_editor):
    _relabel(apps, schema_editor, old='crm', new='geocoding')


def backwards(apps, schema_editor):
    _relabel(apps, schema_editor, old='geocoding', new='crm')


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('crm', '0006_move_geocoding_models_out'),
        ('geocoding', '0001_initial'),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
