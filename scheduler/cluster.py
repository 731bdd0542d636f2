"""Crawls spread over several nodes: the leader enqueues, ``newswatch worker`` processes crawl.

Celery on RabbitMQ carries the jobs; everything that must hold across the cluster lives in the shared
PostgreSQL database (``storage.cluster``): a source's lock, the ledger of unfinished jobs, heartbeats.

Delivery guarantees, and where each comes from:
- A job is acknowledged only after its crawl ended (``task_acks_late``), and a worker takes one job
  per free thread (prefetch 1): if a worker dies, RabbitMQ hands its unacknowledged jobs to another
  worker as soon as the connection drops.
- Its crawl child sees its parent's end of stdin close, stops, and marks its run killed; the lock it
  held on its own database connection goes with it, so the redelivered crawl may start (it waits).
- The leader enqueues a source only when the ledger shows no unfinished job for it, so a backed-up
  queue never holds the same source twice; the lock keeps two crawls of one source apart regardless.
- Health (failure streaks, admin notices) is recorded by the worker that ran the crawl, in the same
  database; digests and the outbox stay with the leader.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scheduler.config import ClusterConfig, ServiceConfig
from scheduler.crawl_job import CrawlRunner
from scheduler.health import record_outcome
from storage import cluster as ledger
from storage.db import SessionFactory
from storage.records import CrawlSummary

log = logging.getLogger(__name__)

CRAWL_TASK = "newswatch.crawl_source"
ENQUEUE_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 1.0}


def make_celery(cluster: ClusterConfig) -> Any:
    """The Celery app both sides use; imported lazily, so single-machine installs never load Celery."""
    try:
        from celery import Celery
    except ImportError:
        raise RuntimeError(
            "cluster mode needs Celery: pip install 'newswatch[cluster]' (or remove [cluster] broker_url)"
        ) from None

    app = Celery("newswatch", broker=cluster.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,  # acknowledged after the crawl, not when taken
        task_reject_on_worker_lost=True,  # a crawl whose process died goes back to the queue
        worker_prefetch_multiplier=1,  # a worker holds only the jobs it is running
        task_default_queue=cluster.queue,
        task_ignore_result=True,  # outcomes are in the database (CrawlRun), not a result backend
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=5,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    return app


def safe_broker_url(url: str) -> str:
    """The broker URL without its password, for messages."""
    from kombu.utils.url import maybe_sanitize_url

    return str(maybe_sanitize_url(url))


@dataclass(frozen=True, slots=True)
class Enqueued:
    source: str
    status: str  # queued | pending (an earlier job is unfinished) | broker-down


class Dispatcher:
    """The leader's side: put one crawl job per due source on the broker, never two for one source."""

    def __init__(
        self, cluster: ClusterConfig, sessions: SessionFactory, *, stale_after: dt.timedelta
    ) -> None:
        self.cluster = cluster
        self.sessions = sessions
        self.stale_after = stale_after
        self.app = make_celery(cluster)
        self._broker_down = False

    def enqueue(self, source: str) -> Enqueued:
        if not ledger.claim_job(self.sessions, source, stale_after=self.stale_after):
            log.info("crawl %s: its previous job is still queued or running; not enqueued again", source)
            return Enqueued(source, "pending")
        try:
            self.app.send_task(CRAWL_TASK, args=[source], queue=self.cluster.queue, retry=True,
                               retry_policy=ENQUEUE_RETRY_POLICY)  # fmt: skip
        except Exception as exc:  # kombu's OperationalError and socket errors: the broker is unreachable
            ledger.forget_job(self.sessions, source)
            if not self._broker_down:
                log.error("cannot reach the broker at %s (%s): crawl jobs wait until it is back",
                          safe_broker_url(self.cluster.broker_url), exc)  # fmt: skip
            self._broker_down = True
            return Enqueued(source, "broker-down")
        if self._broker_down:
            log.warning(
                "the broker at %s is reachable again: enqueueing resumed",
                safe_broker_url(self.cluster.broker_url),
            )
            self._broker_down = False
        log.info("crawl %s enqueued on %s", source, self.cluster.queue)
        return Enqueued(source, "queued")

    def close(self) -> None:
        self.app.close()


def queue_depth(cluster: ClusterConfig) -> int | None:
    """Jobs waiting on the broker, not yet taken by a worker (None when the broker cannot be asked)."""
    app = make_celery(cluster)
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
            return int(conn.default_channel.queue_declare(cluster.queue, passive=True).message_count)
    except Exception:
        return None
    finally:
        app.close()


class Worker:
    """One ``newswatch worker`` process: consumes crawl jobs and runs each in a child, as ``serve`` does."""

    def __init__(
        self, config: ServiceConfig, sessions: SessionFactory, *, concurrency: int | None = None
    ) -> None:
        if config.cluster is None:
            raise ValueError("newswatch worker needs [cluster] broker_url in the configuration")
        self.config = config
        self.cluster = config.cluster
        self.sessions = sessions
        self.concurrency = concurrency or self.cluster.worker_concurrency
        self.host = socket.gethostname()
        self.name = f"{self.host}:{os.getpid()}"
        self.runner = CrawlRunner(
            sessions, database_url=config.database_url, source_overrides=config.source_overrides,
            crawl_options=config.crawl_options, max_pages=config.max_pages,
            timeout_seconds=config.crawl_timeout_seconds, log_level=config.crawl_log_level,
            child_command=config.crawl_child_command, lock_wait_seconds=self.cluster.lock_wait_seconds,
        )  # fmt: skip
        self.app = make_celery(self.cluster)
        self.app.task(name=CRAWL_TASK, bind=False, acks_late=True)(self.crawl)
        self._stop_beat = threading.Event()
        self.outcomes: list[CrawlSummary] = []

    def crawl(self, source: str) -> str:
        """The task body: crawl, record health, clear the ledger entry; never raises for a bad crawl."""
        ledger.job_started(self.sessions, source, self.name)
        self._beat()
        try:
            outcome = self.runner.run(source)
            if outcome.status not in ("busy", "skipped"):
                record_outcome(self.sessions, outcome, failure_threshold=self.config.failure_threshold,
                               admin_email=self.config.mail.admin_email)  # fmt: skip
            self.outcomes.append(outcome)
            return outcome.status
        finally:
            ledger.forget_job(self.sessions, source)
            self._beat()

    def _beat(self) -> None:
        try:
            ledger.worker_heartbeat(self.sessions, name=self.name, host=self.host, pid=os.getpid(),
                                    current_jobs=self.runner.running())  # fmt: skip
        except Exception as exc:
            log.warning("worker heartbeat not recorded: %s", exc)

    def _heartbeat_loop(self) -> None:
        while not self._stop_beat.wait(self.cluster.worker_heartbeat_seconds):
            self._beat()

    def run(self, *, on_ready: Callable[[], None] | None = None) -> int:
        """Consume jobs until SIGTERM/SIGINT (Celery's warm shutdown: running crawls finish first)."""
        self._beat()
        beat = threading.Thread(target=self._heartbeat_loop, name="worker-heartbeat", daemon=True)
        beat.start()
        log.info("newswatch worker %s: %d crawl slot(s) on %s, queue %s", self.name, self.concurrency,
                 safe_broker_url(self.cluster.broker_url), self.cluster.queue)  # fmt: skip
        worker = self.app.Worker(
            pool="threads", concurrency=self.concurrency, hostname=f"newswatch@{self.name}",
            queues=[self.cluster.queue], without_gossip=True, without_mingle=True, without_heartbeat=True,
            loglevel=logging.getLevelName(logging.getLogger().level), redirect_stdouts=False, quiet=True,
        )  # fmt: skip
        if on_ready is not None:
            from celery import signals

            signals.worker_ready.connect(lambda **_kw: on_ready(), weak=False)
        try:
            worker.start()
        finally:
            self._stop_beat.set()
            beat.join(timeout=5)
            try:
                ledger.worker_gone(self.sessions, self.name)
            except Exception as exc:
                log.warning("could not remove worker %s from the list: %s", self.name, exc)
        return int(getattr(worker, "exitcode", 0) or 0)
