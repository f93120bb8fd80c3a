from __future__ import annotations

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Compile the project's .po files into .mo files in pure Python, so that the "
        "install step needs no GNU gettext on the machine."
    )

    def handle(self, *args, **options) -> None:
        compiled = 0
        # One catalogue for the whole project, in LOCALE_PATHS (locale/).
        for locale_dir in settings.LOCALE_PATHS:
            for po_path in Path(locale_dir).glob("*/LC_MESSAGES/*.po"):
                po_file = polib.pofile(str(po_path))
                po_file.save_as_mofile(str(po_path.with_suffix(".mo")))
                compiled += 1
        self.stdout.write(f"Compiled {compiled} translation catalogue(s).")
