"""The article pipeline: normalise → relevance → tags + SimHash → store (in batches), one CrawlRun per run.

Each stage does one thing and drops what it must, counting why. Storage is batched (one transaction per
``NEWSWATCH_BATCH_SIZE`` articles, and the rest at close) so a failing batch rolls back whole: nothing is
ever half-written. A failing page or batch is logged and counted; the run goes on. The run's CrawlRun row
is written at the start (status ``running``, pid) and completed at the end with the counts and the last
warnings and errors, which is what ``newswatch sources list`` and the scheduler's health checks read.
"""

from __future__ import annotations

import collections
import datetime as dt
import logging
import os
from typing import Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.signalmanager import SignalManager
from scrapy.statscollectors import StatsCollector

from crawler import signals as newswatch_signals
from crawler.dedup import link_duplicates, simhash
from crawler.items import FetchedArticle
from crawler.normalize import NotAnArticle, detect_language, normalize_page
from crawler.relevance import RelevanceRules
from crawler.spiders.base import NewswatchSpider
from crawler.tagging import Tagger
from storage.crawl_state import CrawlArchive
from storage.links import safe_url
from storage.records import CrawlSummary
from storage.types import utcnow

__all__ = ["CrawlSummary", "NormalizePipeline", "RelevancePipeline", "StorePipeline", "TagPipeline"]

logger = logging.getLogger(__name__)


def _stats(crawler: Crawler) -> StatsCollector:
    if crawler.stats is None:  # only before Crawler.crawl() applied its settings
        raise NotConfigured("the crawler has no stats collector yet")
    return crawler.stats


class _Stage:
    """Shared plumbing: counting into Scrapy's stats (``newswatch/<key>``) and dropping with a reason."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(_stats(crawler))

    def count(self, key: str, n: int = 1) -> None:
        self.stats.inc_value(f"newswatch/{key}", n)

    def drop(self, why: str, item: FetchedArticle) -> DropItem:
        """Count the drop; Scrapy's ``item_dropped`` signal then tells the spider (it remembers the page)."""
        self.count("dropped")
        self.count(f"dropped/{why}")
        return DropItem(f"{why}: {item.page.url}", log_level="INFO")


class NormalizePipeline(_Stage):
    """ParsedPage → ArticleRecord. A page that is not an article (index, error page) is dropped."""

    def __init__(self, stats: StatsCollector) -> None:
        super().__init__(stats)
        # Load the language model now (about a second), not in the middle of the first article.
        detect_language("The OSCE Programme Office in Dushanbe opened a training course.", None)

    def process_item(self, item: FetchedArticle) -> FetchedArticle:
        if safe_url(item.page.url) is None:  # javascript:, data:, file: ... (the ingest rule; storage.links)
            logger.warning(
                "%s: refused to store %r: not an http(s) URL", item.source.key, item.page.url[:200]
            )
            raise self.drop("unsafe_url", item)
        try:
            record = normalize_page(
                item.page,
                source=item.source.key,
                raw_html=item.raw_html,
                encoding=item.encoding,
                zone=item.source.zone,
            )
        except NotAnArticle as exc:
            logger.info("%s: not an article: %s (%s)", item.source.key, item.page.url, exc)
            raise self.drop("not_an_article", item) from None
        if item.page.fallback_fields or record.extraction != "site":
            self.count("fallbacks")
            record.extra.setdefault("fallback_fields", list(item.page.fallback_fields))
        if item.listing.where:
            record.extra.setdefault("where", item.listing.where)
        item.record = record
        return item


class RelevancePipeline(_Stage):
    """Keeps what the source's RelevanceRules match (or what an always-relevant listing lists)."""

    def __init__(self, stats: StatsCollector) -> None:
        super().__init__(stats)
        self._rules: dict[str, RelevanceRules] = {}

    def rules_for(self, item: FetchedArticle) -> RelevanceRules:
        key = item.source.key
        if key not in self._rules:
            self._rules[key] = RelevanceRules.from_mapping(dict(item.source.relevance) or None)
        return self._rules[key]

    def process_item(self, item: FetchedArticle) -> FetchedArticle:
        record = item.normalised()
        rules = self.rules_for(item)
        terms = rules.match(record.title, record.summary or "", record.body)
        if not terms and not (item.always_relevant or rules.always):
            raise self.drop("not_relevant", item)
        record.relevance_terms = terms
        return item


class TagPipeline(_Stage):
    """Topic tags (keeping the page's declared ones, e.g. OSCE fields of work) and the body's SimHash."""

    def __init__(self, stats: StatsCollector, tagger: Tagger) -> None:
        super().__init__(stats)
        self.tagger = tagger
        self.fields_of_work = frozenset(tagger.labels)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(_stats(crawler), Tagger.default())

    def process_item(self, item: FetchedArticle) -> FetchedArticle:
        record = item.normalised()
        record.tags = list(self.tagger.tags(record.title, record.body, record.tags))
        # A declared tag that is not a field of work is the site's own category (a "section").
        record.sections = [tag for tag in record.tags if tag not in self.fields_of_work]
        record.simhash = simhash(record.body)
        return item


class StorePipeline(_Stage):
    """Batch upsert + duplicate linking, and the run's CrawlRun row from start to finish.

    The run's figures come from ``crawler.stats`` (``newswatch/pages``, ``newswatch/errors``, ``new`` ...),
    wherever they were counted; at the end the pipeline sends ``run_finished`` with the CrawlSummary.
    """

    def __init__(
        self,
        stats: StatsCollector,
        signals: SignalManager,
        archive: CrawlArchive,
        *,
        source: str,
        backfill: bool = False,
        batch_size: int = 50,
        excerpt_lines: int = 20,
        baseline_window: dt.timedelta = dt.timedelta(hours=48),
    ) -> None:
        super().__init__(stats)
        self.baseline_window = baseline_window
        self.baseline = False  # set at open: the source's first successful run (storage.baseline)
        self.signals = signals
        self.archive = archive
        self.source = source
        self.backfill = backfill
        self.batch_size = batch_size
        self.buffer: list[FetchedArticle] = []
        self.run_id: int | None = None
        self.excerpt = _ExcerptHandler(excerpt_lines)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        spider = crawler.spider  # created before the engine builds its pipelines
        if not isinstance(spider, NewswatchSpider):
            raise NotConfigured("StorePipeline stores what a NewswatchSpider crawls")
        return cls(
            _stats(crawler),
            crawler.signals,
            spider.archive,
            source=spider.source.key,
            backfill=spider.backfill,
            batch_size=crawler.settings.getint("NEWSWATCH_BATCH_SIZE", 50),
            excerpt_lines=crawler.settings.getint("NEWSWATCH_LOG_EXCERPT_LINES", 20),
            baseline_window=dt.timedelta(hours=crawler.settings.getint("NEWSWATCH_BASELINE_HOURS", 48)),
        )

    def open_spider(self) -> None:
        logging.getLogger().addHandler(self.excerpt)
        self.baseline = not self.backfill and self.archive.is_baseline(self.source)
        self.run_id = self.archive.start_run(self.source, backfill=self.backfill, pid=os.getpid())
        if self.baseline:
            logger.info(
                "%s: first crawl is a baseline: only articles published in the last %s will be mailed",
                self.source,
                self.baseline_window,
            )
        self.stats.set_value("newswatch/run_id", self.run_id)

    def process_item(self, item: FetchedArticle) -> FetchedArticle:
        self.buffer.append(item)
        if len(self.buffer) >= self.batch_size:
            self.flush()
        return item

    def flush(self) -> None:
        batch, self.buffer = self.buffer, []
        if not batch:
            return
        records = [item.normalised() for item in batch]
        if self.baseline:
            recent = utcnow() - self.baseline_window
            for record in records:
                record.archive_only = record.published_at is None or record.published_at < recent
        try:
            outcome = self.archive.store(
                records,
                crawl_run_id=self.run_id,
                backfill=self.backfill,
                after_insert=link_duplicates,
            )
        except Exception:
            logger.exception("%s: storing a batch of %d articles failed", self.source, len(batch))
            for item in batch:
                self.signals.send_catch_log(newswatch_signals.article_not_stored, item=item)
            self.count("store_failures")
            return
        self.count("new", len(outcome.new))
        self.count("updated", len(outcome.updated))
        self.count("unchanged", len(outcome.unchanged))

    def close_spider(self) -> None:
        try:
            self.flush()
            summary = self.summary(status="ok")
            self.signals.send_catch_log(newswatch_signals.run_finished, summary=summary)
            self.finish(summary)
        finally:
            logging.getLogger().removeHandler(self.excerpt)

    def summary(self, status: str) -> CrawlSummary:
        stats = self.stats

        def value(key: str) -> int:
            return int(stats.get_value(f"newswatch/{key}", 0))

        reason = stats.get_value("finish_reason")
        if reason not in (None, "finished") or value("store_failures"):
            status = "failed"
        if value("pages") == 0 and value("errors"):
            status = "failed"  # not a single page came back: the site (or our config) is broken
        return CrawlSummary(
            source=self.source,
            run_id=self.run_id,
            status=status,
            pages_fetched=value("pages"),
            items_new=value("new"),
            items_updated=value("updated"),
            items_unchanged=value("unchanged"),
            items_dropped=value("dropped"),
            errors=value("errors"),
            fallbacks=value("fallbacks"),
            links_found=stats.get_value("newswatch/links_found"),
            refused_urls=value("refused_urls"),
        )

    def finish(self, summary: CrawlSummary) -> None:
        self.archive.finish_run(self.run_id, summary, log_excerpt=self.excerpt.text() or None)


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
