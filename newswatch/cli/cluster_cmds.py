"""``newswatch worker``: one crawling node of a cluster (see scheduler.cluster and docs/scaling.md)."""

from __future__ import annotations

import sys

import click

from newswatch.app import App
from newswatch.cli.common import pass_app


@click.command("worker")
@click.option("--concurrency", type=click.IntRange(1, 64), default=None,
              help="Crawls this worker runs at once (default: cluster.worker_concurrency).")  # fmt: skip
@pass_app
def worker(app: App, concurrency: int | None) -> None:
    """Take crawl jobs from the cluster's broker and run them, each in a child process.

    Needs a [cluster] broker_url and a PostgreSQL database_url shared with the leader
    (`newswatch serve`), which decides when each source is due. Start any number of workers on
    any number of hosts; a source is crawled by one worker at a time. SIGTERM or Ctrl-C stops
    taking jobs and lets running crawls finish; a worker killed outright has its job handed to
    another worker.

    \b
    Example:
      NEWSWATCH_CLUSTER__BROKER_URL=amqp://guest:guest@10.0.0.5:5672// \\
        newswatch --config /etc/newswatch/newswatch.toml worker --concurrency 4
    """
    from newswatch.cli.serve_cmds import configure_service_logging, service_config
    from scheduler.cluster import Worker, safe_broker_url

    settings = app.settings
    if not settings.cluster.broker_url:
        raise click.ClickException(
            "no broker configured: set [cluster] broker_url (or NEWSWATCH_CLUSTER__BROKER_URL), "
            "e.g. amqp://guest:guest@127.0.0.1:5672//"
        )
    try:
        config = service_config(settings)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    configure_service_logging(settings.log_level)
    assert config.cluster is not None
    click.echo(f"worker: taking crawl jobs from {safe_broker_url(config.cluster.broker_url)}", err=True)
    sys.exit(Worker(config, app.sessions, concurrency=concurrency).run())


commands: list[click.Command] = [worker]
