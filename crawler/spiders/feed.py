"""Crawling a source through its feeds (RSS, Atom, JSON Feed), e.g. WordPress and Pangea news sites.

For each ``kind = "feed"`` entry the spider fetches the feed (conditional GET, like a listing page),
checks all item links against the archive in one query, and for each new item either:

- builds the article from the feed itself when its ``content:encoded`` holds the full text
  (``crawler.feeds.is_full_text``: several paragraphs, no "[…]" teaser ending), recorded as
  ``extraction = "feed"``; or
- fetches the article page and parses it like any listed article, with the feed's date, title and
  categories as the fallback metadata.

Listing entries of the same source are crawled too (the ListingSpider logic is inherited), so a source
may mix a feed with a listing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator, Iterable

import scrapy
from scrapy.http import Response

from crawler.feeds import FeedEntry, FeedError, html_to_text, is_full_text, parse_feed
from crawler.items import FetchedArticle, ListingHints, ParsedPage
from crawler.middlewares import CONDITIONAL
from crawler.netguard import refuse
from crawler.normalize import canonical_url
from crawler.normalize.dates import parse_published
from crawler.sources import EntryPoint
from crawler.spiders.listing import SelectorListingSpider
from storage.links import safe_url

logger = logging.getLogger(__name__)


class FeedSpider(SelectorListingSpider):
    """Feed entry points first, then any listing entry points of the same source."""

    name = "feed"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for index, entry in enumerate(self.source.entries):
            if entry.kind == "feed":
                yield scrapy.Request(
                    self.source.url_for(entry),
                    callback=self.parse_feed,
                    errback=self.errback,
                    priority=10,
                    meta={CONDITIONAL: not self.backfill, "entry_index": index},
                )
        async for request in super().start():
            yield request

    def parse_feed(self, response: Response) -> Iterable[scrapy.Request | FetchedArticle]:
        entry = self.source.entries[response.meta["entry_index"]]
        if self.not_modified(response, "feed"):
            return
        header = response.headers.get(b"Content-Type")
        content_type = header.decode("latin-1") if header else None
        try:
            feed = parse_feed(response.body, url=response.url, content_type=content_type)
        except FeedError as exc:
            logger.error("%s: %s is not a readable feed: %s", self.source.key, response.url, exc)
            self.count_error(response.url)
            yield from self.fall_back(response.url, "not a feed")
            return
        self.keep_validators(response)
        items = [item for item in feed.entries if item.url and self.safe_link(item.url)]
        limit = entry.option("max_items")
        if limit:
            items = items[:limit]
        by_canonical = {canonical_url(item.url): item for item in items if item.url}
        known = self.archive.known(by_canonical) if by_canonical else set()
        self.crawler.stats.inc_value("newswatch/feed_items", len(by_canonical))
        self.crawler.stats.inc_value(
            "newswatch/links_found", len(by_canonical)
        )  # health: the feed lists links
        for canonical, item in by_canonical.items():
            if entry.always_relevant:
                self.always_relevant_urls.add(canonical)
            if canonical in known:
                continue
            yield from self.article_for(item, entry, response.url, feed.language)

    def safe_link(self, url: str) -> bool:
        """An item linking to ``javascript:``, ``data:`` or ``file:`` is refused (counted, logged) before
        anything else: with full text in the feed it would otherwise be stored without a fetch."""
        if safe_url(url) is not None:
            return True
        refuse(self.crawler.stats, self.source.key, url[:200], "feed item link is not an http(s) URL")
        return False

    def article_for(
        self, item: FeedEntry, entry: EntryPoint, feed_url: str, feed_language: str | None
    ) -> Iterable[scrapy.Request | FetchedArticle]:
        listing = listing_metadata(item)
        if is_full_text(item):
            self.crawler.stats.inc_value("newswatch/feed_full_text")
            yield FetchedArticle(
                page=page_from_entry(item, feed_language),
                source=self.source,
                raw_html=(item.content or "").encode("utf-8"),
                encoding="utf-8",
                always_relevant=entry.always_relevant,
                listing_url=feed_url,
                listing=listing,
            )
            return
        assert item.url is not None
        yield scrapy.Request(
            item.url,
            callback=self.parse_article,
            errback=self.errback,
            cb_kwargs={"listing": listing, "always_relevant": entry.always_relevant},
            meta={"listing_url": feed_url},
        )


def listing_metadata(item: FeedEntry) -> ListingHints:
    """What the feed says about an item: the fallback for fields the article page lacks."""
    return ListingHints(
        published=entry_date(item), title=item.title or None, tags=list(item.tags), origin="feed"
    )


def page_from_entry(item: FeedEntry, feed_language: str | None = None) -> ParsedPage:
    """A ParsedPage built from a full-text feed item (no page fetch)."""
    assert item.url is not None
    summary = html_to_text(item.summary) or None
    language = item.language or feed_language
    return ParsedPage(
        url=item.url,
        title=item.title,
        body=html_to_text(item.content),
        summary=summary if summary and len(summary) < 1000 else None,
        published=entry_date(item),
        modified=item.updated if item.published else None,
        authors=list(item.authors),
        tags=list(item.tags),
        language=language.split("-")[0].lower() if language else None,
        extraction="feed",
    )


def entry_date(item: FeedEntry) -> str | dt.datetime | None:
    """The entry's date as the feed wrote it when that reads as a date: feedparser converts to UTC,
    which loses a bare date ("Tue, 01 Oct 2024 00:00:00 +0500") and the publisher's own day."""
    if item.raw_date and parse_published(item.raw_date) is not None:
        return item.raw_date
    return item.date
