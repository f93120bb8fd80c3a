"""Page-number pagination with a `page_size` parameter, a ceiling, and no deep pages."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from crm.pagination import CountCappedPaginator


class PageNumberPagination(pagination.PageNumberPagination):
    """`count` is exact up to the end of the LIST_PAGES_AHEAD-th page after this one (and
    at most LIST_MAX_ROWS); beyond, it is that row and `count_is_exact` is false: counting
    further would cost a scan of the table."""

    page_size_query_param = "page_size"

    def django_paginator_class(self, queryset, page_size):
        # Counts as far as the pages after the one asked for (crm.pagination).
        request = getattr(self, "request", None)  # set by paginate_queryset before this
        page = request.query_params.get(self.page_query_param) if request else None
        return CountCappedPaginator(queryset, page_size, page=page)

    @property
    def max_page_size(self) -> int:  # type: ignore[override]
        return settings.API_MAX_PAGE_SIZE

    def paginate_queryset(self, queryset, request, view=None):
        # A page's cost grows with the rows the database skips to reach it (OFFSET):
        # lists are served to row LIST_MAX_ROWS; beyond it, filters narrow the list.
        number = request.query_params.get(self.page_query_param, "")
        size = self.get_page_size(request) or 1
        if number.isdecimal() and (int(number) - 1) * size >= settings.LIST_MAX_ROWS:
            raise ValidationError(
                {
                    self.page_query_param: _(
                        "Page %(page)s starts after row %(limit)s, the deepest a list goes. "
                        "Narrow the list with its filters (for example status, chapter, "
                        "country or search) or sort it another way."
                    )
                    % {"page": number, "limit": f"{settings.LIST_MAX_ROWS:,}"}
                }
            )
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
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
        response["required"] = [*response["required"], "count_is_exact"]
        return response
