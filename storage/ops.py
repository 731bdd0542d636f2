"""What an operator's probes read: ``/healthz`` (is it alive) and ``/metrics`` (how is it doing).

Figures are computed from the archive at request time, not counted in a process: the web server, the
scheduler and the workers are different processes (different hosts in a cluster), and the database is
the one place that has seen all of them. Each query is an aggregate over an indexed column.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from storage import leases
from storage.models import Article, CrawlRun, OutboxMessage
from storage.types import utcnow

SCHEDULER_LEASE = "scheduler"


@dataclass(frozen=True, slots=True)
class LeaseState:
    holder: str
    expires_at: dt.datetime

    @property
    def fresh(self) -> bool:
        return self.expires_at > utcnow()


def database_reachable(session: Session) -> None:
    """Raises the driver's error when the database cannot answer a trivial query."""
    session.execute(text("SELECT 1"))


def scheduler_lease(session: Session) -> LeaseState | None:
    row = leases.current(session, SCHEDULER_LEASE)
    return None if row is None else LeaseState(row.holder, row.expires_at)


def last_finished_crawls(session: Session) -> dict[str, dt.datetime]:
    """Each source's newest finished crawl (any status, backfills included): how stale is its data."""
    rows = session.execute(
        select(CrawlRun.source, func.max(CrawlRun.finished_at))
        .where(CrawlRun.finished_at.is_not(None))
        .group_by(CrawlRun.source)
    ).all()
    return {source: finished for source, finished in rows if finished is not None}


def crawl_counts(session: Session) -> list[tuple[str, str, int, int]]:
    """(source, status, runs, fetch errors) over all recorded runs."""
    rows = session.execute(
        select(CrawlRun.source, CrawlRun.status, func.count(), func.coalesce(func.sum(CrawlRun.errors), 0))
        .group_by(CrawlRun.source, CrawlRun.status)
        .order_by(CrawlRun.source, CrawlRun.status)
    ).all()
    return [(source, status, int(runs), int(errors)) for source, status, runs, errors in rows]


def articles_by_source(session: Session) -> dict[str, int]:
    rows = session.execute(select(Article.source, func.count()).group_by(Article.source)).all()
    return {source: int(count) for source, count in rows}


def outbox_depth(session: Session) -> dict[str, int]:
    rows = session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    return {status: int(count) for status, count in rows}


def digest_delivery_seconds(session: Session, *, limit: int = 1000) -> list[float]:
    """Seconds from queueing to delivery of the most recent digests sent (newest ``limit``)."""
    rows = session.execute(
        select(OutboxMessage.created_at, OutboxMessage.sent_at)
        .where(OutboxMessage.kind == "digest", OutboxMessage.sent_at.is_not(None))
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    ).all()
    return [max(0.0, (sent - created).total_seconds()) for created, sent in rows if sent is not None]
