"""The dateline that opens a news story: where (and often when, and by whom) it was filed.

Forms seen in the monitored sources::

    DUSHANBE, 19 May 2010 - The OSCE Office ...
    DUSHANBE, 27 March 2012 – ...
    Dushanbe, 15 August 2022 (TDI): The Deputy Minister ...
    ДУШАНБЕ, 23 сентября — ...
    MEXICO CITY (AP) — ...
    ДУШАНБЕ, 23 сентября. /ТАСС/. ...

A capitalised first phrase followed by a dash is only a dateline when it looks like one: the place is in
capitals, or a date or an agency in brackets follows it. "However, the talks - ..." is not a dateline.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from crawler.normalize.dates import month_number, parse_date

__all__ = ["Dateline", "parse_dateline"]


@dataclass(frozen=True)
class Dateline:
    place: str
    date: dt.datetime | None  # None when the dateline carries no date or no year
    agency: str | None
    rest: str  # the body after the dateline


_PLACE = r"(?P<place>[A-ZА-ЯЁҲҚӢӮҶҒ][\w'’.\-]*(?:[ \-][A-ZА-ЯЁҲҚӢӮҶҒa-zа-яё][\w'’.\-]*){0,3})"
_REGION = r"(?:,\s*(?P<region>[A-ZА-ЯЁ][\w.\-]*(?: [A-ZА-ЯЁ][\w.\-]*){0,2}))?"
_DATE = (
    r"(?:,\s*(?P<date>(?:\w+,?\s+)?(?:\d{1,2}(?:st|nd|rd|th)?\.?\s+[^\W\d_]{3,10}\.?(?:,?\s+\d{4})?"
    r"|[^\W\d_]{3,10}\.?\s+\d{1,2}(?:,\s*\d{4})?|\d{1,2}\.\d{1,2}\.\d{4})(?:\s*(?:г\.?|года))?))?"
)
_AGENCY = r"(?:\s*[(/](?P<agency>[^()/\n]{2,40})[)/]\.?)?"
_SEPARATOR = r"\s*(?P<sep>[-–—:]|\.(?=\s*/)|\.\s)\s*"
_DATELINE_RE = re.compile(rf"^{_PLACE}{_REGION}{_DATE}{_AGENCY}{_SEPARATOR}(?P<rest>\S.*)$", re.DOTALL)
_AGENCY_AFTER_RE = re.compile(r"^\s*/(?P<agency>[^/\n]{2,40})/\.?\s*")  # TASS: "23 сентября. /ТАСС/. "
_MAX_PLACE_WORDS = 4
# Capitalised openers that are labels, not places.
_NOT_PLACES = frozenset(
    "UPDATE UPDATED BREAKING EXCLUSIVE WATCH VIDEO PHOTO PHOTOS OPINION ANALYSIS EDITORIAL NOTE NB "
    "OSCE UN NATO EU USA CIS ODIHR ВИДЕО ФОТО ОБНОВЛЕНО МНЕНИЕ".split()
)


def parse_dateline(body: str) -> Dateline | None:
    """Find the dateline at the start of a body, or None when the body does not open with one."""
    if not body:
        return None
    head = body.lstrip()
    m = _DATELINE_RE.match(head)
    if m is None:
        return None
    place = m["place"].strip()
    date_text, agency, sep = m["date"], m["agency"], m["sep"]
    rest = m["rest"]
    if date_text is not None and not _has_month(date_text):
        return None
    if sep.startswith(".") and date_text is None:
        return None  # "Dushanbe. The ..." is a sentence, not a dateline
    after = _AGENCY_AFTER_RE.match(rest)
    if after is not None and agency is None:
        agency, rest = after["agency"], rest[after.end() :]
    looks_like_place = place.upper() == place and any(c.isalpha() for c in place)
    if not (looks_like_place or date_text or agency):
        return None
    if sep == ":" and not (date_text or agency):
        return None  # "WARNING: ..." / "UPDATE: ..." headings
    if len(place.split()) > _MAX_PLACE_WORDS or len(place) < 2 or place.upper() in _NOT_PLACES:
        return None
    date = _dateline_date(date_text) if date_text else None
    region = m["region"]
    if region and not looks_like_place and region.upper() == region:
        return None
    return Dateline(
        place=_title_place(place), date=date, agency=(agency or "").strip() or None, rest=rest.strip()
    )


def _has_month(text: str) -> bool:
    if re.search(r"\d{1,2}\.\d{1,2}\.\d{4}", text):
        return True
    return any(month_number(word) for word in re.findall(r"[^\W\d_]{3,10}", text))


def _dateline_date(text: str) -> dt.datetime | None:
    """Only a date with a year is trusted; "23 сентября" alone could be any year."""
    if not re.search(r"\d{4}", text):
        return None
    return parse_date(text)


def _title_place(place: str) -> str:
    """'DUSHANBE' -> 'Dushanbe', 'MEXICO CITY' -> 'Mexico City'; mixed case is kept as written."""
    if place.upper() != place:
        return place
    return " ".join(w.capitalize() if len(w) > 3 or w.isalpha() else w for w in place.split())
