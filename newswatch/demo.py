"""``newswatch demo``: the whole service, offline, in under a minute.

It wires real parts only: the replica sites of ``newswatch.replicas`` on loopback (every source's
``base_url`` pointed at its replica), a fresh SQLite database, an aiosmtpd SMTP server on 127.0.0.1
that saves what it receives as .eml files, and the real scheduler (``scheduler.service.Service``)
with a fast schedule. One cycle: each enabled source crawled once in its own child process (a baseline: the
replicas' 2024 stories are archived, not mailed), then Khovar's replica publishes a fresh story and is
crawled again, then the immediate digest for a demo subscriber (carrying that one new story) is queued
and delivered, then a summary.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alerts.config import MailConfig
from alerts.subscriptions import add_subscription
from crawler.sources import load_registry
from newswatch.replicas import running_servers, site_names
from scheduler.config import ServiceConfig
from scheduler.service import Service
from storage import articles as article_table
from storage import crawl_runs, outbox
from storage.db import make_engine, make_session_factory, session_scope
from storage.migrate import upgrade
from storage.search import SearchFilters, search_articles

DEMO_SUBSCRIBER = "demo@example.org"
SAMPLE_QUERY = "Tajikistan"
# Fast and gentle: everything is on loopback, so no politeness delay is needed.
DEMO_CRAWL_OPTIONS = {"download_delay": 0, "autothrottle": False, "retry_times": 1, "download_timeout": 10}


class DemoError(RuntimeError):
    """The demo cannot run here (for instance without the ``demo`` extra); the message says why."""


@dataclass
class DemoSummary:
    ok: bool
    seconds: float
    articles: dict[str, int] = field(default_factory=dict)
    runs: dict[str, str] = field(default_factory=dict)
    skipped_sources: list[str] = field(default_factory=list)
    digests_sent: int = 0
    mail_files: list[Path] = field(default_factory=list)
    search_hits: list[str] = field(default_factory=list)


class _SaveMessages:
    """aiosmtpd handler: write each message received as ``<n>.eml``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's API
        self.count += 1
        (self.folder / f"{self.count:03d}.eml").write_bytes(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def smtp_server(folder: Path) -> Iterator[int]:
    """A real SMTP server on loopback for the length of the block; yields its port."""
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        raise DemoError("the demo needs aiosmtpd: pip install 'newswatch[demo]'") from None

    folder.mkdir(parents=True, exist_ok=True)
    controller = Controller(_SaveMessages(folder), hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


def _fresh_workdir(workdir: Path) -> None:
    """Remove what an earlier demo left (only our own files), so every run starts empty."""
    for name in ("demo.db", "demo.db-wal", "demo.db-shm"):
        (workdir / name).unlink(missing_ok=True)
    for name in ("mail", "outbox"):
        shutil.rmtree(workdir / name, ignore_errors=True)
    workdir.mkdir(parents=True, exist_ok=True)


REPLICA_AGE_DAYS = 36500
FRESH_SOURCE = "khovar"  # publishes one story after the baseline crawl (newswatch/replicas/fresh_news.py)
FRESH_CRAWL_SECONDS = 30


def run_demo(
    workdir: str | Path = "var/demo",
    *,
    timeout_seconds: float = 50,
    echo: Callable[[str], Any] = print,
    keep: Callable[[str, dict[str, str]], None] | None = None,
) -> DemoSummary:
    """One full offline cycle of the service; prints progress and the summary through ``echo``.

    ``keep(database_url, replica_urls)`` is called after the summary while the replica sites and the SMTP
    server still run (``newswatch demo --keep`` serves the web UI from it until Ctrl+C).
    """
    started = time.monotonic()
    workdir = Path(workdir).resolve()
    _fresh_workdir(workdir)
    database_url = f"sqlite:///{workdir / 'demo.db'}"
    engine = make_engine(database_url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    keys = [source.key for source in load_registry().enabled()]
    with running_servers(keys) as servers, smtp_server(workdir / "mail") as smtp_port:
        replicas = {key: server.base_url for key, server in servers.items()}
        if not replicas:
            raise DemoError(f"no enabled source has a replica site (replicas: {', '.join(site_names())})")
        # The replicas are snapshots with fixed dates, so sitemap windows are widened to reach them.
        overrides = {
            key: (
                {"base_url": replicas[key], "options": {"sitemap_max_age_days": REPLICA_AGE_DAYS}}
                if key in replicas
                else {"enabled": False}
            )
            for key in keys
        }
        skipped = [key for key in keys if key not in replicas]
        echo(f"replica sites on loopback: {', '.join(f'{k} {u}' for k, u in replicas.items())}")
        if skipped:
            echo(f"no replica for {', '.join(skipped)}: disabled in the demo")
        echo(f"SMTP server on 127.0.0.1:{smtp_port}; database {workdir / 'demo.db'}")
        with session_scope(sessions) as session:
            add_subscription(session, email=DEMO_SUBSCRIBER, frequency="immediate")
        mail = MailConfig(smtp_host="127.0.0.1", smtp_port=smtp_port, smtp_security="none",
                          outbox_dir=workdir / "outbox", sender="newswatch demo <newswatch@localhost>")  # fmt: skip
        config = ServiceConfig(
            database_url=database_url, source_overrides=overrides, crawl_options=DEMO_CRAWL_OPTIONS,
            max_pages=2, mail=mail, crawl_interval_seconds=3600, jitter_seconds=0, immediate_digest_minutes=60,
            outbox_seconds=3600, housekeeping_minutes=60, catch_up_stagger_seconds=0.2,
            crawl_timeout_seconds=max(10.0, timeout_seconds - 10), shutdown_timeout_seconds=5,
            lease_seconds=30, heartbeat_seconds=5,
        )  # fmt: skip
        service = Service(config, holder=f"demo:{workdir}")
        echo(f"scheduler started: crawling {len(replicas)} sources, each in a child process ...")
        service.start()
        try:
            deadline = started + timeout_seconds
            crawled = service.wait_for_jobs(
                lambda done: all(done[f"crawl:{key}"] >= 1 for key in replicas), deadline - time.monotonic()
            )
            if crawled and FRESH_SOURCE in servers:
                from newswatch.replicas.fresh_news import publish_fresh_khovar_story

                echo("first crawls are a baseline (nothing old is mailed); Khovar publishes a story ...")
                publish_fresh_khovar_story(servers[FRESH_SOURCE])
                service.run_now(f"crawl:{FRESH_SOURCE}")
                deadline = max(
                    deadline, time.monotonic() + FRESH_CRAWL_SECONDS
                )  # one small feed, but on a busy machine
                crawled = service.wait_for_jobs(
                    lambda done: done[f"crawl:{FRESH_SOURCE}"] >= 2, deadline - time.monotonic()
                )
            if crawled:
                echo("crawls done; sending the demo subscriber's digest ...")
                service.run_now("digest:immediate")
                service.wait_for_jobs(lambda done: done["digest:immediate"] >= 1, deadline - time.monotonic())
        finally:
            service.stop()
        summary = _summarise(sessions, workdir, replicas, skipped, started)
        summary.ok = crawled and summary.ok
        engine.dispose()
        _print(summary, echo)
        _next_steps(database_url, workdir, echo, kept=keep is not None)
        if keep is not None:
            keep(database_url, replicas)
    return summary


def _next_steps(database_url: str, workdir: Path, echo: Callable[[str], Any], *, kept: bool) -> None:
    """What to try next: the demo's archive stays in ``workdir`` (commands need to be pointed at it)."""
    env = f"NEWSWATCH_DATABASE_URL={database_url}"
    echo("")
    echo("next steps:")
    if not kept:
        echo("  newswatch demo --keep                 # the same, then the web UI, replicas and SMTP stay up")
    echo(f"  {env} newswatch search Tajikistan")
    echo(f"  {env} newswatch status")
    echo(f"  {env} newswatch web")
    echo(f"  the digest that was mailed: {workdir / 'mail'}")


def _summarise(
    sessions: Any, workdir: Path, replicas: dict[str, str], skipped: list[str], started: float
) -> DemoSummary:
    with sessions() as session:
        articles = article_table.count_by_source(session)
        runs = {
            key: run.status
            for key, run in crawl_runs.latest_by_source(session, include_backfill=True).items()
        }
        digests = outbox.count(session, kind="digest", status="sent")
        page = search_articles(session, SAMPLE_QUERY, SearchFilters(), limit=5)
        hits = [f"[{hit.source}] {hit.title}" for hit in page.hits]
    mail_files = sorted((workdir / "mail").glob("*.eml"))
    ok = all(runs.get(key) == "ok" for key in replicas) and sum(articles.values()) > 0
    return DemoSummary(ok=ok, seconds=time.monotonic() - started, articles=articles, runs=runs,
                       skipped_sources=skipped, digests_sent=digests or 0, mail_files=mail_files,
                       search_hits=hits)  # fmt: skip


def _print(summary: DemoSummary, echo: Callable[[str], Any]) -> None:
    echo("")
    echo("source       run     articles")
    for key, status in sorted(summary.runs.items()):
        echo(f"{key:<12} {status:<7} {summary.articles.get(key, 0):>8}")
    echo(f"digests delivered to {DEMO_SUBSCRIBER}: {summary.digests_sent} ({len(summary.mail_files)} .eml files "
         f"received by the SMTP server{': ' + str(summary.mail_files[0]) if summary.mail_files else ''})")  # fmt: skip
    echo(f"sample search for {SAMPLE_QUERY!r}:")
    for hit in summary.search_hits or ["(no hits)"]:
        echo(f"  {hit}")
    echo(f"{'demo finished' if summary.ok else 'demo FAILED'} in {summary.seconds:.1f} s")
