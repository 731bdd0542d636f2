"""Crawling a source through its XML sitemaps: indexes, news sitemaps and gzip files.

Sitemaps list every article a site ever published, so the spider must be choosy:

- a ``<sitemapindex>`` is followed into its child sitemaps, skipping children whose ``lastmod`` is older
  than the cutoff;
- in a ``<urlset>``, an entry is kept when its date (``news:publication_date``, else ``lastmod``) is
  not older than the cutoff; entries without any date are kept (the archive check filters them);
- the cutoff is the later of "the last successful run of this source, minus a day of slack" (scheduled
  runs only) and "now minus ``max_age_days``" (entry ``extra.max_age_days`` or source option
  ``sitemap_max_age_days``); a backfill uses only the window;
- ``url_pattern`` (a regular expression) keeps only article URLs, ``news_only`` keeps only entries of
  a news sitemap, ``max_urls`` caps one sitemap;
- ``.gz`` sitemaps (gzip magic bytes, whatever the Content-Type) are unpacked with Scrapy's bounded
  ``gunzip``.

Then, like a listing: one archive query for the URLs, and only unknown articles are fetched.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

import scrapy
from lxml import etree
from scrapy.http import Response
from scrapy.utils.gz import gunzip

from crawler.items import ListingHints
from crawler.middlewares import CONDITIONAL
from crawler.normalize import canonical_url, parse_date
from crawler.sources import EntryPoint
from crawler.spiders.listing import SelectorListingSpider

logger = logging.getLogger(__name__)

SLACK = dt.timedelta(days=1)  # lastmod is often the day, not the instant; never miss an article by it


class SitemapError(ValueError):
    """The document is not a sitemap (HTML error page, broken XML)."""


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    loc: str
    lastmod: dt.datetime | None = None
    published: dt.datetime | None = None  # news:publication_date
    title: str | None = None  # news:title
    language: str | None = None  # news:language

    @property
    def date(self) -> dt.datetime | None:
        return self.published or self.lastmod


@dataclass(frozen=True, slots=True)
class Sitemap:
    is_index: bool
    entries: list[SitemapEntry]


def read_sitemap(body: bytes, max_size: int = 50 * 1024 * 1024) -> Sitemap:
    """Parse a (possibly gzipped) sitemap or sitemap index; entities are never resolved."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gunzip(body, max_size=max_size)
        except (OSError, EOFError, ValueError) as exc:
            raise SitemapError(f"broken gzip sitemap: {exc or exc.__class__.__name__}") from None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, remove_comments=True)
    try:
        root = etree.fromstring(body.lstrip(), parser=parser)
    except etree.XMLSyntaxError as exc:
        raise SitemapError(f"not XML: {exc}") from None
    if root is None:
        raise SitemapError("empty document")
    kind = etree.QName(root).localname
    if kind not in ("urlset", "sitemapindex"):
        raise SitemapError(f"not a sitemap (root element <{kind}>)")
    child_tag = "sitemap" if kind == "sitemapindex" else "url"
    entries = []
    for node in root:
        if not isinstance(node.tag, str) or etree.QName(node).localname != child_tag:
            continue
        fields = _fields(node)
        if fields.get("loc"):
            entries.append(
                SitemapEntry(
                    loc=fields["loc"],
                    lastmod=parse_date(fields.get("lastmod")),
                    published=parse_date(fields.get("publication_date")),
                    title=fields.get("title"),
                    language=fields.get("language"),
                )
            )
    return Sitemap(is_index=kind == "sitemapindex", entries=entries)


def _fields(node: Any) -> dict[str, str]:
    """Text of every descendant by local name (news:news/news:publication_date flattens to one key)."""
    fields: dict[str, str] = {}
    for element in node.iter():
        if element is node or not isinstance(element.tag, str):
            continue
        text = (element.text or "").strip()
        if text:
            fields.setdefault(etree.QName(element).localname, text)
    return fields


class SitemapSpider(SelectorListingSpider):
    """Sitemap entry points first, then any listing entry points of the same source."""

    name = "sitemap"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for index, entry in enumerate(self.source.entries):
            if entry.kind == "sitemap":
                yield self.sitemap_request(self.source.url_for(entry), index, conditional=not self.backfill)
        async for request in super().start():
            yield request

    def sitemap_request(self, url: str, index: int, *, conditional: bool) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_sitemap,
            errback=self.errback,
            priority=10,
            meta={CONDITIONAL: conditional, "entry_index": index},
        )

    def cutoff(self, entry: EntryPoint) -> dt.datetime | None:
        """Entries dated before this are skipped (see the module docstring)."""
        now = dt.datetime.now(dt.UTC)
        candidates: list[dt.datetime] = []
        extra = entry.option("extra", {}) or {}
        days = extra.get("max_age_days", self.source.options.get("sitemap_max_age_days"))
        if days:
            candidates.append(now - dt.timedelta(days=float(days)))
        if not self.backfill:
            last = self.last_successful_run()
            if last is not None:
                candidates.append(last - SLACK)
        return max(candidates) if candidates else None

    def last_successful_run(self) -> dt.datetime | None:
        if not hasattr(self, "_last_success"):
            self._last_success: dt.datetime | None = self.archive.last_success(self.source.key)
        return self._last_success

    def parse_sitemap(self, response: Response) -> Iterable[scrapy.Request]:
        index = response.meta["entry_index"]
        entry = self.source.entries[index]
        if self.not_modified(response, "sitemap"):
            return
        try:
            sitemap = read_sitemap(response.body, self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
        except SitemapError as exc:
            logger.error("%s: %s: %s", self.source.key, response.url, exc)
            self.count_error(response.url)
            yield from self.fall_back(response.url, "not a sitemap")
            return
        self.keep_validators(response)
        if not sitemap.is_index:  # health: links listed, even if all are older than the cutoff
            self.crawler.stats.inc_value("newswatch/links_found", len(sitemap.entries))
        cutoff = self.cutoff(entry)
        fresh = [e for e in sitemap.entries if cutoff is None or e.date is None or e.date >= cutoff]
        skipped = len(sitemap.entries) - len(fresh)
        if skipped:
            self.crawler.stats.inc_value("newswatch/sitemap_skipped_old", skipped)
        if sitemap.is_index:
            for child in fresh:
                yield self.sitemap_request(response.urljoin(child.loc), index, conditional=False)
            return
        yield from self.article_requests(fresh, entry, response.url)

    def article_requests(
        self, entries: list[SitemapEntry], entry: EntryPoint, sitemap_url: str
    ) -> Iterable[scrapy.Request]:
        pattern = entry.option("url_pattern")
        if pattern:
            entries = [e for e in entries if re.search(pattern, e.loc)]
        if entry.option("news_only"):
            entries = [e for e in entries if e.published is not None]
        limit = entry.option("max_urls")
        if limit:
            entries = entries[:limit]
        by_canonical = {canonical_url(e.loc): e for e in entries}
        known = self.archive.known(by_canonical) if by_canonical else set()
        for canonical, item in by_canonical.items():
            if entry.always_relevant:
                self.always_relevant_urls.add(canonical)
            if canonical in known:
                continue
            listing = ListingHints(published=item.published, title=item.title or None, origin="sitemap")
            yield scrapy.Request(
                item.loc,
                callback=self.parse_article,
                errback=self.errback,
                cb_kwargs={"listing": listing, "always_relevant": entry.always_relevant},
                meta={"listing_url": sitemap_url},
            )
