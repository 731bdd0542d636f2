"""A publication date as the publisher gave it: a moment, or only a calendar day.

Many pages say only "1 October 2024". Storing that as midnight in some zone and showing it as an
instant shifts it a day for every reader west of that zone (and once stored as 12:00Z, it showed a
time the source never gave). So the archive keeps three columns that this value bundles:

* ``at`` - an aware UTC instant, used only for ordering; for a day-only date it is the first instant
  of that day in the source's zone;
* ``day`` - the publisher's calendar day (in the source's zone), what filters compare and lists show;
* ``precision`` - ``"day"`` or ``"minute"``.

Every output path formats through this module, so a day-only date reads as that day everywhere and a
time is shown in the reader's zone with the zone named.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

__all__ = ["DAY", "MINUTE", "Precision", "Published", "published_of", "zone_label"]

Precision = Literal["day", "minute"]
DAY: Precision = "day"
MINUTE: Precision = "minute"
_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


@dataclass(frozen=True, slots=True)
class Published:
    """When an article was published, as precisely as its publisher said.

    >>> p = Published.on_day(dt.date(2024, 10, 1), ZoneInfo("Asia/Dushanbe"))
    >>> p.iso(), p.label(ZoneInfo("America/New_York"))
    ('2024-10-01', '1 Oct 2024')
    """

    at: dt.datetime
    day: dt.date
    precision: Precision

    @classmethod
    def on_day(cls, day: dt.date, zone: dt.tzinfo) -> Published:
        start = dt.datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(dt.UTC)
        return cls(at=start, day=day, precision=DAY)

    @classmethod
    def at_moment(cls, moment: dt.datetime, zone: dt.tzinfo) -> Published:
        """A moment the page gave. Its calendar day is the publisher's: in the offset the page states
        when that is not UTC (the publisher wrote its own local time), else in the source's ``zone``
        (UTC offsets are mostly a CMS serialising, not the newsroom's clock)."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            moment = moment.replace(tzinfo=zone)
        at = moment.astimezone(dt.UTC)
        day = moment.date() if moment.utcoffset() else at.astimezone(zone).date()
        return cls(at=at, day=day, precision=MINUTE)

    @property
    def is_day_only(self) -> bool:
        return self.precision == DAY

    def iso(self) -> str:
        """``YYYY-MM-DD`` for a day-only date, else ISO 8601 with the UTC offset (for machines)."""
        if self.is_day_only:
            return self.day.isoformat()
        return self.at.isoformat(timespec="seconds")

    def day_label(self) -> str:
        """'1 Oct 2024': the publisher's day, for lists."""
        return f"{self.day.day} {_MONTHS[self.day.month - 1]} {self.day.year}"

    def label(self, reader_zone: dt.tzinfo | None = None) -> str:
        """The day for a day-only date; else the time in the reader's zone, with the zone named."""
        if self.is_day_only or reader_zone is None:
            return self.day_label()
        local = self.at.astimezone(reader_zone)
        return f"{local.day} {_MONTHS[local.month - 1]} {local.year}, {local:%H:%M} {zone_label(reader_zone, local)}"

    def local(self, reader_zone: dt.tzinfo) -> dt.datetime | None:
        """The moment in the reader's zone, or None for a day-only date (it has no moment)."""
        return None if self.is_day_only else self.at.astimezone(reader_zone)


def zone_label(zone: dt.tzinfo, when: dt.datetime | None = None) -> str:
    """'Asia/Dushanbe' for an IANA zone, else its abbreviation ('UTC')."""
    key = getattr(zone, "key", None)
    if key:
        return str(key)
    return zone.tzname(when) or "UTC"


def published_of(
    at: dt.datetime | None, day: dt.date | None, precision: str | None, zone: dt.tzinfo | None = None
) -> Published | None:
    """Rebuild the value from its three columns (rows stored before migration 0008 have no day)."""
    if at is None:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    if day is None:
        day = at.astimezone(zone or dt.UTC).date()
    if isinstance(day, dt.datetime):
        day = day.date()
    return Published(at=at, day=day, precision=DAY if precision == DAY else MINUTE)


def reader_zone(name: str | None) -> ZoneInfo:
    """The reader's configured zone (``display_timezone``); UTC when unset."""
    return ZoneInfo(name or "UTC")
