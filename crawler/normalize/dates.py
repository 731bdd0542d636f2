"""Dates as pages print them, turned into ``Published`` values: a moment, or only a day.

Fast paths cover what news pages mostly use (ISO 8601 from metadata, RFC 822 from feeds, "19 May 2010"
from OSCE pages, "23 сентября 2024" from Russian and Tajik sites); dateparser handles the long tail
(relative dates, odd orders). A date without a zone is local time in the source's zone (each source has
one, see ``crawler.sources``). A value without a time of day, or at exactly local midnight (how CMSs
serialise a bare date), is a day, not a moment: storing it as an instant shifted it a day for readers
elsewhere. A date more than a day in the future, or before 1991 (none of the sources existed; 1970 is
an epoch accident), is not a publication date and gives None.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import warnings
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from storage.published import Published

__all__ = [
    "parse_date",
    "parse_published",
    "month_number",
    "LOCAL_TZ",
    "MONTHS",
    "EARLIEST",
    "date_in_url",
    "plausible",
]

LOCAL_TZ = ZoneInfo("Asia/Dushanbe")  # the default zone of the monitored region's sources
_FUTURE_SLACK = dt.timedelta(days=1)
EARLIEST = dt.datetime(1991, 1, 1, tzinfo=dt.UTC)

# Month names by their first letters: English, Russian (nominative and genitive), Tajik Cyrillic.
MONTHS: dict[str, int] = {}
for _n, _names in enumerate(
    [
        "january jan январь января январ янв",
        "february feb февраль февраля феврал фев",
        "march mar март марта мар",
        "april apr апрель апреля апрел апр",
        "may май мая",
        "june jun июнь июня июн",
        "july jul июль июля июл",
        "august aug август августа авг",
        "september sep sept сентябрь сентября сентябр сен",
        "october oct октябрь октября октябр окт",
        "november nov ноябрь ноября ноябр ноя",
        "december dec декабрь декабря декабр дек",
    ],
    start=1,
):
    for _name in _names.split():
        MONTHS[_name] = _n

_MONTH_ALT = r"[^\W\d_]{3,10}"
_TIME = (
    r"(?:[,\s]+(?:at\s+|в\s+)?(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?::(?P<s>\d{2}))?\s*(?P<ampm>[ap]\.?m\.?)?)?"
)
# "19 May 2010", "23 сентября 2024 г., 14:05", "2 August 2017 10:30"
_DAY_MONTH_YEAR_RE = re.compile(
    rf"^(?:\w+,?\s+)??(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\.?\s+(?P<mon>{_MONTH_ALT})\.?,?\s+(?P<y>\d{{4}})"
    rf"(?:\s*(?:г\.?|года|сол(?:и)?))?{_TIME}\s*$",
    re.IGNORECASE,
)
# "May 19, 2010", "Tuesday, May 19, 2010 10:30 AM"
_MONTH_DAY_YEAR_RE = re.compile(
    rf"^(?:\w+,?\s+)?(?P<mon>{_MONTH_ALT})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}}){_TIME}\s*$",
    re.IGNORECASE,
)
# "19.05.2010", "19.05.2010 14:05" (day first: the convention of every monitored region)
_NUMERIC_RE = re.compile(rf"^(?P<d>\d{{1,2}})[./](?P<m>\d{{1,2}})[./](?P<y>\d{{4}}){_TIME}\s*$")

_DATEPARSER_SETTINGS = {
    "PREFER_DAY_OF_MONTH": "first",
    "DATE_ORDER": "DMY",
    "RETURN_AS_TIMEZONE_AWARE": False,
    "PREFER_DATES_FROM": "past",
}


def parse_date(
    value: str | dt.date | None,
    *,
    now: dt.datetime | None = None,
    languages: Sequence[str] | None = None,
    zone: dt.tzinfo = LOCAL_TZ,
    earliest: dt.datetime = EARLIEST,
) -> dt.datetime | None:
    """Parse a date as found on a page into an aware UTC datetime, or None if it is not a usable date.

    The instant of ``parse_published`` (a day-only date is the first instant of that day in ``zone``).
    """
    published = parse_published(value, now=now, languages=languages, zone=zone, earliest=earliest)
    return published.at if published is not None else None


def parse_published(
    value: str | dt.datetime | dt.date | None,
    *,
    now: dt.datetime | None = None,
    languages: Sequence[str] | None = None,
    zone: dt.tzinfo = LOCAL_TZ,
    earliest: dt.datetime = EARLIEST,
) -> Published | None:
    """Parse a date as found on a page into a ``Published`` (moment or day), or None.

    Naive values are local time in ``zone``, the source's zone. ``now`` (default: the current time)
    anchors relative dates ("2 hours ago") and the future check; ``languages`` narrows dateparser's
    guesses; dates before ``earliest`` are implausible and give None.
    """
    now = _as_utc(now, zone) if now is not None else dt.datetime.now(dt.UTC)
    if value is None:
        return None
    try:
        if isinstance(value, dt.datetime):
            result: Published | None = _from_moment(value, zone)
        elif isinstance(value, dt.date):
            result = Published.on_day(value, zone)
        else:
            text = " ".join(str(value).split())
            if not text or len(text) > 200:
                return None
            result = _parse_text(text, now, languages, zone)
    except (ValueError, OverflowError):  # year 1 in a zone east of UTC, year 9999 west of it
        return None
    if result is None or not plausible(result, now=now, earliest=earliest):
        return None
    return result


def plausible(published: Published, *, now: dt.datetime, earliest: dt.datetime = EARLIEST) -> bool:
    """Not in the future (a day of slack for zones ahead of ours) and not before ``earliest``."""
    if published.at > now + _FUTURE_SLACK:
        return False
    return published.day >= earliest.date() and published.at >= earliest - dt.timedelta(days=1)


def _from_moment(value: dt.datetime, zone: dt.tzinfo) -> Published:
    """A parsed date-time; exactly midnight in its own offset (or naive) is a bare date."""
    if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
        return Published.on_day(value.date(), zone)
    return Published.at_moment(value, zone)


def _as_utc(value: dt.datetime, zone: dt.tzinfo = LOCAL_TZ) -> dt.datetime:
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(dt.UTC)


# "Publishing date: 2 August 2017", "Опубликовано: 23 сентября 2024", "Updated - 5 May 2020"
_LABEL_RE = re.compile(r"^[^\W\d_][^\d:]{0,30}?(?::|\s[-–—])\s*(?=\w)")


_HAS_TIME_RE = re.compile(r"\d{1,2}[:.]\d{2}(?![.\d])|\d{1,2}\s*[ap]\.?m\b|\bago\b|назад", re.IGNORECASE)


def _parse_text(
    text: str, now: dt.datetime, languages: Sequence[str] | None, zone: dt.tzinfo
) -> Published | None:
    text = _LABEL_RE.sub("", text, count=1)
    if _BARE_ISO_DAY_RE.match(text):
        try:
            return Published.on_day(dt.date.fromisoformat(text[:10]), zone)
        except ValueError:
            return None
    for parser in (_parse_iso, _parse_rfc822, _parse_named_month, _parse_numeric):
        try:
            result = parser(text)
        except (ValueError, OverflowError):
            result = None
        if result is not None:
            return _from_moment(result, zone)
    if not re.search(r"[^\W\d_]{2}|\d{4}", text):
        return None  # "-1", "0": dateparser would read a relative day into them
    parsed = _parse_with_dateparser(text, now, languages, zone)
    if parsed is None:
        return None
    if not _HAS_TIME_RE.search(text):
        return Published.on_day(parsed.date(), zone)
    return Published.at_moment(parsed, zone)


_BARE_ISO_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _parse_iso(text: str) -> dt.datetime | None:
    if not re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return None
    candidate = text.replace(" UTC", "Z").replace(" GMT", "Z")
    candidate = re.sub(r"(\.\d{6})\d+", r"\1", candidate)  # nanoseconds
    candidate = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", candidate)  # +0500 -> +05:00
    return dt.datetime.fromisoformat(candidate)


def _parse_rfc822(text: str) -> dt.datetime | None:
    if not re.search(r"\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}", text):
        return None
    return email.utils.parsedate_to_datetime(text)


def _parse_named_month(text: str) -> dt.datetime | None:
    m = _DAY_MONTH_YEAR_RE.match(text) or _MONTH_DAY_YEAR_RE.match(text)
    if m is None:
        return None
    month = month_number(m["mon"])
    if month is None:
        return None
    return _combine(int(m["y"]), month, int(m["d"]), m)


def month_number(word: str) -> int | None:
    """1-12 for a month name in English, Russian or Tajik (incl. the izafa form "сентябри"), else None."""
    word = word.lower().rstrip(".")
    month = MONTHS.get(word)
    if month is None and len(word) > 3 and word.endswith("и"):
        month = MONTHS.get(word[:-1])  # Tajik izafa: "августи", "майи"
    if month is None and len(word) > 3 and not word.isascii():
        month = MONTHS.get(word[:3])
    return month


def _parse_numeric(text: str) -> dt.datetime | None:
    m = _NUMERIC_RE.match(text)
    if m is None:
        return None
    return _combine(int(m["y"]), int(m["m"]), int(m["d"]), m)


def _combine(year: int, month: int, day: int, m: re.Match[str]) -> dt.datetime:
    hour = int(m["h"]) if m["h"] else 0
    minute = int(m["mi"]) if m["mi"] else 0
    second = int(m["s"]) if m["s"] else 0
    if m["ampm"]:
        is_pm = m["ampm"].lower().startswith("p")
        hour = hour % 12 + (12 if is_pm else 0)
    return dt.datetime(year, month, day, hour, minute, second)


def _parse_with_dateparser(
    text: str, now: dt.datetime, languages: Sequence[str] | None, zone: dt.tzinfo
) -> dt.datetime | None:
    """dateparser's reading: naive local time in ``zone``, or aware when the text names a zone."""
    import dateparser

    settings = dict(_DATEPARSER_SETTINGS)
    settings["RELATIVE_BASE"] = now.astimezone(zone).replace(tzinfo=None)
    langs = [lang for lang in (languages or ("en", "ru")) if lang != "tg"] or ["ru"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parsed = dateparser.parse(text, languages=langs, settings=settings)
        except (ValueError, OverflowError, TypeError):
            return None
    return parsed


# /2024/10/01/, /2024-10-01-, /20241001/ in a URL path: a day, never a time
_URL_DATE_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})([/_-]?)(0[1-9]|1[0-2])\2(0[1-9]|[12]\d|3[01])(?!\d)")


def date_in_url(url: str) -> str | None:
    """The publication day a URL path spells out ('2024-10-01'), or None."""
    from urllib.parse import urlsplit

    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    m = _URL_DATE_RE.search(path)
    if m is None:
        return None
    try:
        return dt.date(int(m[1]), int(m[3]), int(m[4])).isoformat()
    except ValueError:
        return None
