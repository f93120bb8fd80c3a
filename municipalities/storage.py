"""Council resolutions live in the core's private storage (crm/storage.py)."""

from __future__ import annotations

from crm.storage import PrivateStorage, private_storage

__all__ = ["PrivateStorage", "private_storage"]
