"""The daily command's duties that other apps bring, so the core never calls them by name.

`manage.py renewals` renews and reminds about agreements (crm/services.py), then runs each
registered duty: a kind app registers its own in `AppConfig.ready()` (municipalities: the
mayor's term that ends). A duty is `duty(*, today, dry_run) -> list[str]` and returns one
line per thing it did (or would do on a dry run); it must be safe to run twice.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

DailyDuty = Callable[..., list[str]]

_duties: list[DailyDuty] = []


def daily_duty_register(duty: DailyDuty) -> None:
    if duty not in _duties:
        _duties.append(duty)


def daily_duties_run(*, today: datetime.date, dry_run: bool) -> list[str]:
    lines: list[str] = []
    for duty in _duties:
        lines += duty(today=today, dry_run=dry_run)
    return lines
