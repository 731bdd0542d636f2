"""Crawl runs: one row per crawl of one source, from 'running' to how it ended.

"The latest run of a source" is defined here once: the run with the highest id (ids grow in the order
runs start, and unlike start times they never tie). ``include_backfill`` says whether a backfill counts:
the schedule ignores backfills (a deep manual walk must not push the next scheduled run back), while
everything that shows "the last crawl" to a person (``newswatch status``, ``sources list``, ``stats``,
the web's /sources) counts them, so those four always name the same run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.models import CrawlRun, SourceState
from storage.records import CrawlSummary
from storage.types import utcnow

__all__ = [
    "CrawlRun", "close_as_killed", "finish", "last_success", "last_successes", "latest",
    "latest_by_source", "latest_of_process", "running", "sources_with_history", "start",
]  # fmt: skip


def latest(session: Session, source: str, *, include_backfill: bool) -> CrawlRun | None:
    """The newest run of ``source`` (see the module docstring for what "newest" means)."""
    return latest_by_source(session, [source], include_backfill=include_backfill).get(source)


def latest_by_source(
    session: Session, sources: Collection[str] | None = None, *, include_backfill: bool
) -> dict[str, CrawlRun]:
    """:func:`latest` for many sources in one query (all sources with a run, when ``sources`` is None)."""
    newest = select(func.max(CrawlRun.id)).group_by(CrawlRun.source)
    if sources is not None:
        newest = newest.where(CrawlRun.source.in_(list(sources)))
    if not include_backfill:
        newest = newest.where(CrawlRun.backfill.is_(False))
    return {run.source: run for run in session.scalars(select(CrawlRun).where(CrawlRun.id.in_(newest)))}


def recent(session: Session, source: str, *, limit: int, include_backfill: bool) -> list[CrawlRun]:
    """The newest ``limit`` runs of ``source``, newest first (e.g. this run and the one before it)."""
    query = select(CrawlRun).where(CrawlRun.source == source)
    if not include_backfill:
        query = query.where(CrawlRun.backfill.is_(False))
    return list(session.scalars(query.order_by(CrawlRun.id.desc()).limit(limit)))


def last_success(session: Session, source: str) -> dt.datetime | None:
    """When the newest run of ``source`` that ended 'ok' started (backfills included: they saw the site too)."""
    return last_successes(session, [source]).get(source)


def last_successes(session: Session, sources: Collection[str] | None = None) -> dict[str, dt.datetime]:
    """:func:`last_success` per source, in one query (every source with an 'ok' run when ``sources`` is None)."""
    query = select(CrawlRun.source, func.max(CrawlRun.started_at)).where(CrawlRun.status == "ok")
    if sources is not None:
        query = query.where(CrawlRun.source.in_(list(sources)))
    return {source: started for source, started in session.execute(query.group_by(CrawlRun.source)).all()}


def sources_with_history(session: Session) -> set[str]:
    """Sources that were ever crawled or have health state (a source removed from the registry included)."""
    return {
        *session.scalars(select(CrawlRun.source).distinct()),
        *session.scalars(select(SourceState.source)),
    }


def start(
    session: Session, source: str, *, backfill: bool = False, pid: int | None, now: dt.datetime | None = None
) -> CrawlRun:
    """Write the 'running' row of a crawl that begins now (its id is set on return)."""
    run = CrawlRun(source=source, status="running", backfill=backfill, pid=pid, started_at=now or utcnow())
    session.add(run)
    session.flush()
    return run


def finish(
    session: Session,
    run_id: int,
    summary: CrawlSummary,
    *,
    log_excerpt: str | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Complete the run's row with how it ended (the summary's counts carry the row's column names)."""
    session.execute(
        update(CrawlRun)
        .where(CrawlRun.id == run_id)
        .values(
            finished_at=now or utcnow(),
            status=summary.status,
            pages_fetched=summary.pages_fetched,
            items_new=summary.items_new,
            items_updated=summary.items_updated,
            items_unchanged=summary.items_unchanged,
            items_dropped=summary.items_dropped,
            errors=summary.errors,
            fallbacks=summary.fallbacks,
            refused_urls=summary.refused_urls,
            log_excerpt=log_excerpt,
        )
    )


def running(session: Session, source: str | None = None) -> list[CrawlRun]:
    """Rows still marked 'running' (of one source, when given), for checking their processes."""
    query = select(CrawlRun).where(CrawlRun.status == "running").order_by(CrawlRun.id)
    if source is not None:
        query = query.where(CrawlRun.source == source)
    return list(session.scalars(query))


def latest_of_process(session: Session, source: str, pid: int) -> CrawlRun | None:
    """The newest run of ``source`` written by process ``pid`` (the scheduler settling its child's row)."""
    query = select(CrawlRun).where(CrawlRun.source == source, CrawlRun.pid == pid)
    return session.scalars(query.order_by(CrawlRun.id.desc()).limit(1)).first()


def close_as_killed(run: CrawlRun, note: str, now: dt.datetime) -> None:
    """End a 'running' row whose process is gone: status killed, with ``note`` added to its log excerpt."""
    run.status, run.finished_at = "killed", now
    run.log_excerpt = f"{run.log_excerpt}\n{note}" if run.log_excerpt else note
