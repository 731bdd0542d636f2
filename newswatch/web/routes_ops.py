"""``/healthz`` for load balancers and uptime checks, ``/metrics`` for Prometheus.

``/healthz`` answers 200 when the database answers and a scheduler holds a fresh lease, 503 otherwise,
with the reasons and each source's last crawl age in the JSON body (a probe reads the status; a person
reads the body). ``/metrics`` is rendered by prometheus-client from figures read at scrape time
(``storage.ops``), so it is right whichever process did the work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric, SummaryMetricFamily
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from storage import ops
from storage.types import utcnow

if TYPE_CHECKING:
    from newswatch.web.app import WebContext

NO_CACHE = {"cache-control": "no-store"}
# The text format every Prometheus server parses (prometheus-client 0.22+ labels its output 1.0.0, which
# older servers reject; our metric names are plain, so the body is the same).
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _web(request: Request) -> WebContext:
    return request.app.state.web  # type: ignore[no-any-return]


def health_report(web: WebContext) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body): 200 only when the database answers and the scheduler's lease is fresh."""
    problems: list[str] = []
    body: dict[str, Any] = {"database": "ok"}
    try:
        with web.sessions() as session:
            ops.database_reachable(session)
            lease = ops.scheduler_lease(session)
            last = ops.last_finished_crawls(session)
    except Exception as exc:  # the driver's error, whatever the backend: report it, never a traceback
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0][:300]
        return 503, {
            "status": "down",
            "database": f"unreachable: {reason}",
            "problems": ["database unreachable"],
        }
    now = utcnow()
    if lease is None:
        problems.append("no scheduler has ever run (newswatch serve)")
        body["scheduler"] = None
    else:
        body["scheduler"] = {"holder": lease.holder, "lease_expires_at": lease.expires_at.isoformat(),
                             "fresh": lease.fresh}  # fmt: skip
        if not lease.fresh:
            problems.append(
                f"the scheduler's lease expired at {lease.expires_at.isoformat()} (is serve running?)"
            )
    body["last_crawl_age_seconds"] = {
        source: round((now - at).total_seconds()) for source, at in sorted(last.items())
    }
    body["problems"] = problems
    body["status"] = "ok" if not problems else "degraded"
    return (200 if not problems else 503), body


async def healthz(request: Request) -> Response:
    status, body = await asyncio.to_thread(health_report, _web(request))
    return JSONResponse(body, status_code=status, headers=NO_CACHE)


class ArchiveCollector:
    """Reads the figures once per scrape (prometheus-client calls ``collect`` for every scrape)."""

    def __init__(self, web: WebContext) -> None:
        self.web = web

    def collect(self) -> Iterator[Metric]:
        with self.web.sessions() as session:
            crawls = ops.crawl_counts(session)
            articles = ops.articles_by_source(session)
            outbox = ops.outbox_depth(session)
            delivery = ops.digest_delivery_seconds(session)
        runs = CounterMetricFamily("newswatch_crawls", "Crawl runs recorded, by source and final status",
                                   labels=["source", "status"])  # fmt: skip
        errors = CounterMetricFamily("newswatch_fetch_errors", "Failed fetches (HTTP errors, timeouts) in crawl runs",
                                     labels=["source"])  # fmt: skip
        per_source_errors: dict[str, int] = {}
        for source, status, count, failed in crawls:
            runs.add_metric([source, status], count)
            per_source_errors[source] = per_source_errors.get(source, 0) + failed
        for source, failed in sorted(per_source_errors.items()):
            errors.add_metric([source], failed)
        stored = GaugeMetricFamily(
            "newswatch_articles", "Articles in the archive, by source", labels=["source"]
        )
        for source, count in sorted(articles.items()):
            stored.add_metric([source], count)
        depth = GaugeMetricFamily("newswatch_outbox_messages", "Messages in the outbox, by delivery status",
                                  labels=["status"])  # fmt: skip
        for status in ("queued", "sending", "sent", "failed"):
            depth.add_metric([status], outbox.get(status, 0))
        latency = SummaryMetricFamily(
            "newswatch_digest_delivery_seconds",
            "Seconds from a digest being queued to its delivery (most recent 1,000 digests)",
            count_value=len(delivery), sum_value=sum(delivery),
        )  # fmt: skip
        yield from (runs, errors, stored, depth, latency)


def render_metrics(web: WebContext) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ArchiveCollector(web))  # type: ignore[arg-type]
    return bytes(generate_latest(registry))


async def metrics(request: Request) -> Response:
    body = await asyncio.to_thread(render_metrics, _web(request))
    return Response(body, media_type=METRICS_CONTENT_TYPE, headers=NO_CACHE)


routes = [Route("/healthz", healthz), Route("/metrics", metrics)]
