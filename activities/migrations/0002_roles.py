"""The roles' rights on activities and follow-ups (the roles: crm/migrations/0009_roles.py):
network admins and chapter managers log and change them, viewers and the data protection
officer read them."""

from django.db import migrations

MODELS = ["activity", "followup"]
RIGHTS = {
    "Network admin": ("view", "add", "change", "delete"),
    "Chapter manager": ("view", "add", "change", "delete"),
    "Chapter viewer": ("view",),
    "Data protection officer": ("view",),
}


def rights_grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("activities")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, actions in RIGHTS.items():
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="activities",
                codename__in=[f"{a}_{m}" for a in actions for m in MODELS],
            )
        )


def rights_revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=RIGHTS):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="activities"))


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0001_initial"),
        ("crm", "0009_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(rights_grant, rights_revoke)]
