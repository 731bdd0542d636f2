"""``newswatch serve``: the APScheduler service that runs crawls, digests, delivery and upkeep.

Shape of a run: take the single-instance lease (or refuse, naming the holder), close crawl runs a
killed predecessor left 'running', schedule one crawl job per enabled source (overdue sources at once,
staggered), the digest, outbox and housekeeping jobs, then block until SIGTERM/SIGINT. Stopping starts
no new job, lets a running crawl finish within ``shutdown_timeout_seconds``, terminates it after that,
releases the lease and returns exit status 0.

APScheduler runs in a BackgroundScheduler thread while the main thread only waits for a signal: a
BlockingScheduler would run its loop in the main thread, where a signal handler could interrupt it
half-way through its own bookkeeping; here the handler only sets an event.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from collections import Counter
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from alerts.jobs import deliver_outbox, queue_digests
from crawler.sources import Source, load_registry
from scheduler.config import ServiceConfig
from scheduler.crawl_job import CrawlRunner
from scheduler.health import record_outcome
from scheduler.housekeeping import reclaim_stale_runs, run_housekeeping
from scheduler.lease import Lease
from storage import crawl_runs
from storage.db import make_engine, make_session_factory
from storage.migrate import ensure_current
from storage.records import CrawlSummary
from storage.types import utcnow

if TYPE_CHECKING:
    from scheduler.cluster import Dispatcher

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_LEASE_LOST = 3
BUSY_RETRY_SECONDS = 30.0


class _ActiveJobs:
    """Counts job functions in flight, so shutdown can wait for their bookkeeping to finish."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._count = 0
        self.finished: Counter[str] = Counter()

    def enter(self) -> None:
        with self._cond:
            self._count += 1

    def leave(self, job_id: str) -> None:
        with self._cond:
            self._count -= 1
            self.finished[job_id] += 1
            self._cond.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._count == 0, timeout=timeout)

    def wait_for(self, predicate: Callable[[Counter[str]], bool], timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self.finished), timeout=timeout)


class Service:
    """One scheduler instance. ``serve_forever`` for the CLI; ``start``/``stop`` for the demo and tests."""

    def __init__(self, config: ServiceConfig, *, holder: str | None = None) -> None:
        self.config = config
        self.engine = make_engine(config.database_url)
        self.sessions = make_session_factory(self.engine)
        self.lease = Lease(self.sessions, holder=holder, ttl_seconds=config.lease_seconds)
        self.sources: list[Source] = load_registry(config.source_overrides).enabled()
        self.runner = CrawlRunner(
            self.sessions, database_url=config.database_url, source_overrides=config.source_overrides,
            crawl_options=config.crawl_options, max_pages=config.max_pages,
            timeout_seconds=config.crawl_timeout_seconds, log_level=config.crawl_log_level,
            child_command=config.crawl_child_command,
        )  # fmt: skip
        self.dispatcher: Dispatcher | None = None
        if config.cluster is not None:
            from scheduler.cluster import Dispatcher

            # A job not finished within two crawl timeouts was lost (purged, expired): enqueue anew.
            stale = dt.timedelta(seconds=2 * config.crawl_timeout_seconds + 60)
            self.dispatcher = Dispatcher(config.cluster, self.sessions, stale_after=stale)
        self.scheduler: BackgroundScheduler | None = None
        self.outcomes: list[CrawlSummary] = []
        self.exit_code = EXIT_OK
        self._active = _ActiveJobs()
        self._stop = threading.Event()
        self._hurry = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self._heartbeat_stop = threading.Event()

    # -- lifecycle -----------------------------------------------------------------------------

    def serve_forever(self, *, standby: bool = False, install_signals: bool = True) -> int:
        """Run in the foreground until SIGTERM/SIGINT; the exit status (0 after a clean stop)."""
        if standby:
            if install_signals:
                self._install_signal_handlers()
            log.info("standby: waiting for the scheduler lease")
            if not self.lease.wait_and_acquire(min(5.0, self.config.heartbeat_seconds), self._stop.is_set):
                self.engine.dispose()
                return EXIT_OK
        else:
            self.lease.acquire()  # LeaseHeldError names the holder
            if install_signals:
                self._install_signal_handlers()
        self.start(lease_taken=True)
        try:
            while not self._stop.wait(1.0):
                pass
        finally:
            self.stop()
        return self.exit_code

    def start(self, *, lease_taken: bool = False) -> None:
        """Take the lease, migrate if needed, reclaim stale runs and start the scheduler thread."""
        if not lease_taken:
            self.lease.acquire()
        self._start_heartbeat()
        ensure_current(self.engine)
        if self.dispatcher is None:  # in a cluster, crawls close their own dead runs under their lock
            reclaim_stale_runs(self.sessions)
        self.scheduler = self.build_scheduler(utcnow())
        self.scheduler.start()
        log.info("newswatch scheduler started as %s: %d sources, lease %.0f s", self.lease.holder,
                 len(self.sources), self.config.lease_seconds)  # fmt: skip

    def request_stop(self, exit_code: int | None = None) -> None:
        if exit_code is not None:
            self.exit_code = exit_code
        if self._stop.is_set():
            self._hurry.set()  # a second signal: do not wait for running crawls any longer
        self._stop.set()

    def stop(self) -> None:
        """No new jobs; running crawls get ``shutdown_timeout_seconds``, then are terminated."""
        self._stop.set()
        log.info("stopping: no new jobs; waiting up to %.0f s for running crawls %s",
                 self.config.shutdown_timeout_seconds, self.runner.running() or "(none)")  # fmt: skip
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.runner.stop(self.config.shutdown_timeout_seconds, hurry=self._hurry)
        if not self._active.wait_idle(timeout=60):
            log.warning("some jobs were still busy after the shutdown wait")
        self._heartbeat_stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join(timeout=10)
        if self.exit_code != EXIT_LEASE_LOST:
            try:
                self.lease.release()
            except Exception:
                log.exception("could not release the lease (it expires by itself)")
        if self.dispatcher is not None:
            self.dispatcher.close()
        self.engine.dispose()
        log.info("newswatch scheduler stopped")

    def _install_signal_handlers(self) -> None:
        def handler(signum: int, _frame: FrameType | None) -> None:
            log.info("received %s", signal.Signals(signum).name)
            self.request_stop()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def _start_heartbeat(self) -> None:
        # A thread of its own rather than an APScheduler job: it must keep renewing while shutdown waits
        # for a running crawl, after the scheduler has stopped, or a standby could start a second crawl.
        def beat() -> None:
            while not self._heartbeat_stop.wait(self.config.heartbeat_seconds):
                try:
                    if not self.lease.renew():
                        log.error("lost the scheduler lease: %s; stopping", self.lease.lost_reason())
                        self.request_stop(EXIT_LEASE_LOST)
                        return
                except Exception as exc:  # database briefly unreachable: try again next beat
                    log.warning("could not renew the scheduler lease: %s", exc)

        self._heartbeat = threading.Thread(target=beat, name="lease-heartbeat", daemon=True)
        self._heartbeat.start()

    # -- the schedule --------------------------------------------------------------------------

    def build_scheduler(self, now: dt.datetime) -> BackgroundScheduler:
        cfg = self.config
        zone = ZoneInfo(cfg.timezone)
        scheduler = BackgroundScheduler(
            timezone=zone,
            executors={
                # one thread per source: a slow or hanging site never holds up the others
                "crawl": ThreadPoolExecutor(max(1, len(self.sources))),
                "mail": ThreadPoolExecutor(2),
            },
            job_defaults={
                # coalesce: after a pause (suspend, a busy database) a job that missed several runs runs
                # once, not in a burst. misfire_grace_time: APScheduler's default of 1 s silently
                # *skips* a run that starts more than a second late, which happens whenever the pool is
                # busy or the host was suspended; we would rather run late than not at all.
                "coalesce": True,
                "misfire_grace_time": cfg.misfire_grace_seconds,
                "max_instances": 1,
            },
        )
        crawl = self.crawl_source if self.dispatcher is None else self.dispatch_source
        for source, first_run in self.first_runs(now):
            interval = cfg.interval_seconds(source.interval_minutes)
            scheduler.add_job(
                self._tracked(f"crawl:{source.key}", crawl), args=[source.key],
                trigger=IntervalTrigger(seconds=interval, jitter=min(cfg.jitter_seconds, interval / 4) or None,
                                        timezone=zone),
                id=f"crawl:{source.key}", name=f"crawl {source.key}", executor="crawl", next_run_time=first_run,
            )  # fmt: skip
            log.info(
                "crawl %s every %.0f s, first run %s",
                source.key,
                interval,
                first_run.isoformat("T", "seconds"),
            )
        hour, minute = (int(part) for part in cfg.daily_digest_time.split(":"))
        digest_jobs: list[tuple[str, Any]] = [
            ("immediate", IntervalTrigger(seconds=cfg.immediate_digest_minutes * 60, timezone=zone)),
            ("daily", CronTrigger(hour=hour, minute=minute, timezone=zone)),
            (
                "weekly",
                CronTrigger(day_of_week=cfg.weekly_digest_day, hour=hour, minute=minute, timezone=zone),
            ),
        ]
        for frequency, trigger in digest_jobs:
            scheduler.add_job(self._tracked(f"digest:{frequency}", self.send_digests), args=[frequency],
                              trigger=trigger, id=f"digest:{frequency}", executor="mail")  # fmt: skip
        scheduler.add_job(self._tracked("outbox", self.deliver), trigger=IntervalTrigger(seconds=cfg.outbox_seconds,
                          timezone=zone), id="outbox", executor="mail")  # fmt: skip
        scheduler.add_job(self._tracked("housekeeping", self.housekeeping),
                          trigger=IntervalTrigger(seconds=cfg.housekeeping_minutes * 60, timezone=zone),
                          id="housekeeping", executor="mail")  # fmt: skip
        return scheduler

    def first_runs(self, now: dt.datetime) -> list[tuple[Source, dt.datetime]]:
        """Catch-up: a source whose last good run is older than its interval runs now (staggered)."""
        with self.sessions() as session:
            last_ok = crawl_runs.last_successes(session)
        plan, overdue = [], 0
        for source in self.sources:
            interval = dt.timedelta(seconds=self.config.interval_seconds(source.interval_minutes))
            last = last_ok.get(source.key)
            if last is None or last + interval <= now:
                first = now + dt.timedelta(seconds=overdue * self.config.catch_up_stagger_seconds)
                overdue += 1
            else:
                first = last + interval
            plan.append((source, first))
        return plan

    def run_now(self, job_id: str) -> None:
        """Make a scheduled job due at once (the demo's "and now the digests")."""
        assert self.scheduler is not None
        self.scheduler.modify_job(job_id, next_run_time=utcnow())

    def wait_for_jobs(self, predicate: Callable[[Counter[str]], bool], timeout: float) -> bool:
        """Block until ``predicate(finished job counts by id)`` holds or the timeout passes."""
        return self._active.wait_for(predicate, timeout)

    # -- job bodies ----------------------------------------------------------------------------

    def _tracked(self, job_id: str, func: Callable[..., Any]) -> Callable[..., None]:
        def job(*args: Any) -> None:
            if self._stop.is_set():
                return
            self._active.enter()
            try:
                func(*args)
            except Exception:
                log.exception("job %s failed", job_id)
            finally:
                self._active.leave(job_id)

        job.__name__ = job_id.replace(":", "_")
        return job

    def crawl_source(self, source_key: str) -> CrawlSummary:
        outcome = self.runner.run(source_key)
        if outcome.status == "busy":
            # Another process (a killed predecessor's child finishing, a manual crawl) has it: try again
            # soon rather than a whole interval later, so a catch-up run is not lost.
            self._retry_soon(source_key)
        elif outcome.status != "skipped":
            record_outcome(self.sessions, outcome, failure_threshold=self.config.failure_threshold,
                           admin_email=self.config.mail.admin_email)  # fmt: skip
            self.outcomes.append(outcome)
        return outcome

    def dispatch_source(self, source_key: str) -> str:
        """Cluster mode: put the source's crawl on the broker for a worker (see scheduler.cluster)."""
        assert self.dispatcher is not None
        enqueued = self.dispatcher.enqueue(source_key)
        if enqueued.status == "broker-down":
            assert self.config.cluster is not None
            self._retry_soon(source_key, self.config.cluster.enqueue_retry_seconds)
        return enqueued.status

    def _retry_soon(self, source_key: str, seconds: float = BUSY_RETRY_SECONDS) -> None:
        source = next((s for s in self.sources if s.key == source_key), None)
        interval = self.config.interval_seconds(source.interval_minutes if source else None)
        delay = min(seconds, interval)
        if self.scheduler is not None and not self._stop.is_set():
            self.scheduler.modify_job(
                f"crawl:{source_key}", next_run_time=utcnow() + dt.timedelta(seconds=delay)
            )
            log.info("crawl %s: retrying in %.0f s", source_key, delay)

    def send_digests(self, frequency: str) -> None:
        queued = queue_digests(self.sessions, self.config.mail, frequency)
        if queued:
            log.info("queued %d %s digest(s)", queued, frequency)
        self.deliver()

    def deliver(self) -> None:
        report = deliver_outbox(self.sessions, self.config.mail)
        if report.sent or report.retried or report.failed:
            log.info("outbox: %d sent, %d to retry, %d failed", report.sent, report.retried, report.failed)
        for error in report.errors:
            log.warning("outbox: %s", error)

    def housekeeping(self) -> None:
        report = run_housekeeping(
            self.engine,
            self.sessions,
            raw_html_max_age_days=self.config.raw_html_max_age_days,
            reclaim_runs=self.dispatcher is None,
        )
        log.info("housekeeping: %d stale runs closed, %d raw pages pruned", report.stale_runs_closed,
                 report.raw_html_pruned)  # fmt: skip
