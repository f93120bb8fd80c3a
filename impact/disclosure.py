"""Small groups are never shown: the one rule behind every figure of impact.

A count of people (participants reached, members, respondents) from 1 to
IMPACT_MIN_GROUP_SIZE - 1 is withheld (None), wherever it appears: the staff report,
its CSV/XLSX export and the public API. Zero is shown: it describes no one.

When the parts of a total are shown together with the total, withholding one part
alone would let anyone subtract it back; so when exactly one part of such a set is
withheld, the next smallest (non-zero) part is withheld too — in a table (people by
year and kind) along its rows and its columns until no line has a lone withheld cell.

Measured change follows the same rule on its respondents: below the minimum, neither
the means nor the change are shown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings

K = TypeVar("K")


def minimum_group_size() -> int:
    return settings.IMPACT_MIN_GROUP_SIZE


def is_small(count: int | None, minimum: int | None = None) -> bool:
    minimum = minimum_group_size() if minimum is None else minimum
    return count is not None and 0 < count < minimum


def shown(count: int | None, minimum: int | None = None) -> int | None:
    """`count`, or None when it is a small group."""
    return None if is_small(count, minimum) else count


def parts_shown(parts: Mapping[K, int], minimum: int | None = None) -> dict[K, int | None]:
    """The parts of a shown total, small ones withheld, and one more when only one is."""
    minimum = minimum_group_size() if minimum is None else minimum
    result: dict[K, int | None] = {key: shown(value, minimum) for key, value in parts.items()}
    withheld = [key for key, value in result.items() if value is None]
    if len(withheld) == 1:
        others = [key for key, value in result.items() if value]
        if others:
            result[min(others, key=lambda key: parts[key])] = None
    return result


def table_shown(
    table: Mapping[K, Mapping[str, int]], minimum: int | None = None
) -> dict[K, dict[str, int | None]]:
    """A table of counts whose row totals and column totals are shown elsewhere (people
    by year and kind, with the totals by year and by kind): small cells withheld, then,
    as long as a row or a column has exactly one withheld cell, its next smallest
    non-zero cell too, so that no cell can be worked out from the totals."""
    minimum = minimum_group_size() if minimum is None else minimum
    result = {
        row: {col: shown(value, minimum) for col, value in cols.items()}
        for row, cols in table.items()
    }
    columns = sorted({col for cols in table.values() for col in cols})
    lines = [[(row, col) for col in cols] for row, cols in table.items()]
    lines += [[(row, col) for row in table if col in table[row]] for col in columns]
    changed = True
    while changed:
        changed = False
        for line in lines:
            withheld = [cell for cell in line if result[cell[0]][cell[1]] is None]
            others = [cell for cell in line if result[cell[0]][cell[1]]]
            if len(withheld) == 1 and others:
                row, col = min(others, key=lambda cell: table[cell[0]][cell[1]])
                result[row][col] = None
                changed = True
    return result


@dataclass(frozen=True)
class Change:
    """The pooled result of an instrument over several groups (measurements).

    `mean_before`/`mean_after` are weighted by respondents; the standard deviations are
    those of all respondents together (within-group and between-group spread).
    Everything but the number of measurements is None below the minimum group size.
    """

    measurements: int
    respondents: int | None
    mean_before: float | None
    mean_after: float | None
    sd_before: float | None
    sd_after: float | None

    @property
    def change(self) -> float | None:
        if self.mean_before is None or self.mean_after is None:
            return None
        return self.mean_after - self.mean_before

    @property
    def effect_size(self) -> float | None:
        """The change in standard deviations (before and after pooled), Cohen's d."""
        if self.change is None or not self.sd_before or not self.sd_after:
            return None
        pooled = math.sqrt((self.sd_before**2 + self.sd_after**2) / 2)
        return self.change / pooled if pooled else None


def change_pooled(
    *,
    measurements: int,
    n: int,
    sum_mean_before: float,
    sum_mean_after: float,
    sum_square_before: float,
    sum_square_after: float,
    minimum: int | None = None,
) -> Change:
    """A `Change` from sums the database computed over the measurements of one group:
    Σn, Σn·mean and Σ((n-1)·sd² + n·mean²) for before and after."""
    if not n or is_small(n, minimum):
        return Change(measurements, shown(n, minimum), None, None, None, None)
    mean_before, mean_after = sum_mean_before / n, sum_mean_after / n

    def spread(sum_square: float, mean: float) -> float:
        if n < 2:
            return 0.0
        return math.sqrt(max(sum_square - n * mean * mean, 0.0) / (n - 1))

    return Change(
        measurements,
        n,
        mean_before,
        mean_after,
        spread(sum_square_before, mean_before),
        spread(sum_square_after, mean_after),
    )
