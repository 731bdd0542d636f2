"""Downloader middlewares: conditional GET on listing pages and retries that back off.

Conditional GET is what makes a scheduled run cheap: a listing page that has not changed answers 304,
and the spider then knows there is nothing new behind it without fetching a single article. Validators
(ETag / Last-Modified) are only *offered* here; the spider stores them at the end of a successful run, so
a run that failed half-way does not hide the articles it missed behind a 304 next time.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol, Self, runtime_checkable

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

# Request.meta key: send the stored validators for this URL and accept a 304.
CONDITIONAL = "newswatch_conditional"
# Request.meta key: with CONDITIONAL, record fresh validators but do not send the stored ones (a backfill
# must see the page, yet leave validators behind for the next scheduled run).
REFRESH = "newswatch_refresh"
# Request.meta key set by ConditionalGetMiddleware: (etag, last_modified) of a fresh 200 response.
VALIDATORS = "newswatch_validators"


Validators = tuple[str | None, str | None]  # (ETag, Last-Modified) as the server sent them


@runtime_checkable
class ValidatorStore(Protocol):
    """Where the validators stored by earlier runs are looked up (a NewswatchSpider is one)."""

    def stored_validators(self, url: str) -> Validators | None: ...


class ConditionalGetMiddleware:
    """Adds If-None-Match / If-Modified-Since from stored validators to listing requests.

    The store is given, or (when built by Scrapy) the spider, once it is open and if it keeps validators.
    """

    def __init__(self, store: ValidatorStore | None = None) -> None:
        self.store = store

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls()
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        if self.store is None and isinstance(spider, ValidatorStore):
            self.store = spider

    def process_request(self, request: Request) -> None:
        if not request.meta.get(CONDITIONAL) or request.meta.get(REFRESH):
            return None
        stored = self.store.stored_validators(request.url) if self.store is not None else None
        if stored:
            etag, last_modified = stored
            if etag:
                request.headers.setdefault(b"If-None-Match", etag)
            if last_modified:
                request.headers.setdefault(b"If-Modified-Since", last_modified)
        handled = set(request.meta.get("handle_httpstatus_list", ()))
        request.meta["handle_httpstatus_list"] = sorted(handled | {304})
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        if request.meta.get(CONDITIONAL) and response.status == 200:
            etag = response.headers.get(b"ETag")
            last_modified = response.headers.get(b"Last-Modified")
            if etag or last_modified:
                request.meta[VALIDATORS] = (
                    etag.decode("latin-1") if etag else None,
                    last_modified.decode("latin-1") if last_modified else None,
                )
        return response


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry policy, plus an exponential pause before each retry (base * 2**n, capped).

    The pause is awaited by this one request only; other requests keep flowing. ``RETRY_BACKOFF_BASE``
    (seconds, 0 disables) and ``RETRY_BACKOFF_MAX`` tune it.
    """

    def __init__(
        self, settings: BaseSettings, *, backoff_base: float = 1.0, backoff_max: float = 30.0
    ) -> None:
        super().__init__(settings)  # Scrapy's RetryMiddleware reads its own RETRY_* settings
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        middleware = cls(
            settings,
            backoff_base=settings.getfloat("RETRY_BACKOFF_BASE", 1.0),
            backoff_max=settings.getfloat("RETRY_BACKOFF_MAX", 30.0),
        )
        middleware.crawler = crawler
        return middleware

    async def _pause(self, retry: Request | Response) -> Request | Response:
        if isinstance(retry, Request) and self.backoff_base > 0:
            attempt = int(retry.meta.get("retry_times", 1))
            delay = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
            logger.debug("retrying %s in %.1fs (attempt %d)", retry.url, delay, attempt)
            await asyncio.sleep(delay)
        return retry

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        return await self._pause(super().process_response(request, response))

    async def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:  # type: ignore[override]
        result = super().process_exception(request, exception)
        return await self._pause(result) if result is not None else None
