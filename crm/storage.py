"""Where private documents (council resolutions, signed agreements) are kept: a folder with no URL.

The location is read from `settings.PRIVATE_ROOT` on every use (not once at import),
so tests and deployments can move it; files are only ever read back by the
authenticated staff download view.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """A FileSystemStorage under PRIVATE_ROOT that refuses to hand out URLs."""

    @property
    def base_location(self) -> str:
        return str(settings.PRIVATE_ROOT)

    @property
    def location(self) -> str:
        from pathlib import Path

        return str(Path(self.base_location).resolve())

    @property
    def base_url(self) -> None:
        return None

    def url(self, name: str | None) -> str:
        raise ValueError("Private files have no URL: use the staff download view.")

    def deconstruct(self):
        # Keep migrations free of the deployment's path.
        return ("crm.storage.PrivateStorage", (), {})


private_storage = PrivateStorage()
