"""Authorisation of the staff API: Django's model permissions, reading included."""

from __future__ import annotations

from rest_framework.permissions import DjangoModelPermissions


class ModelPermissions(DjangoModelPermissions):
    """view_* to read, add_/change_/delete_* to write, as in the admin.

    DRF's own class lets any authenticated user read; a read-only staff group must
    hold the view permission, and a user without it sees nothing.
    """

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }
