"""Date filters as people type them: ``7d``, ``2w``, ``3m``, ``1y``, ``today``, ``yesterday`` or ISO.

One parser for every date filter (CLI ``--since``/``--until``, the web page and API, subscriptions), so
``--since 7d`` means the same everywhere. It only turns text into a calendar day (or, for an ISO
date-time, that instant); what a day means (its start and end in which time zone) is decided by the
caller, in one place per surface.

>>> import datetime as dt
>>> today = dt.date(2026, 3, 31)
>>> parse_date_filter("7d", today), parse_date_filter("2w", today), parse_date_filter("1m", today)
(datetime.date(2026, 3, 24), datetime.date(2026, 3, 17), datetime.date(2026, 2, 28))
>>> parse_date_filter("yesterday", today), parse_date_filter("2024-01-05", today)
(datetime.date(2026, 3, 30), datetime.date(2024, 1, 5))
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

HINT = "a date (YYYY-MM-DD), a date and time (YYYY-MM-DDTHH:MM), today, yesterday, or an age: 7d, 2w, 3m, 1y"
_AGE = re.compile(r"(\d{1,4})\s*(d|days?|w|weeks?|m|months?|y|years?)( ago)?", re.IGNORECASE)
_WORDS = {"today": 0, "yesterday": 1}


def _months_back(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def parse_date_filter(text: str, today: dt.date) -> dt.date | dt.datetime:
    """The day ``text`` names, counted back from ``today``; an ISO date-time stays a datetime.

    Raises ValueError with a sentence naming the accepted forms.
    """
    value = text.strip()
    lowered = value.lower()
    if lowered in _WORDS:
        return today - dt.timedelta(days=_WORDS[lowered])
    age = _AGE.fullmatch(lowered)
    if age:
        count, unit = int(age.group(1)), age.group(2)[0]
        if unit == "d":
            return today - dt.timedelta(days=count)
        if unit == "w":
            return today - dt.timedelta(weeks=count)
        if unit == "m":
            return _months_back(today, count)
        return _months_back(today, 12 * count)
    try:
        if len(value) == 10:
            return dt.date.fromisoformat(value)
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value[:40]!r} is not a date; use {HINT}") from None
