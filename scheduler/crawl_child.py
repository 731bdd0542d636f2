"""The child process of one scheduled crawl: ``python -m scheduler.crawl_child`` with a JSON job on stdin.

Scrapy's Twisted reactor cannot be restarted in a process, and a crawl that leaks memory or hangs must
not take the service down with it; so every crawl gets a fresh interpreter that the parent can kill.
The job arrives as the first line on stdin (not argv) so a database password never shows up in ``ps``.
The parent keeps stdin open for the child's whole life: end-of-file means the service died (even by
``kill -9``), and the child stops its crawl instead of living on as an orphan that a restarted service
would race against.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from crawler.runner import run_crawl
from crawler.sources import load_registry
from scheduler.crawl_job import EXIT_BUSY
from storage.cluster import SourceGuard, guard_source

ORPHAN_GRACE_SECONDS = 10.0
ORPHANED = threading.Event()


def _stop_when_orphaned() -> None:
    """Block until the parent's end of stdin closes, then stop the crawl (politely, then hard).

    ``os.read`` on the descriptor, not ``sys.stdin``: a daemon thread blocked inside the buffered reader
    holds its lock, and the interpreter aborts at exit when it cannot take it.
    """
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    ORPHANED.set()
    os.kill(os.getpid(), signal.SIGTERM)  # Scrapy closes the spider and finishes its CrawlRun row
    threading.Event().wait(ORPHAN_GRACE_SECONDS)
    os._exit(70)


def main() -> int:
    job = json.loads(sys.stdin.buffer.readline())
    threading.Thread(target=_stop_when_orphaned, name="orphan-watch", daemon=True).start()
    if job.get("lock_wait_seconds") is None:
        return _crawl(job)
    return _crawl_under_cluster_lock(job, float(job["lock_wait_seconds"]))


def _crawl_under_cluster_lock(job: dict[str, Any], wait_seconds: float) -> int:
    """A cluster crawl: hold the source's lock in the database for exactly this process's life.

    The lock lives on this process's own connection, so a worker killed with its child frees the
    source at once, and the job redelivered to another worker waits here for an orphan finishing up.
    """
    with guard_source(job["database_url"], job["source"], wait_seconds=wait_seconds) as guard:
        if not guard.acquired:
            return EXIT_BUSY
        guard.close_stale_runs("closed as killed: its crawl process died (its source lock went with it)")
        return _crawl(job, guard)


def _crawl(job: dict[str, Any], guard: SourceGuard | None = None) -> int:
    registry = load_registry(job.get("source_overrides") or {})
    source = registry.get(job["source"])
    summaries = run_crawl(
        job["database_url"],
        [source],
        crawl_options=job.get("crawl_options") or None,
        backfill=False,
        max_pages=job.get("max_pages"),
        log_level=job.get("log_level", "WARNING"),
    )
    result_path = job.get("result_path")
    if result_path:
        Path(result_path).write_text(
            json.dumps([dataclasses.asdict(s) for s in summaries], default=str), encoding="utf-8"
        )
    if ORPHANED.is_set() and guard is not None:
        # Stopped because the worker died: the job goes to another worker, so this run did not finish it.
        run_ids = [s.run_id for s in summaries if s.run_id is not None]
        guard.mark_runs_killed(
            run_ids, "killed: its worker died mid-crawl; the job was handed to another worker"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
