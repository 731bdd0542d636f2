"""``newswatch sources``: what we watch (the registry merged with newswatch.toml) and how it went."""

from __future__ import annotations

from typing import Any

import click

from newswatch.app import App
from newswatch.cli.common import emit_rows, format_option, pass_app
from newswatch.cli.crawl_cmds import registry_of
from newswatch.cli.sources_add import add_source
from scheduler.health import articles_seen, source_health
from storage import crawl_runs
from storage.crawl_runs import CrawlRun

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
    "health",
]


@click.group("sources")
def sources_group() -> None:
    """Show and check the sources newswatch crawls.

    \b
    Example:
      newswatch sources list
    """


def last_runs(app: App) -> dict[str, CrawlRun]:
    """The latest CrawlRun per source, backfills included (the run ``status``, ``stats`` and /sources show)."""
    with app.sessions() as session:
        return crawl_runs.latest_by_source(session, include_backfill=True)


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
                "health": source_health(run.log_excerpt, run.fallbacks or 0, articles_seen(run))
                if run
                else None,
            }
        )
    emit_rows(rows, fmt, LIST_COLUMNS)


CHECK_COLUMNS = ["source", "status", "entry_kind", "entry_links", "title", "published", "body_chars", "language",
                 "extraction", "fallback_fields", "problems"]  # fmt: skip


@sources_group.command("check")
@click.argument("source_keys", nargs=-1, metavar="[KEY]...")
@format_option("table", "json")
@pass_app
def check_sources_command(app: App, source_keys: tuple[str, ...], fmt: str) -> None:
    """Canary: fetch one entry page and one article per source and report what came out.

    For each source (all enabled ones by default) the first entry point (feed, sitemap or listing) is
    fetched with the configured User-Agent and timeout, then the newest article it links to is parsed
    as a crawl would. Status is ok (title, date and body from the site parser), degraded (a core field
    came from the generic fallback, e.g. after a redesign, or is missing) or failed (fetch or parse
    error). Nothing is stored. Exits with status 1 when any source failed.

    \b
    Example:
      newswatch sources check
      newswatch sources check ozodi asiaplus --format json
    """
    from crawler.canary import Fetcher, check_sources
    from crawler.settings import user_agent
    from crawler.sources import SourceConfigError

    registry = registry_of(app)
    try:
        sources = [registry.get(key) for key in source_keys] if source_keys else registry.enabled()
    except SourceConfigError as exc:
        raise click.ClickException(str(exc)) from None
    crawl = app.settings.crawl
    fetcher = Fetcher(
        user_agent=user_agent(crawl.user_agent, crawl.contact),  # the crawler's own identity
        timeout=crawl.download_timeout,
        max_bytes=crawl.max_response_bytes,
        obey_robots=crawl.obey_robots,
    )
    results = check_sources(sources, fetcher, progress=lambda line: click.echo(line, err=True))
    rows = [result.as_dict() for result in results]
    if fmt == "table":
        rows = [{**row, "problems": "; ".join(row["problems"])} for row in rows]
    emit_rows(rows, fmt, CHECK_COLUMNS)
    if any(result.status == "failed" for result in results):
        raise SystemExit(1)


sources_group.add_command(add_source)
commands: list[click.Command] = [sources_group]
