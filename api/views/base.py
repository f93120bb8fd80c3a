"""What every staff viewset shares, so that each one is queryset, serializer and FilterSet.

The chapter scope (crm/scope.py) applies here, once: a list shows the user's chapters, another
chapter's id is a 404, and a write that would put a row outside them is a 400 that changes
nothing.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework import serializers, viewsets

from crm.people import personal_data_access_record
from crm.scope import scope_allows, scope_queryset

#: Ids in URLs: whole numbers that fit the database's integers; anything else is a 404
#: (a huge number would otherwise overflow SQLite's integers).
ID_PATTERN = r"[0-9]{1,18}"


class ChapterScopedMixin:
    def get_queryset(self):
        user = getattr(self.request, "user", None)  # None while the schema is generated
        return scope_queryset(super().get_queryset(), user)

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        model = self.get_queryset().model
        if getattr(model, "PERSONAL_RECORD", False):
            # A person's record read through the API is a view like its admin page.
            what = f"{model._meta.label} {kwargs.get(self.lookup_url_kwarg or self.lookup_field)}"
            personal_data_access_record(user=request.user, action="view", what=what)
        return response

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        # A page of people's records is read as surely as each record's own page.
        model = self.get_queryset().model
        rows = response.data.get("results", []) if isinstance(response.data, dict) else []
        people = [
            row.get(self.lookup_field if self.lookup_field != "pk" else "id")
            for row in rows
            if getattr(model, "PERSONAL_RECORD", False) or row.get("kind") == "ambassador"
        ]
        if people:
            what = f"{model._meta.label} list, {len(people)} shown: {', '.join(map(str, people))}"
            personal_data_access_record(user=request.user, action="view", what=what)
        return response

    def perform_create(self, serializer) -> None:
        self._save_in_scope(serializer)

    def perform_update(self, serializer) -> None:
        self._save_in_scope(serializer)

    def _save_in_scope(self, serializer) -> None:
        # Saved, then checked, in one transaction: the row's chapter may come from its
        # country or its member, which only the save works out.
        with transaction.atomic():
            instance = serializer.save()
            if not scope_allows(self.request.user, instance):
                raise serializers.ValidationError(
                    {"chapter": [_("This is outside the chapters you work for.")]}
                )


class NetworkViewSet(ChapterScopedMixin, viewsets.ModelViewSet):
    """Numeric ids; search and ordering come from the default filter backends, which read
    `search_fields`, `ordering_fields` and `ordering` of each subclass. Django
    `ValidationError`s raised by services become 400s in `api.exceptions`."""

    lookup_value_regex = ID_PATTERN


class NetworkReadOnlyViewSet(ChapterScopedMixin, viewsets.ReadOnlyModelViewSet):
    """A read-only list and detail with the same conventions as NetworkViewSet."""

    lookup_value_regex = ID_PATTERN
