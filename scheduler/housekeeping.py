"""Periodic upkeep: stale crawl runs, old raw HTML, and the query planner's statistics.

Each task is its own function with its own transaction, so one failing (say, a busy database) does
not stop the others, and each can be tested alone.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass

from storage import articles, crawl_runs
from storage.db import Engine, SessionFactory, optimize, session_scope
from storage.types import utcnow

log = logging.getLogger(__name__)


def pid_alive(pid: int | None) -> bool:
    """Whether a process with this pid exists on this host (zombies count as dead)."""
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True


def reclaim_stale_runs(
    session_factory: SessionFactory,
    *,
    exclude_pids: set[int] | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Mark 'running' CrawlRuns whose process is gone as 'killed' (left behind by kill -9 or a crash).

    Returns how many rows were closed. Runs of live processes (and ``exclude_pids``) are left alone.
    """
    now = now or utcnow()
    exclude = exclude_pids or set()
    closed = 0
    with session_scope(session_factory) as session:
        for run in crawl_runs.running(session):
            if run.pid in exclude or pid_alive(run.pid):
                continue
            crawl_runs.close_as_killed(
                run, f"reclaimed by housekeeping: process {run.pid} no longer exists", now
            )
            closed += 1
    if closed:
        log.warning("closed %d crawl run(s) left 'running' by a dead process", closed)
    return closed


def prune_raw_html(
    session_factory: SessionFactory, max_age_days: int | None, *, now: dt.datetime | None = None
) -> int:
    """Delete stored raw HTML fetched more than ``max_age_days`` ago (articles themselves stay)."""
    if not max_age_days:
        return 0
    cutoff = (now or utcnow()) - dt.timedelta(days=max_age_days)
    with session_scope(session_factory) as session:
        removed = articles.prune_raw_html(session, fetched_before=cutoff)
    if removed:
        log.info("pruned raw HTML of %d articles older than %d days", removed, max_age_days)
    return removed


def optimize_database(engine: Engine) -> None:
    """Refresh the query planner's statistics (and merge SQLite's full-text segments)."""
    optimize(engine)


@dataclass(frozen=True, slots=True)
class HousekeepingReport:
    stale_runs_closed: int
    raw_html_pruned: int
    optimized: bool


def run_housekeeping(
    engine: Engine,
    session_factory: SessionFactory,
    *,
    raw_html_max_age_days: int | None,
    exclude_pids: set[int] | None = None,
    reclaim_runs: bool = True,
) -> HousekeepingReport:
    """All upkeep tasks, each allowed to fail on its own (logged) without skipping the rest.

    ``reclaim_runs`` is off in a cluster: crawls run on other hosts, where a pid check means nothing
    (a cluster crawl closes its source's dead runs itself, under the source's lock).
    """
    stale = pruned = 0
    optimized = False
    try:
        if reclaim_runs:
            stale = reclaim_stale_runs(session_factory, exclude_pids=exclude_pids)
    except Exception:
        log.exception("housekeeping: reclaiming stale crawl runs failed")
    try:
        pruned = prune_raw_html(session_factory, raw_html_max_age_days)
    except Exception:
        log.exception("housekeeping: pruning raw HTML failed")
    try:
        optimize_database(engine)
        optimized = True
    except Exception:
        log.exception("housekeeping: optimizing the database failed")
    return HousekeepingReport(stale, pruned, optimized)
