"""Reading syndication feeds: RSS 0.9x/1.0/2.0, Atom and JSON Feed, in whatever encoding they arrive.

Feeds are how most regional outlets announce new articles. feedparser does the XML dialects and the
encoding detective work (XML declaration, HTTP charset, BOM, fallbacks such as windows-1251); JSON Feed
is small enough to read by hand. Everything comes out as plain ``FeedEntry`` values with absolute links
and timezone-aware UTC dates, so the spider never touches feedparser's dictionaries.

Whether an entry's ``content:encoded`` already holds the whole article (so the page need not be
fetched) is decided by ``is_full_text``: WordPress sites ship full text there, others only a teaser.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import feedparser
from lxml import html as lxml_html

__all__ = ["Feed", "FeedEntry", "FeedError", "html_to_text", "is_full_text", "parse_feed"]

# A teaser says so at its end; full text rarely does.
_TEASER_ENDINGS = re.compile(
    r"(\[(…|\.\.\.|&hellip;)\]|…|\.\.\.|read more|continue reading|читать далее|подробнее|бештар)\s*$",
    re.IGNORECASE,
)
FULL_TEXT_MIN_CHARS = 700
FULL_TEXT_MIN_PARAGRAPHS = 3


class FeedError(ValueError):
    """The document is not a feed we can read (HTML page, truncated XML with no entries, bad JSON)."""


@dataclass(slots=True)
class FeedEntry:
    """One item of a feed, with links made absolute and dates in UTC."""

    url: str | None
    title: str | None = None
    guid: str | None = None
    published: dt.datetime | None = None
    updated: dt.datetime | None = None
    summary: str | None = None  # HTML or text as given (description / summary)
    content: str | None = None  # the longest full-content field (content:encoded, atom content, content_html)
    authors: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    language: str | None = None
    raw_date: str | None = None  # the date string as found, for parsers that do better than feedparser

    @property
    def date(self) -> dt.datetime | None:
        return self.published or self.updated


@dataclass(slots=True)
class Feed:
    """A parsed feed: what dialect it was, how it was decoded and its entries in document order."""

    format: str  # rss20, rss10, rss090, atom10, json1 ...
    encoding: str | None
    title: str | None = None
    link: str | None = None
    language: str | None = None
    entries: list[FeedEntry] = field(default_factory=list)


def parse_feed(data: bytes | str, url: str | None = None, content_type: str | None = None) -> Feed:
    """Parse a feed document; ``url`` resolves relative links, ``content_type`` may carry the charset.

    Raises ``FeedError`` with a readable reason when the document is not a usable feed.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise FeedError("empty document")
    if stripped[:1] in (b"{", b"["):
        return _parse_json_feed(stripped, url)
    return _parse_xml_feed(data, url, content_type)


# A DOCTYPE with an internal subset (``<!DOCTYPE rss [ <!ENTITY ...> ]>``): no real feed needs one, and
# it is how entity bombs and external entities arrive. Measured: a 9-level "billion laughs" feed kept
# feedparser (expat, until its amplification limit tripped) busy for 5 s, which stalls every download
# of the crawl. Only the document's start is searched; the subset is cut whole.
_INTERNAL_SUBSET = re.compile(rb"<!DOCTYPE[^\[>]*\[.*?\]\s*>", re.IGNORECASE | re.DOTALL)
_PROLOG_BYTES = 64 * 1024


def without_internal_subset(data: bytes) -> bytes:
    """The document without its DOCTYPE's internal subset (entity definitions are never expanded)."""
    head = data[:_PROLOG_BYTES]
    match = _INTERNAL_SUBSET.search(head)
    if match is not None:
        return data[: match.start()] + data[match.end() :]
    if b"<!ENTITY" in head.upper():
        raise FeedError(f"entity definitions not closed within the first {_PROLOG_BYTES // 1024} KB")
    return data


def _parse_xml_feed(data: bytes, url: str | None, content_type: str | None) -> Feed:
    data = without_internal_subset(data)
    headers = {"content-type": content_type} if content_type else {}
    if url:
        headers["content-location"] = url
    parsed = feedparser.parse(
        data, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    if not parsed.version and not parsed.entries:
        reason = parsed.get("bozo_exception")
        raise FeedError(f"not a feed{f' ({reason})' if reason else ''}")
    meta = parsed.feed
    base = url or meta.get("link")
    feed = Feed(
        format=parsed.version or "unknown",
        encoding=parsed.get("encoding"),
        title=_clean(meta.get("title")),
        link=_absolute(meta.get("link"), url),
        language=meta.get("language"),
    )
    for item in parsed.entries:
        feed.entries.append(_xml_entry(item, base, feed.language))
    return feed


def _xml_entry(item: Any, base: str | None, language: str | None) -> FeedEntry:
    link = item.get("link")
    if not link:
        guid = item.get("id")
        link = guid if guid and item.get("guidislink", guid.startswith("http")) else None
    contents = [c.get("value", "") for c in item.get("content", []) if c.get("value")]
    summary = item.get("summary")
    content = max(contents, key=len) if contents else None
    authors = [a.get("name") for a in item.get("authors", []) if a.get("name")]
    if not authors and item.get("author"):
        authors = [item["author"]]
    return FeedEntry(
        url=_absolute(link, base),
        title=_clean(item.get("title")),
        guid=item.get("id"),
        published=_from_struct(dict.get(item, "published_parsed")),
        updated=_from_struct(dict.get(item, "updated_parsed")),
        summary=summary,
        content=content,
        authors=authors,
        tags=[t.get("term") for t in item.get("tags", []) if t.get("term")],
        language=item.get("language") or language,
        raw_date=dict.get(item, "published") or dict.get(item, "updated"),
    )


def _parse_json_feed(data: bytes, url: str | None) -> Feed:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedError(f"not a JSON feed: {exc}") from None
    if not isinstance(doc, dict) or "jsonfeed.org/version" not in str(doc.get("version", "")):
        raise FeedError("JSON document is not a JSON Feed (no jsonfeed.org version)")
    items = doc.get("items")
    if not isinstance(items, list):
        raise FeedError("JSON Feed has no items list")
    version = str(doc["version"]).rstrip("/").rsplit("/", 1)[-1]
    base = url or doc.get("feed_url") or doc.get("home_page_url")
    feed = Feed(
        format=f"json{version}",
        encoding="utf-8",
        title=_clean(doc.get("title")),
        link=_absolute(doc.get("home_page_url"), base),
        language=doc.get("language"),
    )
    for item in items:
        if not isinstance(item, dict):
            continue
        content = item.get("content_html") or item.get("content_text")
        authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
        feed.entries.append(
            FeedEntry(
                url=_absolute(item.get("url") or item.get("external_url"), base),
                title=_clean(item.get("title")),
                guid=str(item["id"]) if item.get("id") is not None else None,
                published=_from_iso(item.get("date_published")),
                updated=_from_iso(item.get("date_modified")),
                summary=item.get("summary"),
                content=content,
                authors=[a["name"] for a in authors if isinstance(a, dict) and a.get("name")],
                tags=[str(t) for t in item.get("tags", [])],
                language=item.get("language") or feed.language,
                raw_date=item.get("date_published"),
            )
        )
    return feed


def html_to_text(fragment: str | None) -> str:
    """Paragraph text of an HTML fragment, paragraphs separated by blank lines."""
    if not fragment or not fragment.strip():
        return ""
    if "<" not in fragment:
        return fragment.strip()
    try:
        root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    except Exception:  # noqa: BLE001 - lxml raises several types on junk; text is all we want
        return re.sub(r"<[^>]+>", " ", fragment).strip()
    for bad in root.xpath(".//script|.//style|.//figure|.//iframe"):
        bad.drop_tree()
    blocks = root.xpath(".//p|.//li|.//h2|.//h3|.//h4|.//blockquote[not(.//p)]")
    texts = [" ".join(b.text_content().split()) for b in blocks] if blocks else []
    texts = [t for t in texts if t]
    if not texts:
        texts = [" ".join(root.text_content().split())]
    return "\n\n".join(t for t in texts if t)


def is_full_text(entry: FeedEntry, page_text_chars: int | None = None) -> bool:
    """Does the entry's content hold the whole article, so the page need not be fetched?

    Full text has several paragraphs and some length, does not end like a teaser, and (when the page
    length is known, e.g. from a previous fetch) covers most of what the page says.
    """
    text = html_to_text(entry.content)
    if not text:
        return False
    paragraphs = [p for p in text.split("\n\n") if len(p) > 30]
    if len(text) < FULL_TEXT_MIN_CHARS or len(paragraphs) < FULL_TEXT_MIN_PARAGRAPHS:
        return False
    if _TEASER_ENDINGS.search(text):
        return False
    summary = html_to_text(entry.summary)
    if summary and len(text) < 1.5 * len(summary) and summary != text:
        return False
    return not (page_text_chars and len(text) < 0.6 * page_text_chars)


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = " ".join(str(text).split())
    return text or None


def _absolute(link: str | None, base: str | None) -> str | None:
    if not link:
        return None
    link = link.strip()
    return urljoin(base, link) if base else link


def _from_struct(value: Any) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromtimestamp(calendar.timegm(value), tz=dt.UTC)
    except (OverflowError, ValueError, TypeError):
        return None


def _from_iso(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
