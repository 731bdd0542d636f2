"""``newswatch crawl`` (fetch sources into the archive) and ``newswatch extract`` (parse saved pages)."""

from __future__ import annotations

import gzip
import logging
import re
import sys
from pathlib import Path
from typing import Any

import click

from crawler.sources import Registry, Source, SourceConfigError, load_registry, load_site_parser
from newswatch.app import App
from newswatch.cli.common import emit_rows, format_option, pass_app

# The table's short headings (what a person reads) -> CrawlSummary fields (the crawl_run row's names).
SUMMARY_COLUMNS = {
    "source": "source",
    "status": "status",
    "pages": "pages_fetched",
    "new": "items_new",
    "updated": "items_updated",
    "unchanged": "items_unchanged",
    "dropped": "items_dropped",
    "errors": "errors",
    "fallbacks": "fallbacks",
}
EXTRACT_FIELDS = [
    "url", "title", "published_at", "body", "language", "authors", "tags", "dateline", "source",
    "content_type", "extraction",
]  # fmt: skip


def registry_of(app: App) -> Registry:
    """The packaged registry with the user's [sources.*] tables merged in; errors worded for the user."""
    try:
        return load_registry(app.settings.sources)
    except SourceConfigError as exc:
        raise click.ClickException(f"invalid source configuration: {exc}") from None


def _progress(line: str) -> None:
    click.echo(line, err=True)


def _verbose(app: App) -> bool:
    return app.settings.log_level == "DEBUG" or logging.getLogger().getEffectiveLevel() <= logging.DEBUG


@click.command("crawl")
@click.argument("source_keys", nargs=-1, metavar="[SOURCE]...")
@click.option(
    "--backfill", is_flag=True, help="Walk listings deeper (past known pages), marking articles as backfill."
)
@click.option(
    "--max-pages", type=click.IntRange(min=1), help="Listing pages per entry point (default from [crawl])."
)
@format_option("table", "json", "csv")
@pass_app
def crawl(app: App, source_keys: tuple[str, ...], backfill: bool, max_pages: int | None, fmt: str) -> None:
    """Fetch new articles from SOURCE(s) (default: every enabled source) into the archive.

    A scheduled-style run stops at the first listing page that is already known (or unchanged:
    conditional GET); --backfill --max-pages N walks N pages deep. Progress goes to stderr, the summary
    (pages, new, updated, unchanged, dropped, errors, fallbacks per source) to stdout. Exit status 1
    when a source's run failed.

    \b
    Example:
      newswatch crawl osce
      newswatch crawl osce --backfill --max-pages 20
      newswatch crawl --format json
    """
    registry = registry_of(app)
    try:
        sources = [registry.get(key) for key in source_keys] if source_keys else registry.enabled()
    except SourceConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if not sources:
        raise click.ClickException("no enabled sources; enable one in [sources.<key>] or name it explicitly")
    from crawler.runner import run_crawl  # Scrapy and Twisted load only when a crawl runs

    app.creating().ensure_schema()
    click.echo(f"crawling {', '.join(source.key for source in sources)} ...", err=True)
    if not _verbose(app):  # each failed fetch is reported once, by ``progress``, not also as a log record
        logging.getLogger("crawler.spiders").setLevel(logging.CRITICAL)
    summaries = run_crawl(
        app.settings.database_url,
        sources,
        crawl_options=app.settings.crawl.model_dump(),
        backfill=backfill,
        max_pages=max_pages,
        # Failures come back as one line each through ``progress``; Scrapy's own records (with their
        # tracebacks) only with -v or log_level = "DEBUG".
        log_level="INFO" if _verbose(app) else "CRITICAL",
        progress=_progress,
    )
    rows = [
        {column: getattr(summary, name) for column, name in SUMMARY_COLUMNS.items()} for summary in summaries
    ]
    emit_rows(rows, fmt, list(SUMMARY_COLUMNS))
    if any(summary.status != "ok" for summary in summaries):
        sys.exit(1)


def read_page(path: Path) -> tuple[bytes, str, str]:
    """Bytes of a saved page (gunzipped if needed) and its decoded text and encoding."""
    from crawler.normalize import decode_html

    data = path.read_bytes()
    if path.suffix == ".gz" or data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    text, encoding = decode_html(data)
    return data, text, encoding


_CANONICAL = re.compile(
    r"""<link[^>]+rel=["']canonical["'][^>]*href=["']([^"']+)|<meta[^>]+property=["']og:url["'][^>]*content=["']([^"']+)""",
    re.I,
)


def page_url(text: str, path: Path, given: str | None) -> str:
    """--url, else the page's own canonical / og:url, else a file:// URL."""
    if given:
        return given
    match = _CANONICAL.search(text[:200_000])
    if match:
        return match.group(1) or match.group(2)
    return path.resolve().as_uri()


def pick_source(registry: Registry, url: str, key: str | None) -> Source | None:
    if key:
        return registry.get(key)
    return registry.for_url(url)


def extract_one(registry: Registry, path: Path, url: str | None, source_key: str | None) -> dict[str, Any]:
    from crawler.normalize import normalize_page
    from crawler.parsers import extract_article

    data, text, encoding = read_page(path)
    url = page_url(text, path, url)
    source = pick_source(registry, url, source_key)
    parser = load_site_parser(source.parser) if source else None
    page = extract_article(text, url, parser)
    record = normalize_page(page, source=source.key if source else "file", raw_html=data, encoding=encoding)
    row: dict[str, Any] = {"file": str(path)}
    for name in EXTRACT_FIELDS:
        value = getattr(record, name)
        row[name] = value.isoformat() if hasattr(value, "isoformat") else value
    row.update(
        summary=record.summary,
        attachments=record.attachments,
        publisher_unit=page.publisher_unit,
        fallback_fields=page.fallback_fields,
        encoding=encoding,
    )
    return row


@click.command("extract")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--url", help="The page's URL (default: its canonical link, else file://). Picks the site parser."
)
@click.option(
    "--source", "source_key", help="Source key whose parser to use (default: by URL host, else generic)."
)
@format_option("json", "jsonl")
@pass_app
def extract(app: App, files: tuple[Path, ...], url: str | None, source_key: str | None, fmt: str) -> None:
    """Run the parser and normaliser on saved pages (.html or .html.gz, any encoding); nothing is stored.

    One normalised article per FILE, in order (url, title, published_at, body, language, authors, tags,
    dateline, source, content_type, extraction, ...). A file that cannot be read or is not an article
    gives an {"file", "error"} entry and a message on stderr; the others are still printed, and the exit
    status is 1.

    \b
    Example:
      newswatch extract saved/osce-557295.html --url https://www.osce.org/programme-office-in-dushanbe/557295
      newswatch extract pages/*.html.gz --format jsonl
    """
    from crawler.normalize import NotAnArticle

    registry = registry_of(app)
    rows: list[dict[str, Any]] = []
    failed = False
    for path in files:
        try:
            rows.append(extract_one(registry, path, url, source_key))
        except (OSError, EOFError, gzip.BadGzipFile, NotAnArticle, SourceConfigError, ValueError) as exc:
            failed = True
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            click.echo(f"newswatch extract: {path}: {reason}", err=True)
            rows.append({"file": str(path), "error": reason})
    emit_rows(rows, fmt, ["file", *EXTRACT_FIELDS])
    if failed:
        sys.exit(1)


commands: list[click.Command] = [crawl, extract]
