"""Plain values that cross the boundary into storage, so storage never imports the crawler."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class ArticleRecord:
    """A normalised article ready to be stored. ``content_hash`` is over the normalised body."""

    canonical_url: str
    url: str
    source: str
    title: str
    body: str
    content_hash: str
    summary: str | None = None
    published_at: dt.datetime | None = (
        None  # ordering instant; a day-only date: the day's start in the source's zone
    )
    published_day: dt.date | None = None  # the publisher's calendar day (source's zone)
    published_precision: str | None = None  # "day" | "minute" (storage.published)
    modified_at: dt.datetime | None = None
    language: str | None = None
    authors: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)  # which of ``tags`` are the site's own categories
    dateline: str | None = None
    content_type: str | None = None
    extraction: str = "site"
    relevance_terms: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    simhash: int | None = None
    raw_html: bytes | None = None
    encoding: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    archive_only: bool = False  # seen first by a baseline crawl and not recent: archived, never mailed


@dataclass(slots=True)
class UpsertOutcome:
    """What a batch did: ids of the rows it created, changed and left alone."""

    new: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)


@dataclass(slots=True)
class CrawlSummary:
    """What one run of one source did: the one summary type from the crawler to the scheduler.

    The counts carry the names of the ``crawl_run`` row's columns, so the pipeline that fills the row, the
    crawl child that reports it and the scheduler that reads it back (``newswatch status``, the health
    check) speak of the same run with the same words. The last three fields are the scheduler's view of
    the crawl process (set only when a run was supervised by it).
    """

    source: str
    status: str  # running | ok | failed | timeout | killed | skipped | busy (another process crawls it)
    run_id: int | None = None
    pages_fetched: int = 0
    items_new: int = 0
    items_updated: int = 0
    items_unchanged: int = 0
    items_dropped: int = 0
    errors: int = 0
    fallbacks: int = 0
    # article links the listing pages showed (None: no listing was parsed, e.g. a feed source or a 304);
    # 0 after a listing was parsed means the layout changed: the scheduler's health check alerts on it
    links_found: int | None = None
    # URLs the crawler's guard would not fetch (another host, a private address, not http(s)):
    # crawler/netguard.py; a column of crawl_run since migration 0009
    refused_urls: int = 0
    exit_code: int | None = None
    seconds: float = 0.0
    log_tail: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def items_seen(self) -> int:
        return self.items_new + self.items_updated + self.items_unchanged + self.items_dropped
