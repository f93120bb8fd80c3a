"""What every staff viewset shares, so that each one is queryset, serializer and FilterSet."""

from __future__ import annotations

from rest_framework import viewsets

#: Ids in URLs: whole numbers that fit the database's integers; anything else is a 404
#: (a huge number would otherwise overflow SQLite's integers).
ID_PATTERN = r"[0-9]{1,18}"


class NetworkViewSet(viewsets.ModelViewSet):
    """Numeric ids; search and ordering come from the default filter backends, which read
    `search_fields`, `ordering_fields` and `ordering` of each subclass. Django
    `ValidationError`s raised by services become 400s in `api.exceptions`."""

    lookup_value_regex = ID_PATTERN


class NetworkReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    """A read-only list and detail with the same conventions as NetworkViewSet."""

    lookup_value_regex = ID_PATTERN
