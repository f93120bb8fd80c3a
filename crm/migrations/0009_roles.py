"""The four roles as groups, with their permissions and a description (see README, Roles).

Other code finds the groups by name (crm/scope.py). The chapters a user works for are not
a role: they are the user's ChapterScope.
"""

from django.db import migrations

NETWORK = {
    "crm": ["member", "agreement", "contact", "recognition", "chapter", "sector"],
    "partners": ["school", "company", "organization"],
    "municipalities": ["municipality", "joinrequest", "municipalityreference"],
    "ambassadors": ["ambassador"],
}
WORKED_ON = [  # what a chapter manager creates and changes
    ("partners", "school"), ("partners", "company"), ("partners", "organization"),
    ("municipalities", "municipality"), ("municipalities", "joinrequest"),
    ("ambassadors", "ambassador"), ("crm", "agreement"), ("crm", "contact"),
    ("crm", "recognition"),
]
VIEW_ALL = [("view", app, model) for app, models in NETWORK.items() for model in models]

ROLES = {
    "Network admin": (
        "The international team: everything in the network (every member, agreement, contact, "
        "chapter, sector, join request), in every chapter, including people's data and "
        "municipality reference data. Tokens and task results stay with superusers.",
        [
            (action, app, model)
            for app, models in NETWORK.items()
            for model in models
            for action in ("view", "add", "change", "delete")
        ]
        + [
            ("export", "ambassadors", "ambassador"),
            ("export", "crm", "contact"),
            ("process_personal_data", "crm", "consentevent"),
            ("view", "crm", "consentevent"),
            ("view", "crm", "personaldataaccess"),
            ("view", "crm", "chapterscope"),
            ("add", "crm", "chapterscope"),
            ("change", "crm", "chapterscope"),
        ],
    ),
    "Chapter manager": (
        "Chapter staff: create and change members, agreements, contacts, recognitions and "
        "join requests (approve, reject) of their chapters; read chapters and sectors.",
        VIEW_ALL + [(action, app, model) for app, model in WORKED_ON for action in ("add", "change")],
    ),
    "Chapter viewer": (
        "Read only: the members, agreements, contacts and join requests of their chapters.",
        VIEW_ALL,
    ),
    "Data protection officer": (
        "People's data: export everything about a person, erase it, see consent events and who "
        "viewed personal data, apply retention. Reads the network of their chapters.",
        VIEW_ALL
        + [
            ("export", "ambassadors", "ambassador"),
            ("export", "crm", "contact"),
            ("process_personal_data", "crm", "consentevent"),
            ("view", "crm", "consentevent"),
            ("view", "crm", "personaldataaccess"),
            ("delete", "municipalities", "joinrequest"),
        ],
    ),
}


def roles_create(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after every migration has run; the groups need them now.
    for app_config in apps.get_app_configs():
        if app_config.label not in NETWORK:
            continue
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Role = apps.get_model("crm", "Role")
    for name, (description, perms) in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = [
            Permission.objects.get(
                content_type__app_label=app,
                content_type__model=model,
                codename=action if action == "process_personal_data" else f"{action}_{model}",
            )
            for action, app, model in perms
        ]
        group.permissions.add(*wanted)
        Role.objects.update_or_create(group=group, defaults={"description": description})


def roles_delete(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0008_scope_roles_consent_access_contact_history"),
        ("partners", "0001_initial"),
        ("municipalities", "0004_join_request_history"),
        ("ambassadors", "0003_alter_ambassador_appointed_on_and_more"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(roles_create, roles_delete)]
