"""Choosing the publication date among what a page, its feed and its URL say.

A page can carry several dates: the site parser's, JSON-LD, meta tags, ``<time>``, the feed or listing
entry that linked it, the dateline, the URL, htmldate's guess. Taking the first one and giving up when
it is absurd (year 0, 1970, 9999) lost the date of articles whose feed entry had a valid one. So every
candidate is parsed and the most trusted *plausible* one wins; an implausible value never erases a
plausible one.

Trust, highest first: what the site parser read from the page's own date field, the publisher's
declarations (JSON-LD, then meta tags), the feed / listing / sitemap entry, ``<time>`` elements, the
dateline, the URL, htmldate. When a more trusted candidate gives only a day and a less trusted one
gives a moment on that same day (a feed entry's time for a page that prints "1 October 2024"), the
moment is kept: it is the same date, more precise. When the chosen moment is written in UTC and another
candidate writes the same instant with the newsroom's own offset, that offset's calendar day is kept.

"Plausible" is: not in the future, and not before 1991 (before the sources existed; 1970 is an epoch
accident), unless the article's own text mentions that year (an archive item from 1990 that says so).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from crawler.normalize.dates import EARLIEST, parse_published
from storage.published import Published

__all__ = ["DateChoice", "choose_published", "origin_rank"]

# origin prefix -> rank (lower is more trusted)
_RANKS = (
    ("page", 0),
    ("json-ld", 1),
    ("meta", 2),
    ("feed", 3),
    ("listing", 3),
    ("sitemap", 3),
    ("time", 4),
    ("dateline", 5),
    ("url", 6),
    ("htmldate", 7),
)
_OLDEST_TOLERATED = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
_SAME_MOMENT = dt.timedelta(minutes=1)


def origin_rank(origin: str) -> int:
    """How far down the trust order a candidate's origin is ('meta:og:...' ranks as 'meta')."""
    for prefix, rank in _RANKS:
        if origin == prefix or origin.startswith(prefix + ":"):
            return rank
    return len(_RANKS)


@dataclass(frozen=True)
class DateChoice:
    published: Published
    origin: str
    rejected: tuple[str, ...]  # origins whose values were unusable (unparseable or implausible)


def choose_published(
    candidates: Sequence[tuple[str, object]],
    *,
    zone: dt.tzinfo,
    now: dt.datetime | None = None,
    languages: Sequence[str] | None = None,
    text: str = "",
) -> DateChoice | None:
    """The most trusted plausible candidate, or None when no candidate is usable.

    ``candidates`` are (origin, value as found); ``text`` is the article's title and body, which may
    vouch for a date before 1991.
    """
    parsed: list[tuple[int, int, str, Published]] = []
    rejected: list[str] = []
    for index, (origin, value) in enumerate(candidates):
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        result = _parse(value, zone=zone, now=now, languages=languages, text=text)
        if result is None:
            rejected.append(origin)
            continue
        parsed.append((origin_rank(origin), index, origin, result))
    if not parsed:
        return None
    parsed.sort(key=lambda item: (item[0], item[1]))
    _, _, origin, best = parsed[0]
    if not best.is_day_only:
        # The same instant written with the newsroom's own offset ("21:27+0800" beside "13:27Z") gives
        # the publisher's calendar day; a UTC value only gives the day in the source's zone.
        for _, _, other_origin, other in parsed[1:]:
            if not other.is_day_only and abs(other.at - best.at) <= _SAME_MOMENT and other.day != best.day:
                best = Published(at=best.at, day=other.day, precision=best.precision)
                origin = f"{origin}+{other_origin}"
                break
    if best.is_day_only:
        for _, _, other_origin, other in parsed[1:]:
            if not other.is_day_only and other.day == best.day:
                best, origin = other, f"{origin}+{other_origin}"
                break
    return DateChoice(best, origin, tuple(dict.fromkeys(rejected)))


def _parse(
    value: object,
    *,
    zone: dt.tzinfo,
    now: dt.datetime | None,
    languages: Sequence[str] | None,
    text: str,
) -> Published | None:
    if not isinstance(value, str | dt.date):
        return None
    result = parse_published(value, now=now, languages=languages, zone=zone)
    if result is not None:
        return result
    # Before 1991 only when the article itself names the year ("... founded in 1990").
    early = parse_published(value, now=now, languages=languages, zone=zone, earliest=_OLDEST_TOLERATED)
    if early is None or early.day.year == 1970 or early.day >= EARLIEST.date():
        return None
    return early if str(early.day.year) in text else None
