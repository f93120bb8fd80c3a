# The four tables were created by crm (0003_gazetteer, 0004_geocoding_cache_and_throttle)
# and keep their names: this migration only moves the models into this app's state;
# crm 0006_move_geocoding_models_out removes them from crm's state.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('crm', '0004_geocoding_cache_and_throttle'),
    ]

    state_operations = [
        migrations.CreateModel(
            name='GazetteerPlace',
            fields=[
                ('geonameid', models.PositiveIntegerField(primary_key=True, serialize=False, verbose_name='GeoNames id')),
                ('name', models.CharField(max_length=200, verbose_name='name')),
                ('country', models.CharField(max_length=2, verbose_name='country')),
                ('admin1_code', models.CharField(blank=True, help_text='GeoNames first-level division.', max_length=20, verbose_name='region code')),
                ('latitude', models.FloatField(verbose_name='latitude')),
                ('longitude', models.FloatField(verbose_name='longitude')),
                ('population', models.PositiveIntegerField(default=0, verbose_name='population')),
            ],
            options={
                'verbose_name': 'gazetteer place',
                'verbose_name_plural': 'gazetteer places',
                'db_table': 'crm_gazetteerplace',
                'ordering': ['country', 'name'],
            },
        ),
        migrations.CreateModel(
            name='GazetteerName',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('country', models.CharField(max_length=2)),
                ('search_name', models.CharField(max_length=200)),
                ('place', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='names', to='geocoding.gazetteerplace')),
            ],
            options={
                'verbose_name': 'gazetteer name',
                'verbose_name_plural': 'gazetteer names',
                'db_table': 'crm_gazetteername',
                'indexes': [models.Index(fields=['country', 'search_name'], name='crm_gazette_country_168f36_idx')],
                'constraints': [models.UniqueConstraint(fields=('place', 'search_name'), name='gazetteer_name_unique')],
            },
        ),
        migrations.CreateModel(
            name='GeocodeCacheEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(help_text='SHA-256 of query.', max_length=64, unique=True, verbose_name='key')),
                ('query', models.CharField(max_length=600, verbose_name='normalised query')),
                ('latitude', models.FloatField(verbose_name='latitude')),
                ('longitude', models.FloatField(verbose_name='longitude')),
                ('precision', models.CharField(choices=[('address', 'Address'), ('street', 'Street'), ('postal_code', 'Postal code'), ('city', 'City'), ('region', 'Region'), ('country', 'Country')], max_length=12, verbose_name='precision')),
                ('provider', models.CharField(max_length=40, verbose_name='source')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
            ],
            options={
                'verbose_name': 'geocoding cache entry',
                'verbose_name_plural': 'geocoding cache entries',
                'db_table': 'crm_geocodecacheentry',
                'ordering': ['query'],
            },
        ),
        migrations.CreateModel(
            name='GeocoderThrottle',
            fields=[
                ('name', models.CharField(max_length=200, primary_key=True, serialize=False, verbose_name='provider')),
                ('next_slot', models.FloatField(default=0.0, verbose_name='next free slot')),
            ],
            options={
                'verbose_name': 'geocoder throttle',
                'verbose_name_plural': 'geocoder throttles',
                'db_table': 'crm_geocoderthrottle',
            },
        ),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=state_operations, database_operations=[]),
    ]
