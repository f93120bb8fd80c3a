"""Pages of staff lists whose cost does not grow with the table."""

from __future__ import annotations

from django.conf import settings
from django.contrib.admin.views.main import PAGE_VAR
from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CountCappedPaginator(Paginator):
    """A paginator that counts only as far as the next pages a reader can reach.

    Counting every row of a filtered list costs a scan of the table (a million members:
    the most expensive statement of the page). Counting up to the end of the
    `LIST_PAGES_AHEAD`-th page after the one asked for (and never beyond `LIST_MAX_ROWS`,
    the deepest row a list serves) costs a few hundred rows and still tells the reader
    which pages follow: the window moves on as they page. Beyond it, `count_is_exact`
    is False and the list says "more than `count_limit`".
    """

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, *, page=1):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.requested_page = page_number(page)

    @cached_property
    def count_limit(self) -> int:
        window = (self.requested_page + settings.LIST_PAGES_AHEAD) * int(self.per_page)
        return min(settings.LIST_MAX_ROWS, window)

    @cached_property
    def count(self) -> int:
        if hasattr(self.object_list, "query"):
            # Unordered: the database may stop at the first count_limit + 1 matches.
            return self.object_list.order_by()[: self.count_limit + 1].count()
        return len(self.object_list)

    @property
    def count_is_exact(self) -> bool:
        return self.count <= self.count_limit


def page_number(value) -> int:
    """The page a reader asked for, as the window's start (1 for anything not a page)."""
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return 1


class CountCappedListAdmin:
    """Mix into a ModelAdmin: its list counts from the page asked for, never the table."""

    paginator = CountCappedPaginator
    # "N results (M total)" would count the whole table on every filtered page.
    show_full_result_count = False

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        return self.paginator(
            queryset, per_page, orphans, allow_empty_first_page, page=request.GET.get(PAGE_VAR)
        )
