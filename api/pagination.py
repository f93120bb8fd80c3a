"""Staff lists: numbered pages to row LIST_MAX_ROWS, or a cursor for a walk of any length.

- `?page=N` (default): numbered pages with a count that stops ten pages ahead; a page
  that starts after row LIST_MAX_ROWS is refused, since reaching it costs an OFFSET scan.
- `?cursor=` (empty to start, then the `next` link): keyset pages (DRF's cursor
  pagination) that cost the same at row 20 and row 900,000, for integrations that read
  a whole list. No count.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from crm.pagination import CountCappedPaginator


class KeysetPagination(pagination.CursorPagination):
    """Pages that start where the last one ended (`WHERE name > …`), in the list's own
    order: its default, or the one asked for with `ordering`."""

    page_size_query_param = "page_size"

    @property
    def max_page_size(self) -> int:  # type: ignore[override]
        return settings.API_MAX_PAGE_SIZE

    def get_ordering(self, request, queryset, view):
        ordering = None
        for backend in getattr(view, "filter_backends", ()):
            if issubclass(backend, OrderingFilter):
                ordering = backend().get_ordering(request, queryset, view)
        # A list with no declared order walks by primary key.
        ordering = ordering or queryset.query.order_by or queryset.model._meta.ordering
        return tuple(ordering or ("pk",))


class PageNumberPagination(pagination.PageNumberPagination):
    """`count` is exact up to the end of the LIST_PAGES_AHEAD-th page after this one (and
    at most LIST_MAX_ROWS); beyond, it is that row and `count_is_exact` is false: counting
    further would cost a scan of the table."""

    page_size_query_param = "page_size"
    cursor_query_param = "cursor"
    keyset: KeysetPagination | None = None

    def django_paginator_class(self, queryset, page_size):
        # Counts as far as the pages after the one asked for (crm.pagination).
        request = getattr(self, "request", None)  # set by paginate_queryset before this
        page = request.query_params.get(self.page_query_param) if request else None
        return CountCappedPaginator(queryset, page_size, page=page)

    @property
    def max_page_size(self) -> int:  # type: ignore[override]
        return settings.API_MAX_PAGE_SIZE

    def paginate_queryset(self, queryset, request, view=None):
        if self.cursor_query_param in request.query_params:
            self.keyset = KeysetPagination()
            page = self.keyset.paginate_queryset(queryset, request, view)
            self.display_page_controls = self.keyset.display_page_controls
            return page
        self.keyset = None
        # A page's cost grows with the rows the database skips to reach it (OFFSET):
        # lists are served to row LIST_MAX_ROWS; beyond it, filters narrow the list.
        number = request.query_params.get(self.page_query_param, "")
        size = self.get_page_size(request) or 1
        if number.isdecimal() and (int(number) - 1) * size >= settings.LIST_MAX_ROWS:
            raise ValidationError(
                {
                    self.page_query_param: _(
                        "Page %(page)s starts after row %(limit)s, the deepest a numbered "
                        "page goes. Narrow the list with its filters (for example status, "
                        "chapter, country or search), or read it with a cursor: ask for "
                        "cursor= (empty) instead of page, then follow next."
                    )
                    % {"page": number, "limit": f"{settings.LIST_MAX_ROWS:,}"}
                }
            )
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        if self.keyset is not None:
            return self.keyset.get_paginated_response(data)
        paginator = self.page.paginator
        return Response(
            {
                "count": min(paginator.count, paginator.count_limit),
                "count_is_exact": paginator.count_is_exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count"]["description"] = (
            "How many rows the list has, counted up to the end of the LIST_PAGES_AHEAD-th "
            "page after this one (10 by default) and at most to LIST_MAX_ROWS (20,000)."
        )
        response["properties"]["count_is_exact"] = {
            "type": "boolean",
            "description": "False when the list has more rows than `count`: follow `next`, "
            "or narrow the list with its filters.",
        }
        response["properties"]["next"]["description"] = (
            "The next page: a numbered page, or with `cursor`, the next cursor page."
        )
        # A cursor page has no count.
        response["required"] = [
            name for name in response["required"] if name not in {"count", "count_is_exact"}
        ]
        return response

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": (
                    "Read the list by cursor instead of by page number: empty for the first "
                    "page, then follow `next`. Each page costs the same however deep it "
                    "is, and the list is not limited to row LIST_MAX_ROWS; the answer has "
                    "no `count`. Cheapest in the list's default order."
                ),
                "schema": {"type": "string"},
            },
        ]

    def to_html(self):  # the browsable API's page links
        if self.keyset is not None:
            return self.keyset.to_html()
        return super().to_html()
