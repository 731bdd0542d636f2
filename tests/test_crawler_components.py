"""Each downloader middleware and item pipeline on its own, built the way Scrapy builds it.

Components are made by ``from_crawler`` on a crawler from Scrapy's ``get_crawler`` (settings in, no
network), or directly from plain values; storage is a real migrated SQLite file. The end-to-end crawls
(tests/test_osce_crawl.py, tests/test_regional_crawl.py) show the same components working together.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from scrapy import Request, Spider
from scrapy import signals as scrapy_signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.http import Response
from scrapy.utils.test import get_crawler
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from crawler import signals as newswatch_signals
from crawler.items import FetchedArticle, ListingHints, ParsedPage
from crawler.middlewares import (
    CONDITIONAL,
    REFRESH,
    VALIDATORS,
    BackoffRetryMiddleware,
    ConditionalGetMiddleware,
    Validators,
)
from crawler.pipelines import NormalizePipeline, RelevancePipeline, StorePipeline, TagPipeline
from crawler.sources import load_registry
from crawler.spiders.base import NewswatchSpider
from crawler.spiders.osce import OsceSpider
from crawler.tagging import Tagger
from storage.crawl_state import CrawlArchive
from storage.db import make_engine, make_session_factory
from storage.models import Article, CrawlRun, HttpValidator
from storage.records import CrawlSummary

LISTING = "https://www.osce.org/press-releases"
ARTICLE = "https://www.osce.org/programme-office-in-dushanbe/543210"
BODY = (
    "DUSHANBE, 19 May 2010 - The OSCE Programme Office in Dushanbe today opened a training course for "
    "border officers of Tajikistan. The course lasts two weeks.\n\n"
    "It covers risk analysis and document security. Twenty officers take part."
)
OFF_TOPIC = (
    "VIENNA, 3 June 2024 - The OSCE Secretary General met the Foreign Minister of Austria to discuss "
    "the organization's budget for the coming year.\n\nThey agreed to meet again in autumn."
)


class MemoryValidators:
    """A ValidatorStore holding what earlier runs stored, by URL."""

    def __init__(self, stored: dict[str, Validators]) -> None:
        self.stored = stored

    def stored_validators(self, url: str) -> Validators | None:
        return self.stored.get(url)


def fetched(url: str = ARTICLE, body: str = BODY, **fields: Any) -> FetchedArticle:
    title = "Border course opens in Dushanbe" if body == BODY else "Budget talks in Vienna"
    page = ParsedPage(url=url, title=title, body=body, published="19 May 2010")
    source = load_registry().get("osce")
    return FetchedArticle(page=page, source=source, raw_html=b"<html></html>", encoding="utf-8", **fields)


# --- ConditionalGetMiddleware ---------------------------------------------------------------------------


def test_conditional_get_offers_the_stored_validators_and_accepts_304() -> None:
    middleware = ConditionalGetMiddleware(
        MemoryValidators({LISTING: ('"v1"', "Mon, 01 Jan 2024 00:00:00 GMT")})
    )
    request = Request(LISTING, meta={CONDITIONAL: True})
    assert middleware.process_request(request) is None
    assert request.headers[b"If-None-Match"] == b'"v1"'
    assert request.headers[b"If-Modified-Since"] == b"Mon, 01 Jan 2024 00:00:00 GMT"
    assert 304 in request.meta["handle_httpstatus_list"]


@pytest.mark.parametrize("meta", [{}, {CONDITIONAL: True, REFRESH: True}], ids=["article", "backfill"])
def test_conditional_get_sends_nothing_for_articles_and_backfills(meta: dict[str, Any]) -> None:
    middleware = ConditionalGetMiddleware(MemoryValidators({LISTING: ('"v1"', None)}))
    request = Request(LISTING, meta=meta)
    middleware.process_request(request)
    assert b"If-None-Match" not in request.headers
    assert "handle_httpstatus_list" not in request.meta


def test_conditional_get_records_fresh_validators_of_a_listing() -> None:
    middleware = ConditionalGetMiddleware()
    request = Request(LISTING, meta={CONDITIONAL: True, REFRESH: True})
    response = Response(LISTING, status=200, headers={"ETag": '"v2"'}, request=request)
    assert middleware.process_response(request, response) is response
    assert request.meta[VALIDATORS] == ('"v2"', None)
    article = Request(ARTICLE)
    middleware.process_response(article, Response(ARTICLE, headers={"ETag": '"a"'}, request=article))
    assert VALIDATORS not in article.meta


def test_conditional_get_from_crawler_uses_a_spider_that_keeps_validators() -> None:
    class Keeper(Spider):
        name = "keeper"

        def stored_validators(self, url: str) -> Validators | None:
            return ('"k"', None)

    crawler = get_crawler(Keeper)
    middleware = ConditionalGetMiddleware.from_crawler(crawler)
    middleware.spider_opened(Spider("plain"))  # keeps no validators: nothing to offer
    assert middleware.store is None
    keeper = Keeper()
    middleware.spider_opened(keeper)
    assert middleware.store is keeper
    request = Request(LISTING, meta={CONDITIONAL: True})
    middleware.process_request(request)
    assert request.headers[b"If-None-Match"] == b'"k"'


# --- BackoffRetryMiddleware -----------------------------------------------------------------------------


def test_backoff_retry_reads_its_settings_in_from_crawler() -> None:
    crawler = get_crawler(Spider, {"RETRY_BACKOFF_BASE": 0.25, "RETRY_BACKOFF_MAX": 2.0, "RETRY_TIMES": 5})
    middleware = BackoffRetryMiddleware.from_crawler(crawler)
    assert (middleware.backoff_base, middleware.backoff_max, middleware.max_retry_times) == (0.25, 2.0, 5)


def test_backoff_retry_doubles_the_pause_up_to_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    crawler = get_crawler(Spider, {"RETRY_TIMES": 5})
    crawler.spider = crawler._create_spider("s")
    middleware = BackoffRetryMiddleware(crawler.settings, backoff_base=1.0, backoff_max=3.0)
    middleware.crawler = crawler
    pauses: list[float] = []

    async def record(delay: float) -> None:  # asyncio.sleep, minus the waiting
        pauses.append(delay)

    monkeypatch.setattr(asyncio, "sleep", record)
    request = Request(ARTICLE)
    for _ in range(4):
        retry = asyncio.run(
            middleware.process_response(request, Response(ARTICLE, status=503, request=request))
        )
        assert isinstance(retry, Request)
        request = retry
    assert pauses == [1.0, 2.0, 3.0, 3.0]
    ok = Response(ARTICLE, status=200, request=request)
    assert asyncio.run(middleware.process_response(request, ok)) is ok
    assert len(pauses) == 4


# --- the article pipelines ------------------------------------------------------------------------------


@pytest.fixture
def crawler() -> Crawler:
    return get_crawler(Spider)


def stat(crawler: Crawler, key: str) -> Any:
    assert crawler.stats is not None
    return crawler.stats.get_value(f"newswatch/{key}")


def test_normalize_turns_the_page_into_a_record(crawler: Crawler) -> None:
    item = NormalizePipeline.from_crawler(crawler).process_item(
        fetched(listing=ListingHints(where="Dushanbe"))
    )
    record = item.normalised()
    assert (record.canonical_url, record.dateline, record.language) == (ARTICLE, "Dushanbe", "en")
    assert record.extra["where"] == "Dushanbe"
    assert stat(crawler, "fallbacks") is None


def test_normalize_drops_what_is_not_an_article_and_counts_why(crawler: Crawler) -> None:
    pipeline = NormalizePipeline.from_crawler(crawler)
    with pytest.raises(DropItem, match="not_an_article"):
        pipeline.process_item(fetched(body=""))
    assert (stat(crawler, "dropped"), stat(crawler, "dropped/not_an_article")) == (1, 1)


def test_normalize_counts_a_page_that_needed_the_generic_layer(crawler: Crawler) -> None:
    item = fetched()
    item.page.fallback_fields = ["published"]
    record = NormalizePipeline.from_crawler(crawler).process_item(item).normalised()
    assert record.extra["fallback_fields"] == ["published"]
    assert stat(crawler, "fallbacks") == 1


def test_relevance_keeps_matches_and_always_relevant_listings(crawler: Crawler) -> None:
    normalize, relevance = NormalizePipeline.from_crawler(crawler), RelevancePipeline.from_crawler(crawler)
    kept = relevance.process_item(normalize.process_item(fetched()))
    assert "tajikistan" in {term.lower() for term in kept.normalised().relevance_terms}
    with pytest.raises(DropItem, match="not_relevant"):
        relevance.process_item(normalize.process_item(fetched(body=OFF_TOPIC)))
    listed = relevance.process_item(normalize.process_item(fetched(body=OFF_TOPIC, always_relevant=True)))
    assert listed.normalised().relevance_terms == []
    assert (stat(crawler, "dropped"), stat(crawler, "dropped/not_relevant")) == (1, 1)


def test_a_stage_before_normalise_is_a_wiring_error(crawler: Crawler) -> None:
    with pytest.raises(RuntimeError, match="before NormalizePipeline"):
        RelevancePipeline.from_crawler(crawler).process_item(fetched())


def test_tags_keep_the_declared_ones_and_add_a_simhash(crawler: Crawler) -> None:
    item = NormalizePipeline.from_crawler(crawler).process_item(fetched())
    item.normalised().tags = ["Border management"]
    record = TagPipeline(crawler.stats, Tagger.default()).process_item(item).normalised()  # type: ignore[arg-type]
    assert record.tags[0] == "Border management"
    assert record.simhash is not None and record.simhash != 0


# --- StorePipeline --------------------------------------------------------------------------------------


@pytest.fixture
def sessions(sqlite_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(sqlite_url)
    yield make_session_factory(engine)
    engine.dispose()


def store_pipeline(
    crawler: Crawler, sessions: sessionmaker[Session]
) -> tuple[StorePipeline, list[CrawlSummary]]:
    """A StorePipeline from plain values, and the summaries its run_finished signal carried."""
    assert crawler.stats is not None
    pipeline = StorePipeline(
        crawler.stats, crawler.signals, CrawlArchive(sessions), source="osce", batch_size=2
    )
    heard: list[CrawlSummary] = []
    crawler.signals.connect(
        lambda summary: heard.append(summary), signal=newswatch_signals.run_finished, weak=False
    )
    return pipeline, heard


def normalised(crawler: Crawler, n: int) -> list[FetchedArticle]:
    normalize = NormalizePipeline.from_crawler(crawler)
    return [normalize.process_item(fetched(url=f"{ARTICLE}{i}")) for i in range(n)]


def test_store_writes_batches_and_one_run_row_from_start_to_end(
    crawler: Crawler, sessions: sessionmaker[Session]
) -> None:
    pipeline, received = store_pipeline(crawler, sessions)
    pipeline.open_spider()
    with sessions() as session:
        run = session.scalars(select(CrawlRun)).one()
        assert (run.status, run.source, run.id) == ("running", "osce", stat(crawler, "run_id"))
    items = normalised(crawler, 3)
    for item in items[:2]:
        pipeline.process_item(item)
    with sessions() as session:  # a full batch is stored at once
        assert len(session.scalars(select(Article)).all()) == 2
    pipeline.process_item(items[2])
    crawler.stats.inc_value("newswatch/pages", 4)  # type: ignore[union-attr]
    pipeline.close_spider()
    (summary,) = received
    assert summary == CrawlSummary(
        source="osce", status="ok", run_id=run.id, pages_fetched=4, items_new=3, fallbacks=0
    )
    with sessions() as session:
        row = session.get_one(CrawlRun, run.id)
        assert (row.status, row.items_new, row.pages_fetched, row.errors) == ("ok", 3, 4, 0)
        assert row.finished_at is not None
        assert len(session.scalars(select(Article).where(Article.crawl_run_id == run.id)).all()) == 3


def test_store_reports_a_failed_batch_and_fails_the_run(
    crawler: Crawler, sessions: sessionmaker[Session]
) -> None:
    pipeline, received = store_pipeline(crawler, sessions)
    not_stored: list[FetchedArticle] = []
    crawler.signals.connect(
        lambda item: not_stored.append(item), signal=newswatch_signals.article_not_stored, weak=False
    )
    pipeline.open_spider()
    with sessions.begin() as session:  # a broken archive: the article table is gone
        session.execute(text("ALTER TABLE article RENAME TO article_gone"))
    items = normalised(crawler, 2)
    for item in items:
        pipeline.process_item(item)
    assert not_stored == items
    crawler.stats.inc_value("newswatch/pages", 2)  # type: ignore[union-attr]
    pipeline.close_spider()
    assert received[0].status == "failed" and received[0].items_new == 0
    assert stat(crawler, "store_failures") == 1


def test_a_run_with_errors_and_no_page_fails(crawler: Crawler, sessions: sessionmaker[Session]) -> None:
    pipeline, heard = store_pipeline(crawler, sessions)
    pipeline.open_spider()
    crawler.stats.inc_value("newswatch/errors", 2)  # type: ignore[union-attr]
    pipeline.close_spider()
    assert (heard[0].status, heard[0].errors, heard[0].pages_fetched) == ("failed", 2, 0)


def test_store_from_crawler_takes_the_spiders_source_and_settings(sqlite_url: str) -> None:
    crawler = get_crawler(OsceSpider, {"NEWSWATCH_BATCH_SIZE": 7})
    with pytest.raises(NotConfigured):
        StorePipeline.from_crawler(crawler)  # no spider yet
    crawler.spider = crawler._create_spider(database_url=sqlite_url, backfill="yes")
    try:
        pipeline = StorePipeline.from_crawler(crawler)
        assert (pipeline.source, pipeline.backfill, pipeline.batch_size) == ("osce", True, 7)
    finally:
        crawler.spider.closed("finished")  # type: ignore[attr-defined]


# --- the spider's side of the contract: it listens, the pipelines never call it ---------------------------


def test_the_spider_settles_validators_from_what_the_pipelines_signal(sqlite_url: str) -> None:
    crawler = get_crawler(OsceSpider)
    spider = crawler._create_spider(database_url=sqlite_url)
    assert isinstance(spider, NewswatchSpider)
    crawler.spider = spider
    try:
        spider.fresh_validators = {LISTING: ('"v1"', None), f"{LISTING}?page=1": ('"v2"', None)}
        dropped = fetched(url=f"{ARTICLE}9", validators=('"a"', None))
        crawler.signals.send_catch_log(
            signal=scrapy_signals.item_dropped,
            item=dropped,
            response=None,
            exception=DropItem("not_relevant"),
            spider=spider,
        )
        crawler.signals.send_catch_log(
            newswatch_signals.article_not_stored, item=fetched(listing_url=f"{LISTING}?page=1")
        )
        assert stat(crawler, "errors") == 1
        crawler.signals.send_catch_log(newswatch_signals.run_finished, summary=CrawlSummary("osce", "ok"))
        with spider.archive.sessions() as session:
            kept = {row.url: row.etag for row in session.scalars(select(HttpValidator))}
        # the dropped page and the listing whose articles all made it; not the one with a failed article
        assert kept == {f"{ARTICLE}9": '"a"', LISTING: '"v1"'}
    finally:
        spider.closed("finished")


# --- the contract, pinned in the source ------------------------------------------------------------------


@pytest.mark.parametrize("module", ["crawler/pipelines.py", "crawler/middlewares.py"])
def test_components_never_reach_into_the_spider_by_name(module: str) -> None:
    """No getattr/setattr/hasattr and no assignment to a spider's attribute: what a component needs comes
    in through ``__init__`` (built in ``from_crawler``), what it reports goes out through stats and signals."""
    import ast
    from pathlib import Path

    tree = ast.parse((Path(__file__).resolve().parents[1] / module).read_text(encoding="utf-8"))
    dynamic = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        and node.func.id in {"getattr", "setattr", "hasattr"}
    ]  # fmt: skip
    writes = [
        target.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Attribute) and "spider" in ast.unparse(target.value)
    ]
    assert (dynamic, writes) == ([], [])


def test_declared_tags_that_are_not_fields_of_work_are_sections(crawler: Crawler) -> None:
    item = NormalizePipeline.from_crawler(crawler).process_item(fetched())
    item.normalised().tags = ["Border management", "Политика", "Tajikistan"]
    record = TagPipeline(crawler.stats, Tagger.default()).process_item(item).normalised()  # type: ignore[arg-type]
    assert record.sections == ["Политика", "Tajikistan"]
    assert "Border management" in record.tags and "Border management" not in record.sections
