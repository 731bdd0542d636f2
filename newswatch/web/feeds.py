"""Atom 1.0 feeds for any search, so a reader can follow a query in their feed reader.

Built with ElementTree so the XML is always well formed; scraped text is stripped of the control
characters XML 1.0 forbids (ElementTree would write them and break every reader).
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from storage.links import safe_url
from storage.published import Published

ATOM_NS = "http://www.w3.org/2005/Atom"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One article as the feed shows it; ``page_url`` is our article page, ``url`` the original."""

    id: int
    title: str
    url: str
    page_url: str
    source: str
    published_at: dt.datetime | None
    summary: str
    tags: Sequence[str] = ()
    published: Published | None = None  # when given, wins over published_at (it knows day-only dates)

    @property
    def stamp_time(self) -> dt.datetime | None:
        """The instant written to Atom. Atom has no date-only form, so a day-only date is written as
        noon UTC of that day: every reader from UTC-11 to UTC+11 then sees the publisher's day."""
        if self.published is None:
            return self.published_at
        if self.published.is_day_only:
            day = self.published.day
            return dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC)
        return self.published.at


def _xml_text(value: str | None) -> str:
    return _NOT_XML.sub("", value or "")


def _stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", {k: _xml_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = _xml_text(text)
    return element


def render_atom(
    *, feed_id: str, title: str, self_url: str, html_url: str, entries: Sequence[FeedEntry], now: dt.datetime
) -> bytes:
    """An Atom 1.0 document. ``updated`` is the newest entry's date (or ``now`` for an empty feed)."""
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _sub(feed, "id", feed_id)
    _sub(feed, "title", title)
    dates = [stamp for entry in entries if (stamp := entry.stamp_time)]
    _sub(feed, "updated", _stamp(max(dates) if dates else now))
    _sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _sub(feed, "link", rel="alternate", type="text/html", href=html_url)
    author = _sub(feed, "author")
    _sub(author, "name", "newswatch")
    _sub(feed, "generator", "newswatch")
    for item in entries:
        entry = _sub(feed, "entry")
        _sub(entry, "id", item.page_url)
        _sub(entry, "title", item.title or item.url)
        original = safe_url(item.url)
        if original is not None:
            _sub(entry, "link", rel="alternate", type="text/html", href=original)
        _sub(entry, "link", rel="related", type="text/html", href=item.page_url)
        when = item.stamp_time
        stamp_text = _stamp(when or now)
        if when:
            _sub(entry, "published", stamp_text)
        _sub(entry, "updated", stamp_text)
        _sub(entry, "summary", item.summary, type="text")
        source = _sub(entry, "category", term=item.source, label=f"source: {item.source}")
        source.set("scheme", "urn:newswatch:source")
        for tag in item.tags:
            _sub(entry, "category", term=tag)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
