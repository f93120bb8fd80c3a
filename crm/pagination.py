"""Pages of staff lists whose cost does not grow with the table."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CountCappedPaginator(Paginator):
    """A paginator that counts at most `LIST_MAX_ROWS` + 1 rows.

    Counting every row of a filtered list costs a scan of the table (a million members:
    the most expensive statement of the page); counting up to the deepest row a list
    serves costs at most that many rows and tells the same pages apart. Beyond it,
    `count_is_exact` is False and the list says "more than LIST_MAX_ROWS".
    """

    @cached_property
    def count(self) -> int:
        limit = settings.LIST_MAX_ROWS
        if hasattr(self.object_list, "query"):
            # Unordered: the database may stop at the first LIST_MAX_ROWS + 1 matches.
            return self.object_list.order_by()[: limit + 1].count()
        return len(self.object_list)

    @property
    def count_limit(self) -> int:
        return settings.LIST_MAX_ROWS

    @property
    def count_is_exact(self) -> bool:
        return self.count <= settings.LIST_MAX_ROWS
