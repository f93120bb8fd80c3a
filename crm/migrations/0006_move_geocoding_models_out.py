# The gazetteer, the geocoding cache and the geocoder throttle now belong to the geocoding
# app (geocoding 0001_initial), which keeps their tables: removed from crm's state only.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0005_imports_export_contact_permission'),
        ('geocoding', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='GazetteerName'),
                migrations.DeleteModel(name='GazetteerPlace'),
                migrations.DeleteModel(name='GeocodeCacheEntry'),
                migrations.DeleteModel(name='GeocoderThrottle'),
            ],
            database_operations=[],
        ),
    ]
