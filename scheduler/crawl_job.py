"""Run one source's crawl in a child process with a hard timeout, and make sure its CrawlRun row ends.

The child (``scheduler.crawl_child``) calls ``crawler.runner.run_crawl``, which writes and finishes its
own CrawlRun row. The parent only steps in when the child could not: a timeout, a kill, a crash before
or during the crawl. Then the row (found by source and the child's pid) is closed as timeout / killed /
failed, or created if the child died before writing one, so ``newswatch status`` never shows a run
that is forever "running".
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from scheduler.housekeeping import pid_alive
from storage import crawl_runs
from storage.db import SessionFactory, session_scope
from storage.records import CrawlSummary
from storage.types import utcnow

log = logging.getLogger(__name__)

TERMINATE_GRACE_SECONDS = 5.0
LOG_TAIL_CHARS = 4000
CHILD_COMMAND = (sys.executable, "-m", "scheduler.crawl_child")
EXIT_BUSY = 75  # EX_TEMPFAIL from a cluster child: another process holds the source's lock


class CrawlRunner:
    """Starts crawl children, at most one per source, and stops them all on shutdown."""

    def __init__(
        self,
        session_factory: SessionFactory,
        *,
        database_url: str,
        source_overrides: Mapping[str, Mapping[str, Any]] | None = None,
        crawl_options: Mapping[str, Any] | None = None,
        max_pages: int | None = None,
        timeout_seconds: float = 1800,
        log_level: str = "WARNING",
        child_command: Sequence[str] | None = None,
        lock_wait_seconds: float | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.database_url = database_url
        self.source_overrides = {k: dict(v) for k, v in (source_overrides or {}).items()}
        self.crawl_options = dict(crawl_options or {})
        self.max_pages = max_pages
        self.timeout_seconds = timeout_seconds
        self.log_level = log_level
        self.child_command = list(child_command or CHILD_COMMAND)
        # Set on cluster workers: the child takes the source's lock in the database (waiting this long),
        # which replaces the pid check below, since a pid means nothing on another host.
        self.lock_wait_seconds = lock_wait_seconds
        self._lock = threading.Lock()
        self._children: dict[str, subprocess.Popen[bytes]] = {}
        self._terminated: set[int] = set()
        self._stopping = False

    # -- the job -------------------------------------------------------------------------------

    def run(self, source_key: str) -> CrawlSummary:
        """Crawl one source in a child process and return how it ended (never raises for a bad crawl)."""
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="newswatch-crawl-") as tmp:
            result_path = Path(tmp) / "result.json"
            log_path = Path(tmp) / "child.log"
            job = {
                "source": source_key,
                "database_url": self.database_url,
                "source_overrides": self.source_overrides,
                "crawl_options": self.crawl_options,
                "max_pages": self.max_pages,
                "log_level": self.log_level,
                "result_path": str(result_path),
                "lock_wait_seconds": self.lock_wait_seconds,
            }
            with self._lock:
                if self._stopping:
                    return CrawlSummary(source_key, "skipped", log_tail="service is stopping")
                if source_key in self._children:
                    return CrawlSummary(source_key, "skipped", log_tail="a crawl of this source is running")
                busy_pid = (
                    None if self.lock_wait_seconds is not None else self._live_run_elsewhere(source_key)
                )
                if busy_pid:
                    log.info("crawl %s skipped: process %d is still crawling it", source_key, busy_pid)
                    return CrawlSummary(source_key, "busy", log_tail=f"process {busy_pid} is crawling it")
                with log_path.open("wb") as child_log:
                    proc = subprocess.Popen(
                        self.child_command,
                        stdin=subprocess.PIPE,
                        stdout=child_log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,  # a Ctrl-C in the terminal reaches the service only
                    )
                self._children[source_key] = proc
            log.info("crawl %s started (pid %d)", source_key, proc.pid)
            try:
                assert proc.stdin is not None
                proc.stdin.write(json.dumps(job).encode() + b"\n")
                proc.stdin.flush()  # and keep it open: its end-of-file tells the child we died
            except OSError:
                pass  # the child died at once; its exit status tells the story
            timed_out = False
            try:
                proc.wait(timeout=self.timeout_seconds)
            except subprocess.TimeoutExpired:
                timed_out = True
                log.warning("crawl %s exceeded %.0f s: terminating pid %d", source_key, self.timeout_seconds,
                            proc.pid)  # fmt: skip
                _terminate(proc)
            finally:
                _close_quietly(proc)
                with self._lock:
                    self._children.pop(source_key, None)
                    terminated = proc.pid in self._terminated
                    self._terminated.discard(proc.pid)
            tail = _tail(log_path)
            reported = _read_summary(result_path)
        if proc.returncode == EXIT_BUSY and self.lock_wait_seconds is not None:
            log.info("crawl %s skipped: another worker of the cluster is crawling it", source_key)
            return CrawlSummary(
                source_key, "busy", exit_code=EXIT_BUSY, log_tail="another worker holds its lock"
            )
        outcome = self._settle(source_key, proc, timed_out=timed_out, terminated=terminated, tail=tail)
        outcome.links_found = reported.links_found if reported is not None else None
        outcome.seconds = time.monotonic() - started
        level = logging.INFO if outcome.ok else logging.WARNING
        log.log(level, "crawl %s %s in %.1f s: %d new, %d updated, %d pages, %d errors (exit %s)",
                source_key, outcome.status, outcome.seconds, outcome.items_new, outcome.items_updated,
                outcome.pages_fetched, outcome.errors, outcome.exit_code)  # fmt: skip
        if not outcome.ok and tail:
            log.warning("crawl %s output (tail):\n%s", source_key, tail[-1500:])
        return outcome

    def _live_run_elsewhere(self, source_key: str) -> int | None:
        """The pid of a live process still crawling this source (a manual `newswatch crawl`, or the
        child of a killed predecessor finishing up), so we never crawl one source twice at once.

        'running' rows of processes that no longer exist are closed as killed on the way.
        """
        with session_scope(self.session_factory) as session:
            for run in crawl_runs.running(session, source_key):
                if pid_alive(run.pid):
                    return run.pid
                crawl_runs.close_as_killed(
                    run, f"closed by the scheduler: process {run.pid} no longer exists", utcnow()
                )
        return None

    def _settle(
        self, source_key: str, proc: subprocess.Popen[bytes], *, timed_out: bool, terminated: bool, tail: str
    ) -> CrawlSummary:
        """Close the child's CrawlRun row if it could not, and read the final figures from it."""
        code = proc.returncode
        if timed_out:
            parent_status = "timeout"
        elif terminated or (code is not None and code < 0):
            parent_status = "killed"
        elif code != 0:
            parent_status = "failed"
        else:
            parent_status = None  # the child finished its own row
        now = utcnow()
        with session_scope(self.session_factory) as session:
            run = crawl_runs.latest_of_process(session, source_key, proc.pid)
            if run is None:
                run = crawl_runs.start(session, source_key, pid=proc.pid, now=now)
                if parent_status is None:
                    parent_status = "failed"  # exit 0 but no row: the crawl never really started
            if run.status == "running":
                run.status = parent_status or "failed"
                run.finished_at = now
                run.log_excerpt = (f"exit status {code}; " + _why(parent_status) + "\n" + tail)[
                    -LOG_TAIL_CHARS:
                ]
            elif parent_status == "timeout":
                pass  # finished its row just as we killed it: keep what it recorded
            session.flush()
            return CrawlSummary(
                source=source_key, status=run.status, run_id=run.id, exit_code=code,
                pages_fetched=run.pages_fetched, items_new=run.items_new, items_updated=run.items_updated,
                items_unchanged=run.items_unchanged, items_dropped=run.items_dropped, errors=run.errors,
                fallbacks=run.fallbacks, log_tail=tail,
            )  # fmt: skip

    # -- shutdown ------------------------------------------------------------------------------

    def running(self) -> list[str]:
        with self._lock:
            return sorted(self._children)

    def stop(self, timeout_seconds: float, hurry: threading.Event | None = None) -> None:
        """Start no more crawls; let running ones finish within the timeout, then terminate them.

        ``hurry`` (set by a second SIGTERM/SIGINT) cuts the wait short.
        """
        with self._lock:
            self._stopping = True
        deadline = time.monotonic() + timeout_seconds
        while self.running() and time.monotonic() < deadline and not (hurry and hurry.is_set()):
            time.sleep(0.2)
        with self._lock:
            children = list(self._children.values())
            self._terminated.update(p.pid for p in children)
        for proc in children:
            log.warning("shutdown timeout: terminating crawl child pid %d", proc.pid)
            _terminate(proc)


def _close_quietly(proc: subprocess.Popen[bytes]) -> None:
    try:
        if proc.stdin is not None:
            proc.stdin.close()
    except OSError:
        pass


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM (Scrapy closes cleanly), then SIGKILL if it is still there after a short grace."""
    if proc.poll() is not None:
        return
    try:
        proc.terminate()
        proc.wait(timeout=TERMINATE_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    except ProcessLookupError:
        pass


def _why(status: str | None) -> str:
    return {
        "timeout": "terminated by the scheduler after the crawl timeout",
        "killed": "the crawl process was killed",
        "failed": "the crawl process failed",
    }.get(status or "failed", "")


def _tail(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    return data[-LOG_TAIL_CHARS:].decode("utf-8", "replace")


def _read_summary(path: Path) -> CrawlSummary | None:
    """The CrawlSummary the child wrote (None when it wrote none: it died, or never got that far)."""
    try:
        (fields,) = json.loads(path.read_text(encoding="utf-8"))
        return CrawlSummary(**fields)
    except (OSError, ValueError, TypeError):
        return None
