"""Date filters as typed: ages, today/yesterday and ISO forms, one parser for every surface."""

from __future__ import annotations

import datetime as dt

import pytest

from newswatch.relative_dates import parse_date_filter

TODAY = dt.date(2026, 3, 31)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", TODAY),
        ("Yesterday", dt.date(2026, 3, 30)),
        ("7d", dt.date(2026, 3, 24)),
        ("7 days", dt.date(2026, 3, 24)),
        ("2w", dt.date(2026, 3, 17)),
        ("1m", dt.date(2026, 2, 28)),  # no 31 February: the month's last day
        ("3 months ago", dt.date(2025, 12, 31)),
        ("1y", dt.date(2025, 3, 31)),
        ("0d", TODAY),
        (" 2024-01-05 ", dt.date(2024, 1, 5)),
        (
            "2024-01-05T10:30+05:00",
            dt.datetime(2024, 1, 5, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=5))),
        ),
    ],
)
def test_forms_people_type(text: str, expected: dt.date) -> None:
    assert parse_date_filter(text, TODAY) == expected


@pytest.mark.parametrize("text", ["", "last week", "7", "d7", "2024-13-01", "-3d", "99999d"])
def test_anything_else_is_refused_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(ValueError, match="7d, 2w"):
        parse_date_filter(text, TODAY)
