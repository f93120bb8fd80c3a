"""What the four roles (crm/migrations/0009_roles.py) may do with mailings: chapter staff
write to their chapters' people; the data protection officer sees who signed up and who
asked for nothing more; subscribers and suppressed addresses belong to no chapter."""

from django.db import migrations

PERMISSIONS = {
    "Network admin": [
        *((action, model) for model in ("audience", "mailing") for action in ("view", "add", "change", "delete")),
        ("view", "subscriber"),
        ("view", "suppression"),
        ("add", "suppression"),
        ("delete", "suppression"),
    ],
    "Chapter manager": [
        *((action, model) for model in ("audience", "mailing") for action in ("view", "add", "change")),
    ],
    "Chapter viewer": [("view", "audience"), ("view", "mailing")],
    "Data protection officer": [
        ("view", "subscriber"),
        ("view", "suppression"),
        ("add", "suppression"),
        ("delete", "suppression"),
    ],
}


def roles_grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("mailings")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *(
                Permission.objects.get(
                    content_type__app_label="mailings", codename=f"{action}_{model}"
                )
                for action, model in perms
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("mailings", "0001_initial"),
        ("crm", "0009_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(roles_grant, migrations.RunPython.noop)]
