"""Dates in every form the sources print them, and the datelines that open stories."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from crawler.normalize import parse_date, parse_dateline
from crawler.normalize.dates import parse_published

UTC = dt.UTC
NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
SEEDS = Path(__file__).parents[1] / "../shared/seeds"


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    "value,expected",
    [
        # Naive dates are Dushanbe local time (UTC+5).
        ("19 May 2010", utc(2010, 5, 18, 19)),
        ("2 August 2017", utc(2017, 8, 1, 19)),
        ("Publishing date: 2 August 2017", utc(2017, 8, 1, 19)),
        ("May 19, 2010", utc(2010, 5, 18, 19)),
        ("Tuesday, May 19, 2010 10:30 AM", utc(2010, 5, 19, 5, 30)),
        ("19.05.2010", utc(2010, 5, 18, 19)),
        ("19.05.2010 14:05", utc(2010, 5, 19, 9, 5)),
        ("2010-05-19", utc(2010, 5, 18, 19)),
        ("2023-04-28 17:40:08+00:00", utc(2023, 4, 28, 17, 40, 8)),
        ("2024-01-05T10:00:00+0500", utc(2024, 1, 5, 5)),
        ("2024-01-05T10:00:00Z", utc(2024, 1, 5, 10)),
        ("2024-01-05T10:00:00.123456789+03:00", utc(2024, 1, 5, 7, 0, 0, 123456)),
        ("Tue, 10 Jun 2003 04:00:00 GMT", utc(2003, 6, 10, 4)),
        ("Wed, 21 Mar 2018 10:27:32 +0300", utc(2018, 3, 21, 7, 27, 32)),
        ("23 сентября 2024", utc(2024, 9, 22, 19)),
        ("23 сентября 2024 г., 14:05", utc(2024, 9, 23, 9, 5)),
        ("1 мая 2023", utc(2023, 4, 30, 19)),
        ("12 май 2023", utc(2023, 5, 11, 19)),  # Tajik
        ("5 сентябри 2023", utc(2023, 9, 4, 19)),  # Tajik izafa
        ("3 декабр 2022", utc(2022, 12, 2, 19)),  # Tajik
    ],
)
def test_parse_date_forms(value: str, expected: dt.datetime) -> None:
    assert parse_date(value, now=NOW) == expected


def test_parse_date_returns_aware_utc() -> None:
    result = parse_date("19 May 2010", now=NOW)
    assert result is not None and result.tzinfo is not None and result.utcoffset() == dt.timedelta(0)


def test_parse_date_relative_and_dateparser_fallback() -> None:
    assert parse_date("2 hours ago", now=NOW) == utc(2025, 6, 1, 10)
    assert parse_date("вчера", now=NOW, languages=["ru"]) is not None
    assert parse_date("June 3rd, 2019", now=NOW) == utc(2019, 6, 2, 19)


def test_parse_date_datetimes() -> None:
    assert parse_date(dt.datetime(2020, 1, 1, 5), now=NOW) == utc(2020, 1, 1)
    assert parse_date(dt.datetime(2020, 1, 1, 5, tzinfo=UTC), now=NOW) == utc(2020, 1, 1, 5)


@pytest.mark.parametrize("value", [None, "", "   ", "garbage", "Mayday 2020", "31 February 2020", "x" * 500])
def test_unparseable_gives_none(value: str | None) -> None:
    assert parse_date(value, now=NOW) is None


def test_future_dates_are_refused() -> None:
    assert parse_date("2025-06-02T11:00:00Z", now=NOW) is not None  # within a day: clock skew
    assert parse_date("2025-06-03T12:00:00Z", now=NOW) is None
    assert parse_date("2099-01-01", now=NOW) is None


# ------------------------------------------------------------------------------------- datelines


@pytest.mark.parametrize(
    "body,place,date,agency,rest",
    [
        (
            "DUSHANBE, 19 May 2010 - The OSCE Office",
            "Dushanbe",
            dt.date(2010, 5, 19),
            None,
            "The OSCE Office",
        ),
        ("DUSHANBE, 27 March 2012 – The OSCE", "Dushanbe", dt.date(2012, 3, 27), None, "The OSCE"),
        ("Dushanbe, 15 August 2022 (TDI): The Deputy", "Dushanbe", dt.date(2022, 8, 15), "TDI", "The Deputy"),
        ("ДУШАНБЕ, 23 сентября — Президент", "Душанбе", None, None, "Президент"),
        ("ДУШАНБЕ, 23 сентября. /ТАСС/. Президент", "Душанбе", None, "ТАСС", "Президент"),
        ("MEXICO CITY (AP) — Mexico’s economy", "Mexico City", None, "AP", "Mexico’s economy"),
        ("DUSHANBE, Tajikistan (Reuters) - Tajik", "Dushanbe", None, "Reuters", "Tajik"),
        ("KHUJAND, Tajikistan, May 5, 2023 - Text", "Khujand", dt.date(2023, 5, 5), None, "Text"),
    ],
)
def test_datelines(body: str, place: str, date: dt.date | None, agency: str | None, rest: str) -> None:
    found = parse_dateline(body)
    assert found is not None
    assert (found.place, found.date, found.agency, found.rest) == (place, date, agency, rest)


@pytest.mark.parametrize(
    "body",
    [
        "",
        "However, the talks - which lasted two days - ended.",
        "WARNING: this is not a dateline",
        "UPDATE - the numbers changed",
        "The OSCE - a security organisation - met.",
        "In a historic milestone for Central Asian diplomacy, the recent Khujand Declaration",
        "Душанбе. Сегодня прошла встреча.",
    ],
)
def test_not_datelines(body: str) -> None:
    assert parse_dateline(body) is None


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed documents not found at {SEEDS}")
def test_seed_datelines() -> None:
    tdi = parse_dateline((SEEDS / "002_d3375a3ad968025d.txt").read_text(encoding="utf-8"))
    assert tdi is not None and tdi.place == "Dushanbe" and tdi.agency == "TDI"
    assert tdi.date == dt.date(2022, 8, 15)
    assert tdi.rest.startswith("The Deputy Minister of Foreign Affairs")
    for name in ("001_d4786c0659c85617.txt", "003_4f6903038106f065.txt"):
        text = (SEEDS / name).read_text(encoding="utf-8")
        for marker in ("DUSHANBE, 19 May 2010", "DUSHANBE, 27 March 2012"):
            if marker in text:
                found = parse_dateline(text[text.index(marker) :])
                assert found is not None and found.place == "Dushanbe" and found.date is not None


def test_yearless_dateline_takes_the_year_from_the_page() -> None:
    """ "1-уми июл" is 1 July of the year that puts it on or before the page's date."""
    found = parse_dateline("Душанбе. 1-уми июл. ОИ «Азия-Плюс» - Имрӯз")
    assert found is not None and found.month_day == (7, 1)
    assert found.day(dt.date(2024, 7, 2)) == dt.date(2024, 7, 1)
    assert found.day(dt.date(2025, 1, 3)) == dt.date(2024, 7, 1)  # filed last July
    assert found.day(None) is None


def test_day_only_and_timed_values_keep_their_precision() -> None:
    dushanbe = ZoneInfo("Asia/Dushanbe")
    day = parse_published("2024-10-01", now=NOW, zone=dushanbe)
    assert day is not None and (day.day, day.precision, day.iso()) == (
        dt.date(2024, 10, 1),
        "day",
        "2024-10-01",
    )
    midnight = parse_published("2024-10-01T00:00:00+05:00", now=NOW, zone=dushanbe)
    assert midnight is not None and midnight.precision == "day" and midnight.day == dt.date(2024, 10, 1)
    timed = parse_published("Май 1, 2023 15:46", now=NOW, zone=dushanbe)
    assert timed is not None and timed.precision == "minute"
    assert timed.at == utc(2023, 5, 1, 10, 46) and timed.day == dt.date(2023, 5, 1)
    early = parse_published("2024-10-01T02:30:00+05:00", now=NOW, zone=dushanbe)
    assert early is not None and early.day == dt.date(2024, 10, 1)  # not 30 Sep, as the UTC date was


@pytest.mark.parametrize(
    "zone,expected_at",
    [
        ("America/New_York", utc(2024, 10, 1, 18, 30)),  # west of UTC (EDT, -4)
        ("Asia/Dushanbe", utc(2024, 10, 1, 9, 30)),  # east of UTC (+5)
        ("UTC", utc(2024, 10, 1, 14, 30)),  # a generic source
    ],
)
def test_naive_values_are_read_in_the_sources_zone(zone: str, expected_at: dt.datetime) -> None:
    published = parse_published("01.10.2024 14:30", now=NOW, zone=ZoneInfo(zone))
    assert published is not None and published.at == expected_at and published.day == dt.date(2024, 10, 1)


@pytest.mark.parametrize(
    "value", ["0000-01-01", "-0001-05-05", "9999-12-31", "1970-01-01T00:00:00Z", "1900-01-01"]
)
def test_absurd_dates_are_refused(value: str) -> None:
    assert parse_published(value, now=NOW, zone=dt.UTC) is None
