"""What every newswatch spider shares: its source, its archive access, and incremental listing crawls.

A scheduled run must cost almost nothing when nothing changed. So a listing spider:

1. asks for each listing page with the validators stored last time (conditional GET); a 304 means
   nothing new there, and the spider stops that entry point;
2. checks all links of a listing page against the archive in one query (``known_urls``, by canonical
   URL) and requests only the unknown ones;
3. stops paginating when a whole page is already known, or after ``max_pages`` pages
   (``NEWSWATCH_MAX_PAGES`` for scheduled runs, ``--backfill --max-pages N`` to walk deeper); after a
   run that counted errors, the next one walks ``max_pages`` deep to catch up;
4. stores the new validators only at the end of a run in which nothing behind that listing failed,
   so a failed article is retried next time instead of hiding behind a 304;
5. remembers pages it fetched and dropped (not relevant, not an article) so they are not fetched again.

Subclasses set ``name`` and may override ``listing_metadata`` (per-item metadata from the listing page,
used as a fallback for the article and for relevance) and ``site_parser``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Iterable
from typing import Any, cast

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure
from w3lib.url import add_or_replace_parameter

from crawler import signals as newswatch_signals
from crawler.fetch_errors import describe_failure
from crawler.items import FetchedArticle, ListingHints, ParsedPage
from crawler.middlewares import CONDITIONAL, REFRESH, VALIDATORS
from crawler.netguard import RedirectLoop, RefusedURL
from crawler.normalize import canonical_url, decode_html
from crawler.parsers.layered import extract_article
from crawler.parsers.site import SiteParser
from crawler.sources import EntryPoint, Source, load_registry, load_site_parser
from crawler.spiders.ladder import DiscoveryLadder
from storage.crawl_state import CrawlArchive
from storage.records import CrawlSummary

logger = logging.getLogger(__name__)


def declared_charset(response: Response) -> str | None:
    """The charset the server declared in Content-Type, if any (decode_html decides whether to trust it)."""
    header = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
    for part in header.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            return value.strip("\"' ")
    return None


def response_validators(response: Response) -> tuple[str | None, str | None]:
    etag = response.headers.get(b"ETag")
    modified = response.headers.get(b"Last-Modified")
    return (etag.decode("latin-1") if etag else None, modified.decode("latin-1") if modified else None)


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


class NewswatchSpider(scrapy.Spider):
    """Base of all newswatch spiders: resolves its Source, holds its CrawlArchive, counts pages and failures.

    The archive comes from whoever starts the crawl (``crawler.runner`` passes ``archive=``); only a bare
    ``scrapy crawl NAME`` makes the spider connect to NEWSWATCH_DATABASE_URL itself (and, being the
    crawl command then, bring the schema up to date).
    """

    name = ""  # abstract: not listed by `scrapy list`
    source_key: str | None = None  # registry key used when `scrapy crawl <name>` passes no source

    source: Source
    archive: CrawlArchive
    backfill: bool
    max_pages: int

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewswatchSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.setup(crawler, **kwargs)
        crawler.signals.connect(spider.on_spider_error, signal=signals.spider_error)
        crawler.signals.connect(spider.on_item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(spider.on_article_not_stored, signal=newswatch_signals.article_not_stored)
        crawler.signals.connect(spider.on_run_finished, signal=newswatch_signals.run_finished)
        return spider

    def setup(self, crawler: Crawler, **kwargs: Any) -> None:
        settings = crawler.settings
        source = kwargs.get("source")
        if source is None or isinstance(source, str):
            source = load_registry().get(source or self.source_key or self.name)
        if kwargs.get("base_url"):  # `scrapy crawl osce -a base_url=http://127.0.0.1:8765` (a replica)
            source = dataclasses.replace(source, base_url=kwargs["base_url"])
        self.source = source
        self.backfill = _flag(kwargs.get("backfill", False))
        default_pages = settings.getint(
            "NEWSWATCH_BACKFILL_MAX_PAGES" if self.backfill else "NEWSWATCH_MAX_PAGES", 3
        )
        max_pages = kwargs.get("max_pages")
        self.max_pages = int(max_pages) if max_pages not in (None, "") else default_pages
        archive = kwargs.get("archive")
        self.owns_archive = archive is None
        if archive is None:  # a bare `scrapy crawl NAME`: a crawl command of its own, so it may migrate
            url = kwargs.get("database_url") or settings.get("NEWSWATCH_DATABASE_URL")
            archive = CrawlArchive.connect(url, migrate=True)
        self.archive = archive
        self.site_parser: SiteParser | None = load_site_parser(self.source.parser)
        self.failed_listings: set[str] = set()
        self.fresh_validators: dict[str, tuple[str | None, str | None]] = {}
        self.always_relevant_urls: set[str] = set()
        self.dropped: dict[str, tuple[str | None, str | None]] = {}
        self.listing_failed = False
        # After a run with errors, walk max_pages deep even through known pages: what a failed page
        # hid (a listing page, say) is behind pages that are all known by now.
        self.catch_up = not self.backfill and self.archive.last_run_had_errors(self.source.key)

    # --- what the run counts (in crawler.stats, where the store pipeline reads it) ---------------------
    def count(self, key: str, n: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"newswatch/{key}", n)

    def count_page(self) -> None:
        """A listing, feed, sitemap or article page came back."""
        self.count("pages")

    def count_error(self, listing_url: str | None = None, *, listing_page: bool = False) -> None:
        """Count a failure; the listing it came from keeps no validators (so the next run looks again).

        A failed listing page itself (page 2 of 3, say) keeps *no* listing validators this run: otherwise
        page 1 would answer 304 next time and the items only page 2 shows would never be fetched.
        """
        self.count("errors")
        if listing_url:
            self.failed_listings.add(listing_url)
        if listing_page:
            self.listing_failed = True

    def stored_validators(self, url: str) -> tuple[str | None, str | None] | None:
        """Validators for a conditional GET (ConditionalGetMiddleware's ValidatorStore)."""
        return self.archive.validators(url)

    # --- signal handlers: how the pipelines and Scrapy report back -----------------------------------
    def on_spider_error(self, failure: Failure, response: Response | None, spider: scrapy.Spider) -> None:
        """A callback raised: the page counts as failed, and so does its listing when it was one."""
        meta = response.meta if response is not None else {}
        self.count_error(meta.get("listing_url"), listing_page=CONDITIONAL in meta)

    def on_item_dropped(self, item: Any, response: Response | None, exception: DropItem, spider: Any) -> None:
        """A page judged not worth keeping is remembered, so it is not fetched again (see CrawlArchive.known)."""
        if isinstance(item, FetchedArticle):
            self.dropped[canonical_url(item.link or item.page.url)] = item.validators or (None, None)

    def on_article_not_stored(self, item: FetchedArticle) -> None:
        self.count_error(item.listing_url)

    def on_run_finished(self, summary: CrawlSummary) -> None:
        self.commit_validators(run_ok=summary.ok)

    def commit_validators(self, *, run_ok: bool = True) -> None:
        """Remember dropped pages, and ETag/Last-Modified of listings whose every article made it."""
        keep = dict(self.dropped)
        if run_ok and not self.listing_failed:
            keep.update(
                {url: v for url, v in self.fresh_validators.items() if url not in self.failed_listings}
            )
        self.archive.save_validators(keep)

    def closed(self, reason: str) -> None:
        if self.owns_archive:
            self.archive.close()

    def errback(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(RefusedURL):
            return  # counted as refused_urls and logged with the reason by crawler.netguard
        if failure.check(RedirectLoop):
            self.count_error(request.meta.get("listing_url"), listing_page=CONDITIONAL in request.meta)
            logger.error("%s: %s", self.source.key, failure.getErrorMessage())
            return
        if failure.check(IgnoreRequest) and not failure.check(HttpError):  # robots.txt says no: not an error
            logger.info("%s: %s skipped: %s", self.source.key, request.url, failure.getErrorMessage())
            self.count("skipped")
            return
        self.count_error(request.meta.get("listing_url"), listing_page=CONDITIONAL in request.meta)
        cause = describe_failure(failure, request.url)
        logger.error("%s: %s failed: %s", self.source.key, request.url, cause)
        self.crawler.signals.send_catch_log(newswatch_signals.fetch_failed, url=request.url, cause=cause)


class ListingSpider(DiscoveryLadder, NewswatchSpider):
    """Walks listing entry points page by page and fetches the articles not yet in the archive.

    When an entry point fails (its first page, feed or sitemap), the discovery ladder takes over
    (crawler/spiders/ladder.py).
    """

    name = ""  # abstract: subclasses (osce, selector_listing, feed, sitemap) name themselves

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for index, entry in enumerate(self.source.entries):
            if entry.kind == "listing":
                yield self.listing_request(index, entry, int(entry.option("page_start", 0)), first=True)

    def listing_request(self, index: int, entry: EntryPoint, page_no: int, *, first: bool) -> scrapy.Request:
        url = self.source.url_for(entry)
        param = entry.option("page_param")
        if param and not first:
            url = add_or_replace_parameter(url, param, str(page_no))
        return scrapy.Request(
            url,
            callback=self.parse_listing,
            errback=self.errback,
            priority=10,
            meta={
                CONDITIONAL: True,
                REFRESH: self.backfill,
                "entry_index": index,
                "page_no": page_no,
                "pages_walked": 1,
            },
        )

    def errback(self, failure: Failure) -> Iterable[scrapy.Request]:  # type: ignore[override]
        """Count the failure; when an entry point's first page got an HTTP error, fall back down the ladder."""
        super().errback(failure)
        meta = failure.request.meta  # type: ignore[attr-defined]
        # Only when the site answered (404, 410, 500 ...): a site that is down or unreachable has not
        # moved its entry point, and every rung would fail the same way.
        if "entry_index" in meta and meta.get("pages_walked", 1) == 1 and failure.check(HttpError):
            url = failure.request.url  # type: ignore[attr-defined]
            yield from self.fall_back(url, describe_failure(failure, url))

    def listing_metadata(self, item: scrapy.Selector, response: Response) -> ListingHints:
        """Per-item metadata from the listing (date, content type, declared tags); site spiders override."""
        return ListingHints()

    def item_always_relevant(self, entry: EntryPoint, metadata: ListingHints) -> bool:
        return entry.always_relevant

    def not_modified(self, response: Response, kind: str = "") -> bool:
        """Count a fetched listing page (listing, feed, sitemap); True when it answered 304 (logged and counted)."""
        self.count_page()
        if response.status != 304:
            return False
        logger.info("%s: %s%s not modified", self.source.key, f"{kind} " if kind else "", response.url)
        self.count("listing_not_modified")
        return True

    def keep_validators(self, response: Response) -> None:
        """Remember the validators of a listing page that was read (saved when the run ends well)."""
        if VALIDATORS in response.meta:
            self.fresh_validators[response.url] = response.meta[VALIDATORS]

    def parse_listing(self, response: Response) -> Iterable[scrapy.Request]:
        entry_index = response.meta["entry_index"]
        entry = self.source.entries[entry_index]
        if self.not_modified(response):
            return
        self.keep_validators(response)
        links = self.listing_links(response, entry)
        by_canonical = {canonical_url(url): (url, meta) for url, meta in links}
        self.count("links_found", len(by_canonical))
        known = self.archive.known(by_canonical) if by_canonical else set()
        for canonical, (url, meta) in by_canonical.items():
            always = self.item_always_relevant(entry, meta)
            if always:
                self.always_relevant_urls.add(canonical)
            if canonical in known:
                continue  # a backfill walks deeper, but never refetches what we have
            yield scrapy.Request(
                url,
                callback=self.parse_article,
                errback=self.errback,
                cb_kwargs={"listing": meta, "always_relevant": always},
                meta={"listing_url": response.url},
            )
        all_known = bool(by_canonical) and known.issuperset(by_canonical)
        walked = response.meta["pages_walked"]
        if not by_canonical and walked == 1:
            yield from self.fall_back(response.url, "its selectors found no links")
        if (
            not by_canonical
            or walked >= self.max_pages
            or (all_known and not (self.backfill or self.catch_up))
        ):
            return
        next_request = self.next_page(response, entry, entry_index)
        if next_request is not None:
            next_request.meta["pages_walked"] = walked + 1
            yield next_request

    def listing_links(self, response: Response, entry: EntryPoint) -> list[tuple[str, ListingHints]]:
        link_selector = entry.option("link_selector")
        item_selector = entry.option("item_selector")
        found: list[tuple[str, ListingHints]] = []
        if item_selector:
            for item in response.css(item_selector):
                href = item.css(link_selector).get()
                if href:
                    found.append(
                        (
                            response.urljoin(href.strip()),
                            self.listing_metadata(cast(scrapy.Selector, item), response),
                        )
                    )
        else:
            found = [
                (response.urljoin(href.strip()), ListingHints())
                for href in response.css(link_selector).getall()
            ]
        limit = entry.option("max_items")
        return found[:limit] if limit else found

    def next_page(self, response: Response, entry: EntryPoint, entry_index: int) -> scrapy.Request | None:
        next_selector = entry.option("next_selector")
        if next_selector and not response.css(next_selector):
            return None
        if entry.option("page_param"):
            return self.listing_request(entry_index, entry, response.meta["page_no"] + 1, first=False)
        if next_selector:
            href = response.css(next_selector).attrib.get("href")
            if href:
                request = self.listing_request(entry_index, entry, response.meta["page_no"] + 1, first=True)
                return request.replace(url=response.urljoin(href))
        return None

    def parse_article(
        self, response: Response, listing: ListingHints, always_relevant: bool
    ) -> Iterable[FetchedArticle]:
        self.count_page()
        text, encoding = decode_html(response.body, declared_charset(response))
        page = extract_article(text, response.url, self.site_parser)
        self.fill_from_listing(page, listing)
        yield FetchedArticle(
            page=page,
            source=self.source,
            raw_html=response.body,
            encoding=encoding,
            always_relevant=always_relevant or canonical_url(response.url) in self.always_relevant_urls,
            listing_url=response.meta.get("listing_url"),
            listing=listing,
            link=response.meta.get("redirect_urls", [response.url])[0],
            validators=response_validators(response),
        )

    @staticmethod
    def fill_from_listing(page: ParsedPage, listing: ListingHints) -> None:
        """The listing's metadata is the last fallback for what neither parser found; it is recorded."""
        used = []
        if listing.published and page.published:
            # not used unless the page's own date is absurd or missing: see crawler.normalize.published
            page.date_candidates = [*page.date_candidates, (listing.origin, listing.published)]
        if not page.published and listing.published:
            page.published = listing.published
            used.append("published")
        if not page.content_type and listing.content_type:
            page.content_type = listing.content_type
            used.append("content_type")
        if not page.tags and listing.tags:
            page.tags = list(listing.tags)
            used.append("tags")
        if used:
            page.fallback_fields = [*page.fallback_fields, *(f"{name}:listing" for name in used)]
