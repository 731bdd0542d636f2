"""The article pipeline: normalise → relevance → tags + SimHash → store (in batches), one CrawlRun per run.

Each stage does one thing and drops what it must, counting why. Storage is batched (one transaction per
``NEWSWATCH_BATCH_SIZE`` articles, and the rest at close) so a failing batch rolls back whole: nothing is
ever half-written. A failing page or batch is logged and counted; the run goes on. The run's CrawlRun row
is written at the start (status ``running``, pid) and completed at the end with the counts and the last
warnings and errors, which is what ``newswatch sources list`` and the scheduler's health checks read.
"""

from __future__ import annotations

import collections
import logging
import os
from dataclasses import dataclass
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from sqlalchemy import update

from crawler.dedup import link_duplicates, simhash
from crawler.middlewares import CONDITIONAL
from crawler.normalize import NotAnArticle, detect_language, normalize_page
from crawler.relevance import RelevanceRules
from crawler.spiders.base import FetchedArticle
from crawler.tagging import Tagger
from storage.articles import upsert_articles
from storage.db import session_scope
from storage.models import CrawlRun
from storage.records import ArticleRecord
from storage.types import utcnow

logger = logging.getLogger(__name__)


@dataclass
class CrawlSummary:
    """What one run of one source did; returned by ``crawler.runner.run_crawl``."""

    source: str
    run_id: int | None
    status: str
    pages: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    dropped: int = 0
    errors: int = 0
    fallbacks: int = 0
    # article links the listing pages showed (None: no listing was parsed, e.g. a feed source or a 304);
    # 0 after a listing was parsed means the layout changed: the scheduler's health check alerts on it
    links_found: int | None = None


class _Stage:
    """Shared plumbing: the crawler, its spider, and counting into Scrapy's stats."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        return cls(crawler)

    @property
    def spider(self) -> Any:
        return self.crawler.spider

    def count(self, key: str, n: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"newswatch/{key}", n)

    def drop(self, why: str, item: FetchedArticle) -> DropItem:
        remember = getattr(self.spider, "remember_dropped", None)
        if remember is not None:
            remember(item)
        self.count("dropped")
        self.count(f"dropped/{why}")
        return DropItem(f"{why}: {item.page.url}", log_level="INFO")


class NormalizePipeline(_Stage):
    """ParsedPage → ArticleRecord. A page that is not an article (index, error page) is dropped."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        # Load the language model now (about a second), not in the middle of the first article.
        detect_language("The OSCE Programme Office in Dushanbe opened a training course.", None)

    def process_item(self, item: FetchedArticle) -> FetchedArticle:
        try:
            record = normalize_page(
                item.page, source=item.source.key, raw_html=item.raw_html, encoding=item.encoding
            )
        except NotAnArticle as exc:
            logger.info("%s: not an article: %s (%s)", item.source.key, item.page.url, exc)
            raise self.drop("not_an_article", item) from None
        if item.page.fallback_fields or record.extraction != "site":
            self.count("fallbacks")
            record.extra.setdefault("fallback_fields", list(item.page.fallback_fields))
        if item.listing.get("where"):
            record.extra.setdefault("where", item.listing["where"])
        item.record = record
        return item


class RelevancePipeline(_Stage):
    """Keeps what the source's RelevanceRules match (or what an always-relevant listing lists)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._rules: dict[str, RelevanceRules] = {}

    def rules_for(self, item: FetchedArticle) -> RelevanceRules:
        key = item.source.key
        if key not in self._rules:
            self._rules[key] = RelevanceRules.from_mapping(dict(item.source.relevance) or None)
        return self._rules[key]

    def process_item(self, item: FetchedArticle) -> FetchedArticle:
        record: ArticleRecord = item.record
        rules = self.rules_for(item)
        terms = rules.match(record.title, record.summary or "", record.body)
        if not terms and not (item.always_relevant or rules.always):
            raise self.drop("not_relevant", item)
        record.relevance_terms = terms
        return item


class TagPipeline(_Stage):
    """Topic tags (keeping the page's declared ones, e.g. OSCE fields of work) and the body's SimHash."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.tagger = Tagger.default()

    def process_item(self, item: FetchedArticle) -> FetchedArticle:
        record: ArticleRecord = item.record
        record.tags = list(self.tagger.tags(record.title, record.body, record.tags))
        record.simhash = simhash(record.body)
        return item


class StorePipeline(_Stage):
    """Batch upsert + duplicate linking, and the run's CrawlRun row from start to finish."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.batch_size = crawler.settings.getint("NEWSWATCH_BATCH_SIZE", 50)
        self.buffer: list[FetchedArticle] = []
        self.run_id: int | None = None
        self.excerpt = _ExcerptHandler(crawler.settings.getint("NEWSWATCH_LOG_EXCERPT_LINES", 20))
        crawler.signals.connect(self._spider_error, signal=signals.spider_error)

    def _spider_error(self, failure: Any, response: Any, spider: Any = None) -> None:
        meta = response.meta if response is not None else {}
        self.spider.count_error(meta.get("listing_url"), listing_page=CONDITIONAL in meta)

    def open_spider(self) -> None:
        logging.getLogger().addHandler(self.excerpt)
        spider = self.spider
        with session_scope(spider.archive.sessions) as session:
            run = CrawlRun(
                source=spider.source.key, status="running", backfill=spider.backfill, pid=os.getpid()
            )
            session.add(run)
            session.flush()
            self.run_id = run.id
        spider.run_id = self.run_id

    def process_item(self, item: FetchedArticle) -> FetchedArticle:
        self.buffer.append(item)
        if len(self.buffer) >= self.batch_size:
            self.flush()
        return item

    def flush(self) -> None:
        batch, self.buffer = self.buffer, []
        if not batch:
            return
        spider = self.spider
        try:
            with session_scope(spider.archive.sessions) as session:
                outcome = upsert_articles(
                    session,
                    [item.record for item in batch],
                    crawl_run_id=self.run_id,
                    backfill=spider.backfill,
                )
                if outcome.new:
                    link_duplicates(session, outcome.new)
        except Exception:
            logger.exception("%s: storing a batch of %d articles failed", spider.source.key, len(batch))
            for item in batch:
                spider.count_error(item.listing_url)
            self.count("store_failures")
            return
        self.count("new", len(outcome.new))
        self.count("updated", len(outcome.updated))
        self.count("unchanged", len(outcome.unchanged))

    def close_spider(self) -> None:
        spider = self.spider
        try:
            self.flush()
            summary = self.summary(status="ok")
            spider.commit_validators(run_ok=summary.status == "ok")
            self.finish(summary)
            spider.crawl_summary = summary
        finally:
            logging.getLogger().removeHandler(self.excerpt)

    def summary(self, status: str) -> CrawlSummary:
        spider = self.spider
        stats = self.crawler.stats
        assert stats is not None

        def value(key: str) -> int:
            return int(stats.get_value(f"newswatch/{key}", 0))

        reason = stats.get_value("finish_reason")
        if reason not in (None, "finished") or value("store_failures"):
            status = "failed"
        if spider.pages == 0 and spider.errors:
            status = "failed"  # not a single page came back: the site (or our config) is broken
        return CrawlSummary(
            source=spider.source.key,
            run_id=self.run_id,
            status=status,
            pages=spider.pages,
            new=value("new"),
            updated=value("updated"),
            unchanged=value("unchanged"),
            dropped=value("dropped"),
            errors=spider.errors,
            fallbacks=value("fallbacks"),
            links_found=stats.get_value("newswatch/links_found"),
        )

    def finish(self, summary: CrawlSummary) -> None:
        with session_scope(self.spider.archive.sessions) as session:
            session.execute(
                update(CrawlRun)
                .where(CrawlRun.id == self.run_id)
                .values(
                    finished_at=utcnow(),
                    status=summary.status,
                    pages_fetched=summary.pages,
                    items_new=summary.new,
                    items_updated=summary.updated,
                    items_unchanged=summary.unchanged,
                    items_dropped=summary.dropped,
                    errors=summary.errors,
                    fallbacks=summary.fallbacks,
                    log_excerpt=self.excerpt.text() or None,
                )
            )


class _ExcerptHandler(logging.Handler):
    """Keeps the last warnings and errors of the run for CrawlRun.log_excerpt."""

    def __init__(self, lines: int) -> None:
        super().__init__(level=logging.WARNING)
        self.lines: collections.deque[str] = collections.deque(maxlen=lines)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record).splitlines()[0][:500])
        except Exception:  # noqa: BLE001 - logging must never break the crawl
            pass

    def text(self) -> str:
        return "\n".join(self.lines)
