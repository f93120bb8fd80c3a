"""WSGI entry point for Kindnet (gunicorn: deploy/gunicorn.conf.py)."""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kindnet.settings")


def static_files_require() -> None:
    """In production every page links hashed static files listed by `collectstatic`'s
    manifest; without it each such page would answer 500. Refuse to start instead."""
    from django.conf import settings

    if not settings.PRODUCTION:
        return
    manifest = Path(settings.STATIC_ROOT or "") / "staticfiles.json"
    if not manifest.is_file():
        raise ImproperlyConfigured(
            f"{manifest} is missing: run `manage.py collectstatic --noinput` before starting "
            "the web server (STATIC_ROOT; see docs/deploy.md)."
        )


application = get_wsgi_application()
static_files_require()
