"""The roles (crm's groups) get their rights on programmes, deliveries and measurements:
chapter managers record what their chapters do; the network admin also keeps the
instruments and the rules of recognitions; viewers and the data protection officer read."""

from __future__ import annotations

from django.db import migrations

MODELS = ["programme", "delivery", "measurement", "instrument", "recognitionrule"]
RECORDED = ["programme", "delivery", "measurement"]  # what a chapter manager writes
ALL_ACTIONS = ("view", "add", "change", "delete")
RIGHTS = {
    "Network admin": [(action, model) for model in MODELS for action in ALL_ACTIONS],
    "Chapter manager": [("view", model) for model in MODELS]
    + [(action, model) for model in RECORDED for action in ("add", "change", "delete")],
    "Chapter viewer": [("view", model) for model in MODELS],
    "Data protection officer": [("view", model) for model in MODELS],
}


def rights_grant(apps, schema_editor) -> None:
    from django.contrib.auth.management import create_permissions

    config = apps.get_app_config("impact")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, rights in RIGHTS.items():
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        group.permissions.add(
            *(
                Permission.objects.get(
                    content_type__app_label="impact", codename=f"{action}_{model}"
                )
                for action, model in rights
            )
        )


def rights_revoke(apps, schema_editor) -> None:
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=RIGHTS):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="impact"))


class Migration(migrations.Migration):
    dependencies = [
        ("impact", "0002_b_kind_test"),
        ("crm", "0009_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(rights_grant, rights_revoke)]
