"""The crawl child's lifecycle as the parent sees it: real child processes, a real database.

The child here is a small stand-in for ``scheduler.crawl_child`` that behaves like ``run_crawl`` does
(it writes its own CrawlRun row with its pid) and then succeeds, hangs, crashes or dies early, chosen
by the source key; the real Scrapy child is exercised in test_scheduler_reliability.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import select

from scheduler.crawl_job import CrawlRunner
from scheduler.housekeeping import pid_alive, prune_raw_html, reclaim_stale_runs, run_housekeeping
from storage.db import make_engine, session_scope
from storage.models import CrawlRun
from storage.types import utcnow

FAKE_CHILD = r"""
import json, os, sys, time
job = json.loads(sys.stdin.buffer.readline())
source = job["source"]
if source == "hangs":  # said before the imports, which on a busy machine can outlast the 3 s timeout
    print("crawling slowly", flush=True)
from storage.db import make_engine, make_session_factory, session_scope
from storage.models import CrawlRun
from storage.types import utcnow
if source == "dies-early":
    sys.exit(3)
factory = make_session_factory(make_engine(job["database_url"]))
with session_scope(factory) as s:
    run = CrawlRun(source=source, pid=os.getpid(), status="running", started_at=utcnow())
    s.add(run)
    s.flush()
    run_id = run.id
if source in ("hangs", "killed"):
    if source == "killed":
        print("crawling slowly", flush=True)
    time.sleep(120)
if source == "crashes":
    print("Traceback: something broke", flush=True)
    sys.exit(1)
if source == "orphan":
    sys.stdin.buffer.read()  # like crawl_child: EOF means the parent died
    sys.exit(0)
with session_scope(factory) as s:
    run = s.get(CrawlRun, run_id)
    run.status, run.finished_at, run.items_new, run.pages_fetched = "ok", utcnow(), 4, 2
"""


def runner(db_url: str, session_factory, timeout: float = 60) -> CrawlRunner:
    return CrawlRunner(session_factory, database_url=db_url, timeout_seconds=timeout,
                       child_command=[sys.executable, "-c", FAKE_CHILD])  # fmt: skip


def only_run(session_factory, source: str) -> CrawlRun:
    with session_factory() as session:
        (run,) = session.scalars(select(CrawlRun).where(CrawlRun.source == source)).all()
        return run


def test_a_finished_child_keeps_its_own_figures(db_url, session_factory) -> None:
    outcome = runner(db_url, session_factory).run("works")
    assert outcome.status == "ok" and outcome.exit_code == 0
    assert (outcome.items_new, outcome.pages_fetched) == (4, 2)
    assert only_run(session_factory, "works").status == "ok"


def test_a_hanging_child_is_killed_at_the_timeout_and_its_run_closed(db_url, session_factory) -> None:
    outcome = runner(db_url, session_factory, timeout=3).run("hangs")
    assert outcome.status == "timeout"
    run = only_run(session_factory, "hangs")
    assert run.status == "timeout" and run.finished_at is not None
    assert "crawl timeout" in run.log_excerpt and "crawling slowly" in run.log_excerpt
    assert not pid_alive(run.pid)


def test_a_crash_is_recorded_as_failed_with_its_output(db_url, session_factory) -> None:
    outcome = runner(db_url, session_factory).run("crashes")
    assert outcome.status == "failed" and outcome.exit_code == 1
    assert "something broke" in only_run(session_factory, "crashes").log_excerpt


def test_a_child_that_dies_before_writing_a_row_still_leaves_one(db_url, session_factory) -> None:
    outcome = runner(db_url, session_factory).run("dies-early")
    assert outcome.status == "failed"
    assert only_run(session_factory, "dies-early").status == "failed"


@pytest.mark.kill9
def test_kill_9_of_the_child_is_recorded_as_killed(db_url, session_factory) -> None:
    crawl = runner(db_url, session_factory)
    result = {}
    thread = threading.Thread(target=lambda: result.update(outcome=crawl.run("killed")))
    thread.start()
    pid = wait_for_running_pid(session_factory, "killed")
    os.kill(pid, signal.SIGKILL)
    thread.join(30)
    assert result["outcome"].status == "killed"
    assert only_run(session_factory, "killed").status == "killed"


def test_one_source_never_runs_twice_at_once(db_url, session_factory) -> None:
    crawl = runner(db_url, session_factory)
    thread = threading.Thread(target=crawl.run, args=("killed",))
    thread.start()
    pid = wait_for_running_pid(session_factory, "killed")
    assert crawl.run("killed").status == "skipped"  # same runner
    assert runner(db_url, session_factory).run("killed").status == "busy"  # a restarted service
    crawl.stop(timeout_seconds=0)
    thread.join(30)
    assert not pid_alive(pid)
    assert only_run(session_factory, "killed").status == "killed"


def test_stop_lets_a_running_crawl_finish_within_the_timeout(db_url, session_factory) -> None:
    crawl = runner(db_url, session_factory)
    result = {}
    thread = threading.Thread(target=lambda: result.update(outcome=crawl.run("works")))
    thread.start()
    while thread.is_alive() and not crawl.running():  # stop only once the child runs, else it is skipped
        time.sleep(0.01)
    crawl.stop(timeout_seconds=30)
    thread.join(30)
    assert result["outcome"].status in {"ok", "skipped"}
    assert result["outcome"].status == "ok"  # the running crawl finished, it was not cut off
    assert crawl.run("works").status == "skipped"  # stopping: nothing new starts


def test_a_child_whose_parent_vanishes_stops_by_itself(db_url, session_factory) -> None:
    crawl = runner(db_url, session_factory)
    thread = threading.Thread(target=crawl.run, args=("orphan",))
    thread.start()
    wait_for_running_pid(session_factory, "orphan")
    (proc,) = crawl._children.values()
    proc.stdin.close()  # what the kernel does when the service is killed -9
    thread.join(30)
    assert proc.returncode == 0


def wait_for_running_pid(session_factory, source: str, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_factory() as session:
            pid = session.scalar(
                select(CrawlRun.pid).where(CrawlRun.source == source, CrawlRun.status == "running")
            )
        if pid:
            return pid
        time.sleep(0.05)
    raise AssertionError(f"no running crawl of {source} appeared")


# -- housekeeping -------------------------------------------------------------------------------


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_housekeeping_closes_runs_of_dead_processes_only(db_url, session_factory) -> None:
    with session_scope(session_factory) as session:
        session.add(CrawlRun(source="dead", status="running", pid=dead_pid()))
        session.add(CrawlRun(source="alive", status="running", pid=os.getpid()))
        session.add(CrawlRun(source="done", status="ok", pid=dead_pid()))
    assert reclaim_stale_runs(session_factory) == 1
    assert only_run(session_factory, "dead").status == "killed"
    assert only_run(session_factory, "alive").status == "running"
    assert only_run(session_factory, "done").status == "ok"


def test_housekeeping_prunes_old_raw_html_and_optimizes(db_url, session_factory) -> None:
    import datetime as dt

    from storage.models import Article, ArticleRaw

    now = utcnow()
    with session_scope(session_factory) as session:
        for i, age in enumerate((400, 10)):
            article = Article(canonical_url=f"https://example.org/{i}", url=f"https://example.org/{i}", source="x",
                              title="t", content_hash=str(i))  # fmt: skip
            article.raw = ArticleRaw(html_zlib=b"x", fetched_at=now - dt.timedelta(days=age))
            session.add(article)
    assert prune_raw_html(session_factory, None) == 0
    assert prune_raw_html(session_factory, 365) == 1
    with session_factory() as session:
        assert len(session.scalars(select(ArticleRaw)).all()) == 1
        assert len(session.scalars(select(Article)).all()) == 2
    engine = make_engine(db_url)
    try:
        report = run_housekeeping(engine, session_factory, raw_html_max_age_days=365)
    finally:
        engine.dispose()
    assert report.optimized and report.raw_html_pruned == 0


@pytest.mark.parametrize("pid", [None, 0, -1])
def test_no_pid_is_not_alive(pid) -> None:
    assert pid_alive(pid) is False


def test_a_run_left_running_by_a_dead_process_is_closed_and_does_not_block(db_url, session_factory) -> None:
    with session_scope(session_factory) as session:
        session.add(CrawlRun(source="works", status="running", pid=dead_pid()))
    assert runner(db_url, session_factory).run("works").status == "ok"
    with session_factory() as session:
        statuses = session.scalars(
            select(CrawlRun.status).where(CrawlRun.source == "works").order_by(CrawlRun.id)
        )
        assert list(statuses) == ["killed", "ok"]
