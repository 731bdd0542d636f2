"""The discovery ladder: what a run does when a registry entry point fails, instead of storing nothing.

A source's entry points were written from CMS conventions; when the real site moves its feed, turns
its listing into a JavaScript shell or renames the classes the selectors name, the run used to end
"ok" with nothing stored. Now the first entry point that fails (an HTTP error, "not a feed", "not a
sitemap", or a listing whose selectors find no links) starts the ladder, once per run:

1. feeds the home page announces (``<link rel="alternate">``), then the common CMS feed paths;
2. sitemaps named by robots.txt, then the usual sitemap paths (an index is followed into its newest
   children);
3. article-shaped links on the home page (``crawler.discovery.article_links``).

The first rung that yields article links is used: its new articles are fetched and parsed like any
listed article (relevance rules apply; nothing found this way is "always relevant"), at most
``NEWSWATCH_LADDER_MAX_ARTICLES`` per run. The run logs one warning
``degraded: <entry> failed (<cause>), used <rung> <url>``; the run's log excerpt keeps it, and
``newswatch status`` shows it as the source's health (scheduler/health.py). When no rung yields
anything the run counts an error and logs ``degraded: ... no fallback found articles``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler import signals as newswatch_signals
from crawler.discovery import (
    announced_feeds,
    article_links,
    common_feed_urls,
    common_sitemap_urls,
    looks_like_article,
    on_hosts,
    robots_sitemaps,
)
from crawler.feeds import FeedError, parse_feed
from crawler.items import ListingHints
from crawler.normalize import canonical_url

if TYPE_CHECKING:
    from crawler.sources import Source
    from storage.crawl_state import CrawlArchive

logger = logging.getLogger(__name__)

DEGRADED = "degraded:"  # the prefix scheduler/health.py looks for in a run's log excerpt
MAX_CHILD_SITEMAPS = 3  # newest children of a sitemap index tried by the ladder


@dataclass
class LadderState:
    """Where the ladder stands in this run: why it started and what is left to try."""

    failed_entry: str
    cause: str
    home_links: list[tuple[str, str]] = field(default_factory=list)
    feeds: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    done: bool = False


class LadderSpider(Protocol):
    """What the ladder needs of the spider it is mixed into (ListingSpider)."""

    source: Source
    archive: CrawlArchive
    crawler: Any
    ladder: LadderState | None

    def count(self, key: str, n: int = 1) -> None: ...
    def count_page(self) -> None: ...
    def count_error(self, listing_url: str | None = None, *, listing_page: bool = False) -> None: ...
    def parse_article(self, response: Response, listing: ListingHints, always_relevant: bool) -> Any: ...
    def errback(self, failure: Failure) -> Any: ...
    def ladder_home(self, response: Response) -> Iterable[scrapy.Request]: ...
    def ladder_home_failed(self, failure: Failure) -> Iterable[scrapy.Request]: ...
    def ladder_next_feed(self) -> Iterable[scrapy.Request]: ...
    def ladder_feed(self, response: Response) -> Iterable[scrapy.Request]: ...
    def ladder_feed_failed(self, failure: Failure) -> Iterable[scrapy.Request]: ...
    def ladder_robots(self, response: Response) -> Iterable[scrapy.Request]: ...
    def ladder_robots_failed(self, failure: Failure) -> Iterable[scrapy.Request]: ...
    def ladder_next_sitemap(self) -> Iterable[scrapy.Request]: ...
    def ladder_sitemap(self, response: Response) -> Iterable[scrapy.Request]: ...
    def ladder_sitemap_failed(self, failure: Failure) -> Iterable[scrapy.Request]: ...
    def ladder_links(self) -> Iterable[scrapy.Request]: ...
    def ladder_articles(
        self, rung: str, where: str, found: list[tuple[str, ListingHints]]
    ) -> Iterable[scrapy.Request]: ...


class DiscoveryLadder:
    """Mixed into ListingSpider: ``fall_back`` starts the ladder; its callbacks walk it."""

    ladder: LadderState | None = None

    def fall_back(self: LadderSpider, entry_url: str, cause: str) -> Iterable[scrapy.Request]:
        """An entry point failed: start the ladder (once per run) from the source's home page."""
        logger.warning(
            "%s: entry point %s failed (%s); trying the discovery ladder", self.source.key, entry_url, cause
        )
        if self.ladder is not None:
            return
        self.ladder = LadderState(failed_entry=entry_url, cause=cause)
        yield scrapy.Request(
            self.source.base_url.rstrip("/") + "/",
            callback=self.ladder_home,
            errback=self.ladder_home_failed,
            dont_filter=True,
            priority=5,
        )

    def ladder_home(self: LadderSpider, response: Response) -> Iterable[scrapy.Request]:
        self.count_page()
        assert self.ladder is not None
        hosts = self.source.hosts
        self.ladder.home_links = [
            (link.url, link.text) for link in article_links(response.text, response.url, hosts)
        ]
        announced = [feed.url for feed in announced_feeds(response.text, response.url, hosts)]
        self.ladder.feeds = _without(announced + common_feed_urls(response.url), self.ladder.failed_entry)
        yield from self.ladder_next_feed()

    def ladder_home_failed(self: LadderSpider, failure: Failure) -> Iterable[scrapy.Request]:
        assert self.ladder is not None
        self.ladder.feeds = _without(common_feed_urls(self.source.base_url), self.ladder.failed_entry)
        yield from self.ladder_next_feed()

    # --- rung 1: feeds -----------------------------------------------------------------------------
    def ladder_next_feed(self: LadderSpider) -> Iterable[scrapy.Request]:
        assert self.ladder is not None
        if self.ladder.feeds:
            url = self.ladder.feeds.pop(0)
            yield scrapy.Request(
                url, callback=self.ladder_feed, errback=self.ladder_feed_failed, dont_filter=True, priority=5
            )
            return
        robots = self.source.base_url.rstrip("/") + "/robots.txt"
        yield scrapy.Request(
            robots,
            callback=self.ladder_robots,
            errback=self.ladder_robots_failed,
            dont_filter=True,
            priority=5,
        )

    def ladder_feed(self: LadderSpider, response: Response) -> Iterable[scrapy.Request]:
        self.count_page()
        header = response.headers.get(b"Content-Type")
        try:
            feed = parse_feed(
                response.body, url=response.url, content_type=header.decode("latin-1") if header else None
            )
        except FeedError:
            yield from self.ladder_next_feed()
            return
        found = [
            (item.url, ListingHints(published=item.date, title=item.title or None, tags=list(item.tags)))
            for item in feed.entries
            if item.url and on_hosts(item.url, self.source.hosts)
        ]
        if not found:
            yield from self.ladder_next_feed()
            return
        yield from self.ladder_articles("feed", response.url, found)

    def ladder_feed_failed(self: LadderSpider, failure: Failure) -> Iterable[scrapy.Request]:
        yield from self.ladder_next_feed()

    # --- rung 2: sitemaps --------------------------------------------------------------------------
    def ladder_robots(self: LadderSpider, response: Response) -> Iterable[scrapy.Request]:
        assert self.ladder is not None
        named = robots_sitemaps(response.text, response.url, self.source.hosts)
        self.ladder.sitemaps = list(dict.fromkeys(named + common_sitemap_urls(response.url)))
        yield from self.ladder_next_sitemap()

    def ladder_robots_failed(self: LadderSpider, failure: Failure) -> Iterable[scrapy.Request]:
        assert self.ladder is not None
        self.ladder.sitemaps = common_sitemap_urls(self.source.base_url)
        yield from self.ladder_next_sitemap()

    def ladder_next_sitemap(self: LadderSpider) -> Iterable[scrapy.Request]:
        assert self.ladder is not None
        self.ladder.sitemaps = _without(self.ladder.sitemaps, self.ladder.failed_entry)
        if self.ladder.sitemaps:
            url = self.ladder.sitemaps.pop(0)
            yield scrapy.Request(
                url,
                callback=self.ladder_sitemap,
                errback=self.ladder_sitemap_failed,
                dont_filter=True,
                priority=5,
            )
            return
        yield from self.ladder_links()

    def ladder_sitemap(self: LadderSpider, response: Response) -> Iterable[scrapy.Request]:
        from crawler.spiders.sitemap import (  # the sitemap spider imports this module
            SitemapError,
            read_sitemap,
        )

        assert self.ladder is not None
        self.count_page()
        try:
            sitemap = read_sitemap(response.body, self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
        except SitemapError:
            yield from self.ladder_next_sitemap()
            return
        oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
        newest_first = sorted(sitemap.entries, key=lambda e: e.date or oldest, reverse=True)
        hosts = self.source.hosts
        if sitemap.is_index:
            children = [
                response.urljoin(e.loc) for e in newest_first if on_hosts(response.urljoin(e.loc), hosts)
            ]
            self.ladder.sitemaps = children[:MAX_CHILD_SITEMAPS] + self.ladder.sitemaps
            yield from self.ladder_next_sitemap()
            return
        found = [
            (e.loc, ListingHints(published=e.published, title=e.title or None))
            for e in newest_first
            if on_hosts(e.loc, hosts) and (e.published is not None or looks_like_article(e.loc))
        ]
        if not found:
            yield from self.ladder_next_sitemap()
            return
        yield from self.ladder_articles("sitemap", response.url, found)

    def ladder_sitemap_failed(self: LadderSpider, failure: Failure) -> Iterable[scrapy.Request]:
        yield from self.ladder_next_sitemap()

    # --- rung 3: article-shaped links on the home page ---------------------------------------------
    def ladder_links(self: LadderSpider) -> Iterable[scrapy.Request]:
        assert self.ladder is not None
        home = self.source.base_url.rstrip("/") + "/"
        found = [(url, ListingHints(title=text or None)) for url, text in self.ladder.home_links]
        if not found:
            self.ladder.done = True
            self.count_error()
            logger.error(
                "%s %s failed (%s), no fallback found articles",
                DEGRADED,
                self.ladder.failed_entry,
                self.ladder.cause,
            )
            self.crawler.signals.send_catch_log(
                newswatch_signals.fetch_failed, url=self.ladder.failed_entry,
                cause=f"{self.ladder.cause}; no feed, sitemap or home-page link led to articles either",
            )  # fmt: skip
            return
        yield from self.ladder_articles("links on", home, found)

    def ladder_articles(
        self: LadderSpider, rung: str, where: str, found: list[tuple[str, ListingHints]]
    ) -> Iterable[scrapy.Request]:
        """The rung worked: record it, then fetch its articles not yet in the archive (newest first, capped)."""
        assert self.ladder is not None
        self.ladder.done = True
        line = f"{DEGRADED} {self.ladder.failed_entry} failed ({self.ladder.cause}), used {rung} {where}"
        logger.warning("%s", line)
        self.crawler.signals.send_catch_log(newswatch_signals.crawl_notice, message=line)
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("newswatch/degraded", line)
        limit = self.crawler.settings.getint("NEWSWATCH_LADDER_MAX_ARTICLES", 30)
        by_canonical = {canonical_url(url): (url, hints) for url, hints in found}
        self.count("links_found", len(by_canonical))
        known = self.archive.known(by_canonical)
        fresh = [pair for canonical, pair in by_canonical.items() if canonical not in known][:limit]
        for url, hints in fresh:
            yield scrapy.Request(
                url,
                callback=self.parse_article,
                errback=self.errback,
                cb_kwargs={"listing": hints, "always_relevant": False},
                meta={"listing_url": where},
            )


def _without(urls: list[str], failed: str) -> list[str]:
    """Candidates in order, each once, never the entry point that just failed."""
    return [url for url in dict.fromkeys(urls) if url != failed]
