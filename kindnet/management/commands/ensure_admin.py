from __future__ import annotations

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create the staff superuser 'admin' if no superuser exists. The password comes "
        "from ADMIN_PASSWORD, or is generated and printed once."
    )

    def handle(self, *args, **options) -> None:
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write("A superuser exists already: nothing to do.")
            return
        if User.objects.filter(username="admin").exists():
            # Never take over someone's account; `make run` must still go on.
            self.stderr.write(
                "A user 'admin' exists but is not a superuser: create one with "
                "`manage.py createsuperuser`."
            )
            return
        password = os.environ.get("ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        User.objects.create_superuser("admin", "admin@kindnet.example", password)
        shown = "from ADMIN_PASSWORD" if os.environ.get("ADMIN_PASSWORD") else password
        self.stdout.write(self.style.SUCCESS(f"Created superuser 'admin' with password: {shown}"))
