"""``newswatch sources``: what we watch (the registry merged with newswatch.toml) and how it went."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy import func, select

from newswatch.app import App
from newswatch.cli.common import emit_rows, format_option, pass_app
from newswatch.cli.crawl_cmds import registry_of
from storage.models import CrawlRun

LIST_COLUMNS = [
    "key",
    "name",
    "enabled",
    "languages",
    "entries",
    "interval",
    "parser",
    "last_crawl",
    "last_status",
]


@click.group("sources")
def sources_group() -> None:
    """Show and check the sources newswatch crawls.

    \b
    Example:
      newswatch sources list
    """


def last_runs(app: App) -> dict[str, CrawlRun]:
    """The newest CrawlRun per source (one query)."""
    with app.sessions() as session:
        newest = (
            select(CrawlRun.source, func.max(CrawlRun.id).label("id")).group_by(CrawlRun.source).subquery()
        )
        runs = session.scalars(select(CrawlRun).join(newest, CrawlRun.id == newest.c.id))
        return {run.source: run for run in runs}


@sources_group.command("list")
@format_option("table", "json", "csv")
@pass_app
def list_sources(app: App, fmt: str) -> None:
    """List every source: key, name, enabled, languages, entry kinds, interval, parser, last crawl.

    The registry is crawler/sources.toml with your [sources.*] tables from newswatch.toml merged over it.
    An interval left empty uses [scheduler] crawl_interval_minutes.

    \b
    Example:
      newswatch sources list
      newswatch sources list --format json
    """
    registry = registry_of(app)
    runs = last_runs(app)
    rows: list[dict[str, Any]] = []
    for source in registry:
        run = runs.get(source.key)
        rows.append(
            {
                "key": source.key,
                "name": source.name,
                "enabled": source.enabled,
                "languages": list(source.languages),
                "entries": source.entry_kinds,
                "interval": source.interval_minutes or app.settings.scheduler.crawl_interval_minutes,
                "parser": source.parser,
                "last_crawl": run.started_at.isoformat(timespec="seconds") if run else None,
                "last_status": run.status if run else None,
            }
        )
    emit_rows(rows, fmt, LIST_COLUMNS)


commands: list[click.Command] = [sources_group]
