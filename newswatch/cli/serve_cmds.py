"""``newswatch serve``, ``newswatch status`` and ``newswatch demo``: the service and its health.

This module is the composition root for the scheduler: it turns Settings into the plain
``ServiceConfig`` that ``scheduler`` accepts (its ``MailConfig`` comes from ``newswatch.wiring``).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import click

from newswatch.app import App
from newswatch.cli.common import emit_rows, format_option, pass_app
from newswatch.config import Settings
from newswatch.wiring import mail_config
from scheduler.config import ClusterConfig, ServiceConfig
from storage.db import url_without_password
from storage.errors import OperationalError

STATUS_COLUMNS = ["source", "last_run_at", "last_status", "last_new_items", "consecutive_failures",
                  "next_run_at", "interval_minutes", "enabled", "health"]  # fmt: skip
CRAWL_OPTION_KEYS = ("user_agent", "contact", "obey_robots", "concurrent_requests", "concurrent_per_domain",
                     "download_delay", "download_timeout", "max_response_bytes", "retry_times", "autothrottle")  # fmt: skip


def service_config(settings: Settings, **overrides: Any) -> ServiceConfig:
    """Settings → the scheduler's plain ``ServiceConfig`` (``overrides`` for the fast test/demo knobs)."""
    values: dict[str, Any] = dict(
        database_url=settings.database_url, source_overrides=settings.sources,
        crawl_options={key: getattr(settings.crawl, key) for key in CRAWL_OPTION_KEYS},
        max_pages=settings.crawl.max_pages, mail=mail_config(settings), log_level=settings.log_level,
        **settings.scheduler.model_dump(),  # every [scheduler] key is a ServiceConfig field of the same name
        cluster=cluster_config(settings),
    )  # fmt: skip
    values.update({key: value for key, value in overrides.items() if value is not None})
    return ServiceConfig(**values)


def cluster_config(settings: Settings) -> ClusterConfig | None:
    """The ``[cluster]`` table as the scheduler's plain value (None: single-machine mode)."""
    values = settings.cluster.model_dump()
    if not values.pop("broker_url"):
        return None
    assert settings.cluster.broker_url is not None
    return ClusterConfig(broker_url=settings.cluster.broker_url, **values)


class _JournalFormatter(logging.Formatter):
    """Under systemd (JOURNAL_STREAM set) prefix ``<N>`` priorities and drop our timestamp."""

    PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}

    def format(self, record: logging.LogRecord) -> str:
        return f"<{self.PRIORITY.get(record.levelno, 6)}>{super().format(record)}"


def configure_service_logging(level: str) -> None:
    """Logs to stdout, one line per event: what journald (or a terminal) wants from a foreground service."""
    handler = logging.StreamHandler(sys.stdout)
    if os.environ.get("JOURNAL_STREAM"):
        handler.setFormatter(_JournalFormatter("%(name)s: %(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        if type(old) is logging.StreamHandler:  # the group's stderr handler: replaced, not doubled
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))


@click.command("serve")
@click.option(
    "--standby", is_flag=True, help="If another instance holds the lease, wait and take over when it stops."
)
@click.option(
    "--lease-seconds",
    type=click.FloatRange(min=2),
    default=60,
    show_default=True,
    help="How long the single-instance lease lasts without renewal (after kill -9 a restart waits this long).",
)
@click.option(
    "--heartbeat-seconds",
    type=click.FloatRange(min=0.5),
    default=15,
    show_default=True,
    help="How often the lease is renewed; keep it well under --lease-seconds.",
)
@click.option(
    "--crawl-interval-seconds",
    type=click.FloatRange(min=1),
    default=None,
    hidden=True,
    help="Crawl every source this often, ignoring intervals (demo, tests, benchmarks).",
)
@click.option(
    "--digest-interval-seconds",
    type=click.FloatRange(min=1),
    default=None,
    hidden=True,
    help="Run the immediate digest this often (demo, tests, benchmarks).",
)
@pass_app
def serve(app: App, standby: bool, lease_seconds: float, heartbeat_seconds: float,
          crawl_interval_seconds: float | None, digest_interval_seconds: float | None) -> None:  # fmt: skip
    """Run the scheduler in the foreground: crawls, digests, mail delivery and housekeeping.

    Each source is crawled at its interval in a child process with a hard timeout. Only one
    instance runs per database (a lease in the database); SIGTERM or Ctrl-C stops it cleanly:
    running crawls get scheduler.shutdown_timeout_seconds, then are terminated. Logs go to stdout.

    \b
    Example:
      newswatch serve
      newswatch --config /etc/newswatch/newswatch.toml serve --standby
    """
    if heartbeat_seconds >= lease_seconds:
        raise click.BadParameter("must be shorter than --lease-seconds", param_hint="--heartbeat-seconds")
    from scheduler.lease import LeaseHeldError
    from scheduler.service import Service

    settings = app.settings
    configure_service_logging(settings.log_level)
    try:
        app.creating().ensure_schema()
    except OperationalError as exc:
        raise click.ClickException(
            f"cannot open the database {_safe_url(settings.database_url)}: {exc.orig}"
        ) from None
    overrides: dict[str, Any] = dict(lease_seconds=lease_seconds, heartbeat_seconds=heartbeat_seconds,
                                     crawl_interval_seconds=crawl_interval_seconds)  # fmt: skip
    if digest_interval_seconds:
        overrides["immediate_digest_minutes"] = digest_interval_seconds / 60
        overrides["outbox_seconds"] = digest_interval_seconds
    try:
        service = Service(service_config(settings, **overrides))
    except ValueError as exc:  # e.g. a broken [sources.*] table
        raise click.ClickException(str(exc)) from None
    try:
        code = service.serve_forever(standby=standby)
    except LeaseHeldError as exc:
        raise click.ClickException(str(exc)) from None
    except OperationalError as exc:
        raise click.ClickException(f"the database went away: {exc.orig}") from None
    sys.exit(code)


def _safe_url(url: str) -> str:
    """The database URL without its password, for messages."""
    return url_without_password(url)


@click.command("status")
@format_option("table", "json", "csv")
@pass_app
def status(app: App, fmt: str) -> None:
    """Show each source's health: last run, its result, new items, failures in a row, next run.

    The last run is the latest of any kind, a backfill included (as `sources list`, `stats` and the
    web show it). The next run is the last scheduled run plus the source's interval (now, when that is
    past: the service runs overdue sources at once); a backfill does not move it. Failing sources are
    marked once they reach failure_threshold.

    \b
    Example:
      newswatch status
      newswatch status --format json
    """
    from crawler.sources import load_registry
    from scheduler.health import source_status
    from scheduler.lease import Lease

    settings = app.settings
    try:
        registry = load_registry(settings.sources)
        cfg = service_config(settings)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    sources = [(s.key, s.enabled, cfg.interval_seconds(s.interval_minutes)) for s in registry]
    with app.read_sessions() as session:
        rows = [row.as_row() for row in source_status(session, sources)]
    emit_rows(rows, fmt, STATUS_COLUMNS)
    if fmt == "table":
        lease = Lease(app.read_sessions).current()
        from storage.types import utcnow

        if lease and lease.expires_at > utcnow():
            click.echo(
                f"\nscheduler: running as {lease.holder} (lease until {lease.expires_at:%H:%M:%S} UTC)"
            )
        else:
            click.echo("\nscheduler: not running")
        if settings.cluster.broker_url:
            _echo_cluster(app, settings)
        threshold = settings.scheduler.failure_threshold
        failing = [str(r["source"]) for r in rows if int(str(r["consecutive_failures"])) >= threshold]
        if failing:
            click.echo(f"failing: {', '.join(failing)}")


def _echo_cluster(app: App, settings: Settings) -> None:
    """Workers (host, pid, current jobs, last heartbeat) and the broker's queue depth."""
    from scheduler.cluster import queue_depth
    from storage.cluster import list_workers
    from storage.types import utcnow

    cluster = cluster_config(settings)
    assert cluster is not None
    with app.sessions() as session:
        workers = list_workers(session)
    depth = queue_depth(cluster)
    waiting = "unknown (broker unreachable)" if depth is None else str(depth)
    click.echo(f"cluster: queue {cluster.queue}: {waiting} job(s) waiting; {len(workers)} worker(s)")
    now = utcnow()
    for w in workers:
        age = (now - w.heartbeat_at).total_seconds()
        stale = "  (no heartbeat: gone?)" if age > 3 * cluster.worker_heartbeat_seconds else ""
        jobs = ", ".join(w.current_jobs) or "idle"
        click.echo(f"  {w.host} pid {w.pid}: {jobs}; last heartbeat {age:.0f} s ago{stale}")


@click.command("demo")
@click.option(
    "--workdir",
    type=click.Path(file_okay=False),
    default="var/demo",
    show_default=True,
    help="Where the demo database and mail go (wiped at the start).",
)
@click.option(
    "--timeout",
    "timeout_seconds",
    type=click.FloatRange(min=5),
    default=50,
    show_default=True,
    help="Give up (exit 1) if one cycle has not finished by then.",
)
@click.option("--keep", is_flag=True,
              help="After the cycle, keep the replicas and the SMTP server running and serve the web UI on the "
                   "demo archive until Ctrl+C.")  # fmt: skip
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port of the web UI with --keep (0 picks a free one).")  # fmt: skip
def demo(workdir: str, timeout_seconds: float, keep: bool, port: int) -> None:
    """Run the whole service offline against the bundled replica sites, then summarise.

    Starts the replica sites and an SMTP server on 127.0.0.1, points every source at the replicas,
    runs the real scheduler until every source was crawled once (each in a child process), sends
    the digest of a demo subscriber, and prints articles per source, the mail and a sample search.
    Touches nothing beyond loopback and the work directory.

    \b
    Example:
      newswatch demo
      newswatch demo --keep        # then open http://127.0.0.1:8000/
      make demo
    """
    from newswatch.demo import DemoError, run_demo

    configure_service_logging("WARNING")

    def keep_running(database_url: str, replicas: dict[str, str]) -> None:
        from newswatch.app import App as DemoApp
        from newswatch.cli.web_cmds import serve_web
        from newswatch.config import load_settings

        click.echo("keeping the replica sites, the SMTP server and the web UI running (Ctrl+C stops) ...")
        overrides = {key: {"base_url": url} for key, url in replicas.items()}
        demo_app = DemoApp(load_settings(None, database_url=database_url, sources=overrides))
        try:
            serve_web(demo_app, "127.0.0.1", port)
        finally:
            demo_app.close()

    try:
        summary = run_demo(workdir, timeout_seconds=timeout_seconds, echo=click.echo,
                           keep=keep_running if keep else None)  # fmt: skip
    except DemoError as exc:
        raise click.ClickException(str(exc)) from None
    if not summary.ok:
        sys.exit(1)


commands: list[click.Command] = [serve, status, demo]
