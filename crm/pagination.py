"""Pages of staff lists whose cost does not grow with the table."""

from __future__ import annotations

from django.conf import settings
from django.contrib.admin.views.main import PAGE_VAR, ChangeList
from django.core.paginator import Paginator
from django.db.models.expressions import RawSQL
from django.utils.functional import cached_property

#: The column that carries the capped count beside the rows of the page asked for.
WINDOW_COUNT = "paginator_window_count"


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
        if not hasattr(self.object_list, "query"):
            return len(self.object_list)
        rows = self._requested_rows
        if rows:
            return getattr(rows[0], WINDOW_COUNT)
        # No row on the page asked for (an empty list, or a page past its end).
        return self._capped().count()

    def _capped(self):
        # Unordered: the database may stop at the first count_limit + 1 matches.
        return self.object_list.order_by()[: self.count_limit + 1]

    @cached_property
    def _requested_rows(self) -> list:
        """The rows of the page asked for, each with the capped count beside it: one
        statement where a count and a page were two (each round trip costs about what
        a page's rows cost to read). The count is a sub-select the database runs once."""
        capped = self._capped().values("pk")
        sql, params = capped.query.get_compiler(using=capped.db).as_sql()
        bottom = (self.requested_page - 1) * int(self.per_page)
        counted = self.object_list.annotate(
            **{WINDOW_COUNT: RawSQL(f"SELECT COUNT(*) FROM ({sql}) AS capped", params)}
        )
        return list(counted[bottom : bottom + int(self.per_page)])

    def page(self, number):
        number = self.validate_number(number)
        if number == self.requested_page and not self.orphans and "_requested_rows" in vars(self):
            return self._get_page(self._requested_rows, number, self)
        return super().page(number)

    @property
    def count_is_exact(self) -> bool:
        return self.count <= self.count_limit


def page_number(value) -> int:
    """The page a reader asked for, as the window's start (1 for anything not a page)."""
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return 1


class CountCappedChangeList(ChangeList):
    """An admin list that shows the rows its paginator read with the count. Django's
    list reads a one-page list again (all of it, unpaginated): the same rows."""

    def get_results(self, request) -> None:
        super().get_results(request)
        paginator = self.paginator
        if (
            not self.multi_page
            and isinstance(paginator, CountCappedPaginator)
            and paginator.requested_page == 1
            and "_requested_rows" in vars(paginator)
        ):
            self.result_list = paginator._requested_rows


class CountCappedListAdmin:
    """Mix into a ModelAdmin: its list counts from the page asked for, never the table."""

    paginator = CountCappedPaginator
    # "N results (M total)" would count the whole table on every filtered page.
    show_full_result_count = False

    def get_changelist(self, request, **kwargs):
        return CountCappedChangeList

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        return self.paginator(
            queryset, per_page, orphans, allow_empty_first_page, page=request.GET.get(PAGE_VAR)
        )
