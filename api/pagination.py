"""Page-number pagination with a `page_size` parameter, a ceiling, and no deep pages."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"

    @property
    def max_page_size(self) -> int:  # type: ignore[override]
        return settings.API_MAX_PAGE_SIZE

    def paginate_queryset(self, queryset, request, view=None):
        # A page's cost grows with the rows the database skips to reach it (OFFSET):
        # lists are served to row API_MAX_LIST_ROWS; beyond it, filters narrow the list.
        number = request.query_params.get(self.page_query_param, "")
        size = self.get_page_size(request) or 1
        if number.isdigit() and (int(number) - 1) * size >= settings.API_MAX_LIST_ROWS:
            raise ValidationError(
                {
                    self.page_query_param: _(
                        "Page %(page)s starts after row %(limit)s, the deepest a list goes. "
                        "Narrow the list with its filters (for example status, chapter, "
                        "country or search) or sort it another way."
                    )
                    % {"page": number, "limit": f"{settings.API_MAX_LIST_ROWS:,}"}
                }
            )
        return super().paginate_queryset(queryset, request, view)
