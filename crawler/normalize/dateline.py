"""The dateline that opens a news story: where (and often when, and by whom) it was filed.

One module for every parser (site parsers used to carry their own regexes). Forms seen on the
monitored sources' pages::

    DUSHANBE, 19 May 2010 - The OSCE Office ...
    Dushanbe, 15 August 2022 (TDI): The Deputy Minister ...
    ДУШАНБЕ, 11.12.2023. /АМИТ «Ховар»/. ...                      (Khovar, Russian)
    Хоруғ 25.08.2015 (АМИТ «Ховар», Файз Мирҳасан).- ...           (Khovar, Tajik: no comma)
    Душанбе. 1-уми июл. ОИ «Азия-Плюс» - ...                       (Asia-Plus, Tajik ordinal day, no year)
    DUSHANBE, November 2, 2010, Asia-Plus  -- ...                  (Asia-Plus, English)
    BISHKEK (TCA) — ...                                            (Times of Central Asia)
    ДУШАНБЕ, 23 сентября. /ТАСС/. ...
    MEXICO CITY (AP) — ...

It is read as a sequence: a place, an optional date, an optional agency, then a separator (a dash,
a colon, or the full stop after an agency). A capitalised first phrase followed by a dash is only a
dateline when it looks like one: the place is in capitals, or a date or an agency follows it.
"However, the talks - ..." is not a dateline.

A date without a year ("1-уми июл", "23 сентября") is kept as month and day; ``Dateline.day(year_of)``
completes it from a reference date the page gives (its publication date, else the crawl date).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from crawler.normalize.dates import month_number

__all__ = ["Dateline", "parse_dateline"]


@dataclass(frozen=True)
class Dateline:
    place: str
    date: dt.date | None  # None when the dateline carries no date or no year (datelines give days)
    agency: str | None
    rest: str  # the body after the dateline
    month_day: tuple[int, int] | None = None  # (month, day) of a date printed without its year

    def day(self, reference: dt.date | None) -> dt.date | None:
        """The dateline's day; a yearless one takes the year that puts it on or just before
        ``reference`` (a story filed "1 July" and published 2 July 2024 is 1 July 2024)."""
        if self.date is not None or self.month_day is None or reference is None:
            return self.date
        month, day_of_month = self.month_day
        for year in (reference.year, reference.year - 1):
            try:
                candidate = dt.date(year, month, day_of_month)
            except ValueError:
                continue
            if candidate <= reference + dt.timedelta(days=1):
                return candidate
        return None


_UPPER = "A-ZА-ЯЁҲҚӢӮҶҒ"
_PLACE_RE = re.compile(rf"[{_UPPER}][\w'’\-]*\.?(?:[ \-][{_UPPER}a-zа-яё][\w'’\-]*\.?){{0,3}}")
_REGION_RE = re.compile(rf",\s*(?P<region>[{_UPPER}][\w.\-]*(?: [{_UPPER}][\w.\-]*){{0,2}})(?=\s*[,(/\-–—:])")
_MONTH = r"[^\W\d_]{3,10}"  # a full stop after it is left alone: it may end the date ("1-уми июл. ОИ ...")
_YEAR = r"(?P<y>\d{4})(?:\s*(?:г\.?|года|сол(?:и)?)(?!\w))?"
_DATE_RES = (
    # 11.12.2023
    re.compile(r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})"),
    # 19 May 2010 · 1-уми июл · 23 сентября 2024 г.
    re.compile(
        rf"(?P<d>\d{{1,2}})(?:st|nd|rd|th|-?(?:у|ю)?ми|-?(?:ум|юм))?\.?\s+(?P<mon>{_MONTH})(?:\.?,?\s+{_YEAR})?"
    ),
    # November 2, 2010 · Май 1, 2023
    re.compile(rf"(?P<mon>{_MONTH})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:,\s*{_YEAR})?"),
)
_WEEKDAY_RE = re.compile(r"[^\W\d_]{3,12},?\s+(?=\d)")
_DATE_LEAD_RE = re.compile(r",\s*|\.\s+|\s+")
_AGENCY_BRACKET_RE = re.compile(r"\s*[(/](?P<agency>[^()/\n]{2,60})[)/]")
# ", Asia-Plus" / ". ОИ «Азия-Плюс»" right before the separator
_AGENCY_NAMED_RE = re.compile(
    rf"\s*[,.]\s*(?P<agency>(?:[{_UPPER}]{{1,6}}\s*«[^»\n]{{2,40}}»|[{_UPPER}][\w\-]+(?: [{_UPPER}][\w\-]+){{0,2}}))(?=\s*(?:[-–—]|:))"
)
_SEPARATOR_RE = re.compile(r"\s*(?:\.?\s*[-–—]{1,2}|:)\s*|\.\s+")
_MAX_PLACE_WORDS = 4
# Capitalised openers that are labels, not places.
_NOT_PLACES = frozenset(
    "UPDATE UPDATED BREAKING EXCLUSIVE WATCH VIDEO PHOTO PHOTOS OPINION ANALYSIS EDITORIAL NOTE NB "
    "OSCE UN NATO EU USA CIS ODIHR ВИДЕО ФОТО ОБНОВЛЕНО МНЕНИЕ".split()
)


@dataclass
class _Date:
    date: dt.date | None
    month_day: tuple[int, int] | None
    end: int


def parse_dateline(body: str) -> Dateline | None:
    """Find the dateline at the start of a body, or None when the body does not open with one."""
    if not body:
        return None
    head = body.lstrip()
    m = _PLACE_RE.match(head)
    if m is None:
        return None
    place = m.group(0)
    pos = m.end()
    if place.endswith(".") and place.count(".") == 1 and len(place) > 3:
        place, pos = (
            place[:-1],
            pos - 1,
        )  # "Душанбе. 1-уми июл" - the full stop separates, it is no abbreviation
    looks_like_place = place.upper() == place and any(c.isalpha() for c in place)
    region = _REGION_RE.match(head, pos)
    if region is not None and not _date_at(head, pos):
        if not looks_like_place and region["region"].upper() == region["region"]:
            return None
        pos = region.end()
    found = _date_at(head, pos)
    if found is not None:
        pos = found.end
    agency = None
    bracket = _AGENCY_BRACKET_RE.match(head, pos)
    if bracket is not None:
        agency, pos = bracket["agency"], bracket.end()
    else:
        named = _AGENCY_NAMED_RE.match(head, pos)
        if named is not None and (found is not None or looks_like_place):
            agency, pos = named["agency"], named.end()
    sep = _SEPARATOR_RE.match(head, pos)
    if sep is None:
        return None
    separator = sep.group(0).strip()
    rest = head[sep.end() :]
    if agency is None:
        after = _AGENCY_BRACKET_RE.match(rest)  # TASS: "23 сентября. /ТАСС/. "
        if after is not None and rest.startswith("/"):
            agency, rest = after["agency"], rest[after.end() :].lstrip(" .")
    if not rest.strip() or not (rest.lstrip()[0].isalnum() or rest.lstrip()[0] in "«\"“'("):
        return None
    if separator == "." and found is None and agency is None:
        return None  # "Dushanbe. The ..." is a sentence, not a dateline
    if not (looks_like_place or found is not None or agency):
        return None
    if separator == ":" and not (found is not None or agency):
        return None  # "WARNING: ..." / "UPDATE: ..." headings
    if len(place.split()) > _MAX_PLACE_WORDS or len(place) < 2 or place.upper() in _NOT_PLACES:
        return None
    return Dateline(
        place=_title_place(place),
        date=found.date if found else None,
        agency=(agency or "").strip() or None,
        rest=rest.strip(),
        month_day=found.month_day if found else None,
    )


def _date_at(head: str, pos: int) -> _Date | None:
    """A date starting at ``pos`` (after a comma, a full stop or a space), or None."""
    lead = _DATE_LEAD_RE.match(head, pos)
    if lead is None:
        return None
    start = lead.end()
    weekday = _WEEKDAY_RE.match(head, start)
    if weekday is not None and month_number(weekday.group(0).strip(" ,")) is None:
        start = weekday.end()
    for pattern in _DATE_RES:
        m = pattern.match(head, start)
        if m is None:
            continue
        groups = m.groupdict()
        month = int(groups["m"]) if groups.get("m") else month_number(groups.get("mon") or "")
        if month is None or not 1 <= month <= 12:
            continue
        day = int(m["d"])
        if groups.get("y"):
            try:
                return _Date(dt.date(int(m["y"]), month, day), None, m.end())
            except ValueError:
                return None
        if not 1 <= day <= 31:
            return None
        return _Date(None, (month, day), m.end())
    return None


def _title_place(place: str) -> str:
    """'DUSHANBE' -> 'Dushanbe', 'MEXICO CITY' -> 'Mexico City'; mixed case is kept as written."""
    if place.upper() != place:
        return place
    return " ".join(w.capitalize() if len(w) > 3 or w.isalpha() else w for w in place.split())
