"""Shared state of a crawl cluster: per-source locks, the crawl-job ledger and worker heartbeats.

Why the database and not the broker: PostgreSQL is the one thing every node already shares and
trusts, and a session-level advisory lock dies with the connection that holds it. So a crawl child
that is killed (or whose host loses power) frees its source at once, with no expiry to wait out and
no clock to agree on, while a live crawl keeps it however long it runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select, text, update
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from storage.crawl_runs import close_as_killed
from storage.db import is_postgres, make_engine, make_session_factory, session_scope
from storage.models import ClusterWorker, CrawlJob, CrawlRun
from storage.types import utcnow

LOCK_NAMESPACE = "newswatch-crawl:"


def source_lock_key(source: str) -> int:
    """A stable signed 64-bit key for ``pg_advisory_lock`` (Python's ``hash`` differs per process)."""
    digest = hashlib.blake2b((LOCK_NAMESPACE + source).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def source_lock(
    engine: Engine, source: str, *, wait_seconds: float, poll_seconds: float = 0.5
) -> Iterator[bool]:
    """Hold the cluster-wide lock on crawling ``source``; yields False if it stayed busy for ``wait_seconds``.

    On SQLite there is one machine and no cluster, so the lock is always granted (the single-machine
    scheduler has its own per-source guard).
    """
    if not is_postgres(engine):
        yield True
        return
    key = source_lock_key(source)
    with engine.connect() as conn:
        deadline = time.monotonic() + wait_seconds
        while True:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar())
            conn.commit()  # the lock is the session's, not the transaction's: nothing else stays open
            if got or time.monotonic() >= deadline:
                break
            time.sleep(poll_seconds)
        try:
            yield got
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                conn.commit()


def close_stale_runs(session_factory: sessionmaker[Session], source: str, note: str) -> list[int]:
    """Close every 'running' row of ``source`` as killed; only safe while holding ``source_lock``.

    Under the lock no other process can be crawling the source, so such a row was left by a crawl
    that died (its lock went with it): closed here whatever host it ran on, where a pid check could
    only judge processes of this host.
    """
    now = utcnow()
    with session_scope(session_factory) as session:
        runs = session.scalars(
            select(CrawlRun).where(CrawlRun.source == source, CrawlRun.status == "running")
        ).all()
        for run in runs:
            close_as_killed(run, note, now)
        return [run.id for run in runs]


def mark_runs_killed(session_factory: sessionmaker[Session], run_ids: Sequence[int], note: str) -> None:
    """Record that these runs were cut short because their worker died (whatever they wrote at the end)."""
    if not run_ids:
        return
    now = utcnow()
    with session_scope(session_factory) as session:
        for run in session.scalars(select(CrawlRun).where(CrawlRun.id.in_(list(run_ids)))):
            close_as_killed(run, note, run.finished_at or now)


class SourceGuard:
    """What a crawl process may do about its source while it holds the source's lock."""

    def __init__(self, session_factory: sessionmaker[Session], source: str, acquired: bool) -> None:
        self.sessions, self.source, self.acquired = session_factory, source, acquired

    def close_stale_runs(self, note: str) -> list[int]:
        return close_stale_runs(self.sessions, self.source, note)

    def mark_runs_killed(self, run_ids: Sequence[int], note: str) -> None:
        mark_runs_killed(self.sessions, run_ids, note)


@contextmanager
def guard_source(database_url: str, source: str, *, wait_seconds: float) -> Iterator[SourceGuard]:
    """``source_lock`` on a connection of its own, for a process that has no engine of its own yet."""
    engine = make_engine(database_url, poolclass=NullPool)
    try:
        with source_lock(engine, source, wait_seconds=wait_seconds) as got:
            yield SourceGuard(make_session_factory(engine), source, got)
    finally:
        engine.dispose()


# -- the job ledger --------------------------------------------------------------------------------


def claim_job(session_factory: sessionmaker[Session], source: str, *, stale_after: dt.timedelta) -> bool:
    """Reserve the right to enqueue a crawl of ``source``: False while an earlier job is unfinished.

    A job older than ``stale_after`` is assumed lost (its message expired or was purged) and replaced,
    so one lost message never stops a source for good; the source lock still keeps crawls apart.
    """
    now = utcnow()
    with session_scope(session_factory) as session:
        job = session.get(CrawlJob, source, with_for_update=True)
        if job is not None and job.enqueued_at > now - stale_after:
            return False
        if job is None:
            session.add(CrawlJob(source=source, enqueued_at=now))
        else:
            job.enqueued_at, job.started_at, job.worker = now, None, None
    return True


def job_started(session_factory: sessionmaker[Session], source: str, worker: str) -> None:
    with session_scope(session_factory) as session:
        session.execute(
            update(CrawlJob).where(CrawlJob.source == source).values(started_at=utcnow(), worker=worker)
        )


def forget_job(session_factory: sessionmaker[Session], source: str) -> None:
    """The job is done (or was never sent): the next interval may enqueue a new one."""
    with session_scope(session_factory) as session:
        session.execute(delete(CrawlJob).where(CrawlJob.source == source))


# -- worker heartbeats -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    name: str
    host: str
    pid: int
    current_jobs: list[str]
    started_at: dt.datetime
    heartbeat_at: dt.datetime


def worker_heartbeat(
    session_factory: sessionmaker[Session], *, name: str, host: str, pid: int, current_jobs: Sequence[str]
) -> None:
    now = utcnow()
    jobs = ",".join(sorted(current_jobs))
    with session_scope(session_factory) as session:
        worker = session.get(ClusterWorker, name)
        if worker is None:
            session.add(ClusterWorker(name=name, host=host, pid=pid, current_jobs=jobs, started_at=now,
                                      heartbeat_at=now))  # fmt: skip
        else:
            worker.current_jobs, worker.heartbeat_at = jobs, now


def worker_gone(session_factory: sessionmaker[Session], name: str) -> None:
    with session_scope(session_factory) as session:
        session.execute(delete(ClusterWorker).where(ClusterWorker.name == name))


def list_workers(session: Session) -> list[WorkerInfo]:
    rows = session.scalars(select(ClusterWorker).order_by(ClusterWorker.host, ClusterWorker.pid)).all()
    return [
        WorkerInfo(
            name=w.name,
            host=w.host,
            pid=w.pid,
            current_jobs=[j for j in w.current_jobs.split(",") if j],
            started_at=w.started_at,
            heartbeat_at=w.heartbeat_at,
        )  # fmt: skip
        for w in rows
    ]


def list_jobs(session: Session) -> list[CrawlJob]:
    return list(session.scalars(select(CrawlJob).order_by(CrawlJob.enqueued_at)).all())
