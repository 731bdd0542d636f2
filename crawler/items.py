"""The values that flow through a crawl: what a parser extracts and what a spider hands the pipelines.

A ``ParsedPage`` is raw extraction output: strings as found on the page (dates unparsed, text not yet
repaired). A spider wraps it in a ``FetchedArticle`` with what the pipelines need to judge it; the
normalise pipeline adds the ``storage.records.ArticleRecord`` that the later stages refine and store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

from crawler.sources import Source
from storage.records import ArticleRecord


@dataclass(slots=True)
class ParsedPage:
    url: str
    title: str | None = None
    body: str | None = None  # paragraphs separated by blank lines
    summary: str | None = None
    published: str | dt.date | None = None  # as found: "19 May 2010", ISO 8601, RFC 822 ...
    modified: str | dt.datetime | None = None
    authors: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)  # declared by the page (OSCE fields of work)
    content_type: str | None = None  # "Press release", "News", ...
    publisher_unit: str | None = None  # OSCE "Source:" line, e.g. "OSCE Chairpersonship"
    dateline: str | None = None  # place, when the parser found it itself
    language: str | None = None  # declared (html lang, og:locale); detection fills the gap
    attachments: list[str] = field(default_factory=list)  # absolute URLs of attached documents
    extraction: str = "site"  # which method produced the body: site | generic | feed
    fallback_fields: list[str] = field(default_factory=list)  # fields the generic layer had to fill
    # fields the site parser knows this site never prints: the generic layer does not look for them
    no_fallback_fields: tuple[str, ...] = ()
    # other publication dates seen, (origin, value as found): JSON-LD, meta, <time>, feed or listing
    # entry, URL, htmldate. The normaliser picks among them and ``published`` by trust and plausibility.
    date_candidates: list[tuple[str, str | dt.date]] = field(default_factory=list)


class PageParser(Protocol):
    """What the layered extractor needs of a site parser (``crawler.parsers.site.SiteParser`` is one).

    ``date`` is the page's date when the caller knows it (it picks the parser's layout of that time).
    """

    name: str

    def parse(self, html: str, url: str, date: dt.date | None = None) -> ParsedPage: ...


@dataclass(slots=True)
class ListingHints:
    """What a listing page, feed or sitemap said about an article before it was fetched.

    The hints are the last fallback for what the page itself lacks (recorded as ``<field>:listing``) and
    feed the relevance decision (OSCE's "Where we are" says which office published the release).
    """

    published: str | dt.datetime | None = None
    title: str | None = None
    content_type: str | None = None
    tags: list[str] = field(default_factory=list)
    where: str | None = None  # OSCE listings: the office or mission the release comes from
    teaser: str | None = None
    origin: str = (
        "listing"  # what gave ``published``: listing | feed | sitemap (its trust, normalize.published)
    )


@dataclass
class FetchedArticle:
    """The item that flows through the pipelines: a parsed page plus what the pipelines need to judge it."""

    page: ParsedPage
    source: Source
    raw_html: bytes
    encoding: str | None
    always_relevant: bool = False
    listing_url: str | None = None
    listing: ListingHints = field(default_factory=ListingHints)
    record: ArticleRecord | None = None  # set by NormalizePipeline
    link: str | None = None  # the URL as the listing linked it (before redirects)
    validators: tuple[str | None, str | None] | None = None  # the page's ETag / Last-Modified

    def normalised(self) -> ArticleRecord:
        """The record the normalise stage made; a later stage asking before it ran is a wiring bug."""
        if self.record is None:
            raise RuntimeError(f"{self!r} reached a pipeline stage before NormalizePipeline")
        return self.record

    def __repr__(self) -> str:  # Scrapy logs dropped items; never dump the raw HTML into the log
        return f"<FetchedArticle {self.source.key} {self.page.url}>"
