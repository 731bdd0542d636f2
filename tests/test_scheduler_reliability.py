"""Reliability of the real service: real crawl children (Scrapy) against the replica sites on loopback.

- kill -9 of a crawl child mid-run: the next run completes, no duplicate or half-written article;
- a source answering 500 or timing out does not delay the others; its streak alerts the admin once,
  and its recovery once;
- kill -9 of ``newswatch serve`` (a real subprocess): a second instance is refused while the lease
  lives, a standby takes over when it expires, catches up, and never crawls a source twice at once;
- SIGTERM: exit status 0, the running crawl terminated within the shutdown timeout, its row closed.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from service_helpers import only, start_serve, wait_until, write_config
from sqlalchemy import func, select

from alerts.config import MailConfig
from newswatch.replicas.server import ReplicaServer
from scheduler.config import ServiceConfig
from scheduler.housekeeping import pid_alive
from scheduler.service import Service
from storage.db import make_engine, make_session_factory, session_scope
from storage.models import Article, CrawlRun, OutboxMessage
from storage.types import utcnow

pytestmark = pytest.mark.slow


SLOW_ARTICLE = "/cio/69105"
FAST = {"download_delay": 0, "autothrottle": False, "retry_times": 0, "download_timeout": 120}


def service_config(db_url: str, replicas: dict[str, str], **values) -> ServiceConfig:
    defaults = dict(
        database_url=db_url, source_overrides=only(replicas), crawl_options=FAST, max_pages=3,
        jitter_seconds=0, catch_up_stagger_seconds=0.1, shutdown_timeout_seconds=10, lease_seconds=30,
        heartbeat_seconds=1, mail=MailConfig(outbox_dir=Path("unused"), admin_email="admin@example.org"),
    )  # fmt: skip
    defaults.update(values)
    return ServiceConfig(**defaults)


@pytest.fixture
def osce() -> Iterator[ReplicaServer]:
    with ReplicaServer("osce") as server:
        yield server


def articles_are_whole(session_factory) -> int:
    """No duplicates, no half-written rows: every article has its title, body and hash."""
    with session_factory() as session:
        rows = session.execute(
            select(Article.canonical_url, Article.title, Article.body, Article.content_hash)
        ).all()
    urls = [row[0] for row in rows]
    assert len(urls) == len(set(urls))
    assert all(title and body and digest for _url, title, body, digest in rows)
    return len(rows)


def test_kill_9_of_a_crawl_child_mid_run_then_the_next_run_completes(db_url, session_factory, osce) -> None:
    osce.fail(SLOW_ARTICLE, "slow", delay=60, times=1)  # the first run hangs on this page
    # small batches, so the first run has committed some articles when it is killed
    options = {**FAST, "NEWSWATCH_BATCH_SIZE": 2}
    service = Service(
        service_config(db_url, {"osce": osce.base_url}, crawl_interval_seconds=2, crawl_options=options)
    )
    service.start()
    try:

        def running_with_articles() -> int | None:
            with session_factory() as session:
                pid = session.scalar(select(CrawlRun.pid).where(CrawlRun.status == "running"))
                stored = session.scalar(select(func.count()).select_from(Article))
            return pid if pid and stored else None

        pid = wait_until(running_with_articles, 60, "a crawl that stored some articles and still runs")
        os.kill(pid, signal.SIGKILL)
        assert service.wait_for_jobs(lambda done: done["crawl:osce"] >= 2, 90)
    finally:
        service.stop()
    with session_factory() as session:
        runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
    assert runs[0].status == "killed" and runs[0].finished_at is not None
    assert runs[1].status == "ok"
    # what the killed run committed stays; the next run adds the rest, including the page it hung on
    with session_factory() as session:
        committed_before = session.scalar(select(func.count()).where(Article.crawl_run_id == runs[0].id))
    assert committed_before > 0
    assert articles_are_whole(session_factory) == committed_before + runs[1].items_new
    with session_factory() as session:
        assert session.scalar(select(func.count()).where(Article.url.endswith(SLOW_ARTICLE))) == 1


def test_a_failing_or_hanging_source_does_not_delay_the_others_and_alerts_once(sqlite_url) -> None:
    sessions = make_session_factory(make_engine(sqlite_url))
    with (
        ReplicaServer("osce") as osce,
        ReplicaServer("timesca") as timesca,
        ReplicaServer("eurasianet") as good,
    ):
        osce.fail("/press-releases", "status", status=500)  # both listings answer 500
        # and this one hangs for longer than the test can take, however loaded the machine: its crawl is
        # still running at the end (one failure at most when the shutdown ends it, below the threshold)
        timesca.fail("/category/tajikistan/feed/", "slow", delay=600)
        timesca.fail("/category/tajikistan/feed", "slow", delay=600)
        config = service_config(
            sqlite_url, {"osce": osce.base_url, "timesca": timesca.base_url, "eurasianet": good.base_url},
            crawl_interval_seconds=1, failure_threshold=2, crawl_timeout_seconds=590,
            crawl_options={**FAST, "download_timeout": 580},
        )  # fmt: skip
        service = Service(config)
        service.start()
        try:
            assert service.wait_for_jobs(lambda d: d["crawl:eurasianet"] >= 2 and d["crawl:osce"] >= 3, 240)
            assert "timesca" in service.runner.running()  # still waiting on its feed meanwhile
            osce.clear_faults()
            assert service.wait_for_jobs(lambda d: d["crawl:osce"] >= 4, 120)
        finally:
            service.stop()
    with sessions() as session:
        good_runs = session.scalars(select(CrawlRun.status).where(CrawlRun.source == "eurasianet")).all()
        assert len(good_runs) >= 2 and set(good_runs) == {"ok"}
        admin = session.scalars(select(OutboxMessage.subject).where(OutboxMessage.kind == "admin")).all()
    assert sorted(admin) == ["[newswatch] source osce is failing", "[newswatch] source osce recovered"]
    assert articles_are_whole(sessions) > 0


# -- the real `newswatch serve` process ----------------------------------------------------------


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def runs_of(sessions, source: str) -> list[CrawlRun]:
    with sessions() as session:
        return list(session.scalars(select(CrawlRun).where(CrawlRun.source == source).order_by(CrawlRun.id)))


def test_kill_9_of_serve_then_restart_catches_up_and_never_overlaps(
    tmp_path: Path, sqlite_url: str, osce
) -> None:
    import datetime as dt

    sessions = make_session_factory(make_engine(sqlite_url))
    with ReplicaServer("eurasianet") as fresh_site:
        with session_scope(sessions) as session:  # osce last ran 2 h ago (overdue), eurasianet a minute ago
            session.add(CrawlRun(source="osce", status="ok", started_at=utcnow() - dt.timedelta(hours=2)))
            session.add(
                CrawlRun(source="eurasianet", status="ok", started_at=utcnow() - dt.timedelta(minutes=1))
            )
        osce.fail(SLOW_ARTICLE, "slow", delay=25, times=1)
        config = write_config(tmp_path, sqlite_url, {"osce": osce.base_url, "eurasianet": fresh_site.base_url},
                              shutdown_timeout_seconds=5)  # fmt: skip
        log = tmp_path / "serve.log"
        # a lease long enough that the refused second instance is surely started (and refused) while it lives,
        # even on a loaded machine where starting Python takes seconds
        lease = ["--lease-seconds", "30", "--heartbeat-seconds", "2"]
        first = start_serve(config, log, *lease)
        try:
            # catch-up: the overdue source starts at once, the fresh one waits for its interval
            wait_until(lambda: len(runs_of(sessions, "osce")) == 2, 60, "the catch-up crawl of osce")
            wait_until(lambda: osce.paths(SLOW_ARTICLE), 60, "the crawl to reach the slow page")
            first.send_signal(signal.SIGKILL)
            first.wait()
            refused = subprocess.run(
                [sys.executable, "-c", "from newswatch.cli import main; main()", "serve", *lease],
                env={**os.environ, "NEWSWATCH_CONFIG": str(config)}, cwd=tmp_path, capture_output=True,
                text=True, timeout=180,
            )  # fmt: skip
            assert refused.returncode == 1
            assert f":{first.pid}" in refused.stderr and "--standby" in refused.stderr
            assert "Traceback" not in refused.stderr
            standby = start_serve(config, log, "--standby", *lease)
            try:
                # the orphaned child stops by itself; the standby takes over and runs osce to completion
                wait_until(lambda: any(r.status == "ok" for r in runs_of(sessions, "osce")[2:]), 240,
                           "a completed osce run by the standby")  # fmt: skip
            finally:
                standby.send_signal(signal.SIGTERM)
                assert standby.wait(timeout=60) == 0
        finally:
            stop(first)
    osce_runs = runs_of(sessions, "osce")[1:]
    assert all(run.status != "running" for run in osce_runs)
    spans = sorted((run.started_at, run.finished_at) for run in osce_runs)
    assert all(end <= next_start for (_s, end), (next_start, _e) in zip(spans, spans[1:], strict=False)), (
        spans
    )
    assert len(runs_of(sessions, "eurasianet")) == 1  # not due: no catch-up run
    with sessions() as session:
        assert session.scalar(select(func.count()).where(Article.url.endswith(SLOW_ARTICLE))) == 1
    articles_are_whole(sessions)
    assert "Traceback" not in log.read_text(errors="replace")


def test_sigterm_stops_within_the_shutdown_timeout_with_exit_0(tmp_path: Path, sqlite_url: str, osce) -> None:
    sessions = make_session_factory(make_engine(sqlite_url))
    osce.fail(SLOW_ARTICLE, "slow", delay=60)
    config = write_config(tmp_path, sqlite_url, {"osce": osce.base_url}, shutdown_timeout_seconds=3)
    log = tmp_path / "serve.log"
    serve = start_serve(config, log, "--lease-seconds", "10", "--heartbeat-seconds", "1")
    try:
        wait_until(lambda: osce.paths(SLOW_ARTICLE), 60, "the crawl to reach the slow page")
        (run,) = runs_of(sessions, "osce")
        assert run.status == "running" and pid_alive(run.pid)
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=60) == 0
    finally:
        stop(serve)
    (run,) = runs_of(sessions, "osce")
    assert run.status in {"killed", "ok", "failed"} and run.finished_at is not None
    assert not pid_alive(run.pid)
    text = log.read_text(errors="replace")
    assert "received SIGTERM" in text and "newswatch scheduler stopped" in text
    with sessions() as session:
        from storage.models import ServiceLease

        lease = session.get(ServiceLease, "scheduler")
        assert lease.expires_at <= utcnow()  # released: a successor need not wait


def test_a_listing_that_shows_no_links_alerts_once_and_recovers_once(sqlite_url, osce) -> None:
    from newswatch.replicas.server import Page

    sessions = make_session_factory(make_engine(sqlite_url))
    original = osce.routes["/press-releases"]
    served = itertools.count()  # a new body each time, so conditional GETs do not answer 304
    osce.route(
        "/press-releases",
        lambda _q: Page(f"<html><body><h1>Our new website</h1>{next(served)}</body></html>".encode()),
    )
    service = Service(service_config(sqlite_url, {"osce": osce.base_url}, crawl_interval_seconds=1,
                                     failure_threshold=2))  # fmt: skip
    service.start()
    try:
        assert service.wait_for_jobs(lambda done: done["crawl:osce"] >= 3, 90)
        osce.route("/press-releases", original)  # the redesign is undone (or the parser fixed)
        assert service.wait_for_jobs(lambda done: done["crawl:osce"] >= 5, 90)
    finally:
        service.stop()
    with sessions() as session:
        first_runs = session.scalars(select(CrawlRun.status).order_by(CrawlRun.id).limit(3)).all()
        admin = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "admin")).all()
    assert set(first_runs) == {"ok"}  # the crawl "worked": only the health check sees the problem
    assert sorted(message.subject for message in admin) == [
        "[newswatch] source osce is failing",
        "[newswatch] source osce recovered",
    ]
    failing = next(message for message in admin if "failing" in message.subject)
    assert b"no article links" in failing.payload
