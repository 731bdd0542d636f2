"""Run the crawl of some sources in this process and return what each run did.

Scrapy's reactor cannot be restarted inside a process, so ``run_crawl`` may be called once per process:
the CLI calls it directly, the scheduler runs it in a child process (``scheduler/crawl_child.py``), tests
run it through ``python -m crawler.runner`` (see ``main``).

Which spider crawls a source: the source's ``spider`` key if it has one, else the kind of its first
entry point. ``SPIDERS`` maps names to import paths; add a line there for a new spider class.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import AsyncCrawlerProcess, Crawler
from scrapy.settings import Settings

from crawler import settings as default_settings
from crawler import signals as newswatch_signals
from crawler.netguard import forbidden_reason, ip_literal
from crawler.sources import Source, SourceConfigError, load_registry
from storage.crawl_state import CrawlArchive
from storage.records import CrawlSummary

SPIDERS: dict[str, str] = {
    "osce": "crawler.spiders.osce:OsceSpider",
    "listing": "crawler.spiders.listing:SelectorListingSpider",
    "feed": "crawler.spiders.feed:FeedSpider",
    "sitemap": "crawler.spiders.sitemap:SitemapSpider",
}

logger = logging.getLogger(__name__)


def spider_class(source: Source) -> type:
    """The spider class for a source: its ``spider`` key, else the kind of its first entry point."""
    name = source.spider or (source.entries[0].kind if source.entries else "")
    target = SPIDERS.get(name)
    if target is None:
        raise SourceConfigError(
            f"source {source.key!r}: no spider {name!r}; known spiders: {', '.join(sorted(SPIDERS))}"
        )
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def crawl_settings(
    database_url: str, crawl_options: Mapping[str, Any] | None = None, log_level: str = "WARNING"
) -> Settings:
    """crawler/settings.py, overlaid with the user's [crawl] options and the database URL."""
    settings = Settings()
    settings.setmodule(default_settings, priority="project")
    settings.update(default_settings.overlay(dict(crawl_options or {})), priority="cmdline")
    settings.set("NEWSWATCH_DATABASE_URL", database_url, priority="cmdline")
    settings.set("LOG_LEVEL", log_level, priority="cmdline")
    settings.set(
        "LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline"
    )  # the caller's logging stays in charge
    return settings


def private_hosts(sources: Sequence[Source]) -> list[str]:
    """Names the operator allowed to resolve to private addresses (``allow_private_hosts``)."""
    return sorted({host for source in sources for host in source.allow_private_hosts})


def private_endpoints(sources: Sequence[Source]) -> list[str]:
    """``host:port`` of each source whose own base_url is a private IP literal (a replica, a mirror)."""
    endpoints = set()
    for source in sources:
        parts = urlsplit(source.base_url)
        literal = ip_literal(parts.hostname or "")
        if literal is not None and forbidden_reason(literal):
            endpoints.add(f"{literal}:{parts.port or (443 if parts.scheme == 'https' else 80)}")
    return sorted(endpoints)


def run_crawl(
    database_url: str,
    sources: Sequence[Source],
    *,
    crawl_options: Mapping[str, Any] | None = None,
    backfill: bool = False,
    max_pages: int | None = None,
    log_level: str = "WARNING",
    progress: Callable[[str], None] | None = None,
) -> list[CrawlSummary]:
    """Crawl ``sources`` (concurrently) and return one CrawlSummary per source, in the given order.

    ``progress`` (e.g. a stderr writer) gets a line when a source starts, every ``PROGRESS_EVERY`` pages
    and when it ends. The database must be at the current schema (the caller migrates, not the crawl);
    all spiders share one CrawlArchive on it.
    """
    quiet = logging.getLevelName(log_level) > logging.INFO
    if quiet:
        logging.disable(logging.INFO)  # Scrapy's start-up banner, logged before we can set its level
    try:
        settings = crawl_settings(database_url, crawl_options, log_level)
        # One resolver serves the process: what any of these sources may reach inside the network.
        settings.set("NEWSWATCH_PRIVATE_HOSTS", private_hosts(sources), priority="cmdline")
        settings.set("NEWSWATCH_PRIVATE_ENDPOINTS", private_endpoints(sources), priority="cmdline")
        process = AsyncCrawlerProcess(settings)
    finally:
        if quiet:
            logging.disable(logging.NOTSET)
    _configure_logging(log_level)  # after Scrapy's own dictConfig, which resets its loggers to DEBUG
    crawlers = []
    summaries: dict[str, CrawlSummary] = {}
    archive = CrawlArchive.connect(database_url)
    for source in sources:
        try:
            cls = spider_class(source)
        except SourceConfigError as exc:
            logger.error("%s", exc)
            summaries[source.key] = CrawlSummary(source=source.key, status="failed", errors=1)
            continue
        crawler = process.create_crawler(cls)
        crawler.signals.connect(
            _collect(summaries, source.key), signal=newswatch_signals.run_finished, weak=False
        )
        if progress is not None:
            _report_progress(crawler, source.key, progress)
        crawlers.append((source, crawler))
        process.crawl(crawler, source=source, archive=archive, backfill=backfill, max_pages=max_pages)
    try:
        if crawlers:
            process.start()
    finally:
        archive.close()
    for source, crawler in crawlers:
        if source.key not in summaries:  # the crawl broke before its store pipeline could sum it up
            run_id = crawler.stats.get_value("newswatch/run_id") if crawler.stats is not None else None
            summaries[source.key] = CrawlSummary(source=source.key, run_id=run_id, status="failed", errors=1)
    return [summaries[source.key] for source in sources]


def _collect(summaries: dict[str, CrawlSummary], key: str) -> Callable[[CrawlSummary], None]:
    """A run_finished receiver that files the run's summary under its source."""

    def receive(summary: CrawlSummary) -> None:
        summaries[key] = summary

    return receive


PROGRESS_EVERY = 25


def _configure_logging(log_level: str) -> None:
    """Keep the caller's logging (the CLI's, the scheduler's); Scrapy and Twisted speak at ``log_level``."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(
            level=log_level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    for name in ("scrapy", "twisted", "asyncio"):
        logging.getLogger(name).setLevel(log_level)


def _report_progress(crawler: Crawler, key: str, progress: Callable[[str], None]) -> None:
    counts = {"responses": 0, "items": 0}

    def opened(spider: Any) -> None:
        progress(f"{key}: started")

    def response(response: Any, request: Any, spider: Any) -> None:
        if request.url.endswith("/robots.txt"):
            return
        counts["responses"] += 1
        if counts["responses"] % PROGRESS_EVERY == 0:
            progress(f"{key}: {counts['responses']} pages fetched, {counts['items']} articles kept")

    def item(item: Any, response: Any, spider: Any) -> None:
        counts["items"] += 1

    def failed(url: str, cause: str) -> None:
        progress(f"{key}: {url}: {cause}")

    def notice(message: str) -> None:
        progress(f"{key}: {message}")

    def finished(summary: CrawlSummary) -> None:
        errors = f", {summary.errors} error{'s' if summary.errors != 1 else ''}" if summary.errors else ""
        progress(f"{key}: {summary.status}{errors}; {counts['responses']} pages fetched, "
                 f"{counts['items']} articles kept")  # fmt: skip

    crawler.signals.connect(opened, signal=signals.spider_opened, weak=False)
    crawler.signals.connect(response, signal=signals.response_received, weak=False)
    crawler.signals.connect(item, signal=signals.item_scraped, weak=False)
    crawler.signals.connect(failed, signal=newswatch_signals.fetch_failed, weak=False)
    crawler.signals.connect(notice, signal=newswatch_signals.crawl_notice, weak=False)
    crawler.signals.connect(finished, signal=newswatch_signals.run_finished, weak=False)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m crawler.runner DATABASE_URL SOURCE... [--backfill] [--max-pages N] [--options JSON]``.

    ``--overrides`` is a JSON object of ``[sources.*]`` tables (e.g. a replica's base_url); the summaries
    are printed as one JSON array on stdout.
    """
    parser = argparse.ArgumentParser(prog="python -m crawler.runner")
    parser.add_argument("database_url")
    parser.add_argument("sources", nargs="+")
    parser.add_argument("--backfill", action="store_true")
    parser.add_argument("--max-pages", type=int)
    parser.add_argument("--options", default="{}", help="crawl options as JSON")
    parser.add_argument("--overrides", default="{}", help="source overrides as JSON")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    registry = load_registry(json.loads(args.overrides))
    sources = [registry.get(key) for key in args.sources]
    summaries = run_crawl(
        args.database_url,
        sources,
        crawl_options=json.loads(args.options),
        backfill=args.backfill,
        max_pages=args.max_pages,
        log_level=args.log_level,
    )
    json.dump([dataclasses.asdict(s) for s in summaries], sys.stdout)
    sys.stdout.write("\n")
    return 0 if all(s.status == "ok" for s in summaries) else 1


if __name__ == "__main__":
    sys.exit(main())
