"""``newswatch search | show | export | stats``: reading the archive from the command line.

A thin layer over ``storage.search``: options become a SearchFilters, a QueryError becomes one line on
stderr and exit status 2, and output is either for people (a highlighted list) or for programs
(JSON / CSV / JSON lines, with matches marked ``**like this**``).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any
from urllib.parse import urldefrag

import click

from newswatch.app import App
from newswatch.cli.common import emit_rows, format_option, pass_app
from newswatch.relative_dates import parse_date_filter
from storage import articles, crawl_runs
from storage.models import Article
from storage.published import Published, published_of
from storage.search import (
    EXPORT_COLUMNS,
    QueryError,
    SearchFilters,
    SearchHit,
    iter_matching_articles,
    render_snippet,
    search_articles,
)

JSON_MARK = ("**", "**")  # how matches are marked in json/csv output
PROGRESS_EVERY = 5000


class DateTimeParam(click.ParamType):
    """A date filter: ISO date, ``today``, ``yesterday`` or an age (``7d``, ``2w``, ``3m``, ``1y``).

    It names a calendar day (an ISO date-time counts as the day it names). Filters compare the
    publisher's day, in the source's zone: ``--since 2024-10-01`` keeps an article dated only
    "1 October 2024" and ``--until 2024-09-30`` leaves it out, wherever the reader is.
    """

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.date):
            return value.date() if isinstance(value, dt.datetime) else value
        try:
            parsed = parse_date_filter(str(value), dt.datetime.now(dt.UTC).date())
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        return parsed.date() if isinstance(parsed, dt.datetime) else parsed


def filter_options(func_: Callable[..., Any]) -> Callable[..., Any]:
    """The filters shared by ``search`` and ``export``."""
    options = [
        click.option(
            "--source", "sources", multiple=True, help="Only this source (repeatable: any of them)."
        ),
        click.option("--lang", "languages", multiple=True, help="Only this language code, e.g. en, ru, tg."),
        click.option(
            "--tag",
            "tags",
            multiple=True,
            help="Only articles with this tag, of either kind (repeatable: any; case does not matter).",
        ),
        click.option(
            "--topic", "topics", multiple=True, help="Only this OSCE field of work, e.g. 'Border management'."
        ),
        click.option("--section", "sections", multiple=True, help="Only this site category, e.g. Политика."),
        click.option(
            "--since",
            type=DateTimeParam(),
            help="Published on or after this day (the publisher's calendar day): 2024-01-31, 7d, 2w.",
        ),
        click.option(
            "--until",
            type=DateTimeParam(),
            help="Published on or before this day (the whole day counts): yesterday.",
        ),
    ]
    for option in reversed(options):
        func_ = option(func_)
    return func_


def _filters(sources: Iterable[str], languages: Iterable[str], tags: Iterable[str], since: Any, until: Any,  # type: ignore[no-untyped-def]
             topics: Iterable[str] = (), sections: Iterable[str] = ()):  # fmt: skip
    return SearchFilters(
        sources=tuple(sources), languages=tuple(languages), tags=tuple(tags), since=since, until=until,
        topics=tuple(topics), sections=tuple(sections),
    )  # fmt: skip


def _query_failed(exc: QueryError) -> None:
    click.echo(f"newswatch: {exc}", err=True)
    sys.exit(2)


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _published_iso(published: Published | None) -> str | None:
    """ISO 8601 with offset, or a bare YYYY-MM-DD when the publisher gave only the day."""
    return published.iso() if published is not None else None


def _hit_row(hit: SearchHit) -> dict[str, Any]:
    published = hit.published
    return {
        "id": hit.id,
        "url": hit.url,
        "source": hit.source,
        "title": hit.title,
        "published_at": _published_iso(published),
        "published_precision": published.precision if published else None,
        "language": hit.language,
        "tags": hit.tags,
        "snippet": render_snippet(hit.snippet, *JSON_MARK),
        "score": hit.score,
        "duplicate_of": hit.duplicate_of,
    }


SEARCH_COLUMNS = [
    "id", "url", "source", "title", "published_at", "published_precision", "language", "tags", "snippet", "score",
]  # fmt: skip


@click.command("search")
@click.argument("query", required=False, default="")
@filter_options
@click.option("--limit", type=click.IntRange(1, 100), default=20, show_default=True, help="Results per page.")
@click.option(
    "--offset", type=click.IntRange(0), default=0, show_default=True, help="Skip this many results."
)
@click.option("--order", type=click.Choice(["relevance", "newest"]), default="relevance", show_default=True)
@format_option("table", "json", "csv")
@pass_app
def search_cmd(
    app: App,
    query: str,
    sources: tuple[str, ...],
    languages: tuple[str, ...],
    tags: tuple[str, ...],
    topics: tuple[str, ...],
    sections: tuple[str, ...],
    since: dt.date | None,
    until: dt.date | None,
    limit: int,
    offset: int,
    order: str,
    fmt: str,
) -> None:
    """Search the archive; with no QUERY, list the newest articles that pass the filters.

    QUERY: words (all must match), "quoted phrases", OR between terms, -excluded words or phrases,
    prefix* (at least 2 letters). Case and Latin accents do not matter; Russian and Tajik work.
    A query that starts with '-' goes after '--' (newswatch search -- '-x y').
    JSON and CSV mark matches in the snippet as **word**; the list marks them in bold on a terminal.

    \b
    Example:
      newswatch search '"border management" Dushanbe' --since 2024-01-01
      newswatch search 'elections OR выборы -parliament' --source osce --format json
      newswatch search --tag water --order newest --limit 5
    """
    filters = _filters(sources, languages, tags, since, until, topics, sections)
    try:
        with app.read_sessions() as session:
            page = search_articles(session, query, filters, limit=limit, offset=offset, order=order)  # type: ignore[arg-type]
    except QueryError as exc:
        _query_failed(exc)
        return
    for note in page.notes:
        click.echo(f"note: {note}", err=True)
    if fmt != "table":
        emit_rows([_hit_row(hit) for hit in page.hits], fmt, SEARCH_COLUMNS)
        return
    click.echo(_render_hits(page.hits, page.total, page.total_is_estimate, offset, sys.stdout.isatty()))


def _render_hits(hits: list[SearchHit], total: int, estimate: bool, offset: int, tty: bool) -> str:
    about = "about " if estimate else ""
    if not hits:
        return f"no results ({about}{total:,} in all)" if total else "no results"
    lines = [f"{about}{total:,} results; showing {offset + 1}-{offset + len(hits)}", ""]
    bold = (lambda s: click.style(s, bold=True)) if tty else (lambda s: s)
    for hit in hits:
        published = hit.published
        date = published.day.isoformat() if published else "undated"
        meta = f"{date}  {hit.source}" + (f"  {hit.language}" if hit.language else "")
        lines.append(f"[{hit.id}] {bold(hit.title)}")
        lines.append(f"    {meta}  {hit.url}")
        if hit.snippet:
            if tty:
                marked = render_snippet(hit.snippet, "\x1b[1m", "\x1b[22m")
            else:
                marked = render_snippet(hit.snippet, "", "")
            lines.append(f"    {marked}")
        lines.append("")
    return "\n".join(lines).rstrip()


# --- show ----------------------------------------------------------------------------------------


def _url_variants(value: str) -> list[str]:
    """The URL as typed, without its fragment, and with and without a trailing slash."""
    base = urldefrag(value.strip())[0] or value.strip()
    variants = {value.strip(), base, base.rstrip("/"), base.rstrip("/") + "/"}
    for variant in list(variants):
        if variant.startswith("http://"):
            variants.add("https://" + variant[7:])
        elif variant.startswith("https://"):
            variants.add("http://" + variant[8:])
    return sorted(v for v in variants if v)


def find_article(session: Any, id_or_url: str) -> Article | None:
    """An article by id or by URL (canonical or as fetched), forgiving slash, fragment and scheme."""
    text = id_or_url.strip()
    if text.isdigit():
        return articles.get(session, int(text))
    return articles.find_by_url(session, _url_variants(text))


def _article_dict(article: Article) -> dict[str, Any]:
    return _export_line({name: getattr(article, name) for name in EXPORT_COLUMNS})


@click.command("show")
@click.argument("id_or_url")
@format_option("text", "json")
@pass_app
def show_cmd(app: App, id_or_url: str, fmt: str) -> None:
    """Show one archived article in full: metadata, tags and body.

    ID_OR_URL is the article id from `newswatch search`, or its URL (a trailing slash, a #fragment
    or http/https do not matter).

    \b
    Example:
      newswatch show 42
      newswatch show https://www.osce.org/programme-office-in-dushanbe/554321 --format json
    """
    with app.read_sessions() as session:
        article = find_article(session, id_or_url)
        if article is None:
            click.echo(f"newswatch: no archived article with id or URL {id_or_url!r}", err=True)
            sys.exit(1)
        data = _article_dict(article)
        published = _article_published(article)
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    zone = app.settings.reader_zone
    click.echo(data["title"])
    click.echo("=" * min(len(data["title"]), 100))
    shown = dict(data)
    shown["published_at"] = published.label(zone) if published is not None else None
    for key in ("modified_at", "first_seen_at"):
        moment = getattr(article, key)
        shown[key] = Published.at_moment(moment, zone).label(zone) if moment else None
    for key in ("id", "url", "source", "language", "published_at", "modified_at", "first_seen_at",
                "authors", "tags", "dateline", "content_type", "duplicate_of"):  # fmt: skip
        value = shown[key]
        if value in (None, [], ""):
            continue
        click.echo(f"{key + ':':<15} {', '.join(value) if isinstance(value, list) else value}")
    if data["summary"]:
        click.echo("\n" + data["summary"])
    click.echo("\n" + (data["body"] or ""))


# --- export --------------------------------------------------------------------------------------


def _article_published(article: Article) -> Published | None:
    return published_of(article.published_at, article.published_day, article.published_precision)


def _export_line(row: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready values; ``published_at`` is a bare day when the publisher gave only the day."""
    out = {k: (_iso(v) if isinstance(v, dt.datetime) else v) for k, v in row.items()}
    if "published_at" in row:
        published = published_of(
            row["published_at"], row.get("published_day"), row.get("published_precision")
        )
        out["published_at"] = _published_iso(published)
        out["published_precision"] = published.precision if published else None
    if isinstance(row.get("published_day"), dt.date):
        out["published_day"] = row["published_day"].isoformat()
    return out


@click.command("export")
@click.argument("query", required=False, default="")
@filter_options
@format_option("jsonl", "csv")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write here, not stdout."
)
@pass_app
def export_cmd(
    app: App,
    query: str,
    sources: tuple[str, ...],
    languages: tuple[str, ...],
    tags: tuple[str, ...],
    topics: tuple[str, ...],
    sections: tuple[str, ...],
    since: dt.date | None,
    until: dt.date | None,
    fmt: str,
    output: str | None,
) -> None:
    """Export every matching article (all columns but the raw HTML) as JSON lines or CSV.

    Takes the same QUERY and filters as `search`, but is complete (no ranking window, no page size)
    and streams in id order, so memory stays flat on a million articles. Progress goes to stderr when
    writing to a file. The file is written under a temporary name and renamed when complete.

    \b
    Example:
      newswatch export --source osce --since 2024-01-01 -o osce-2024.jsonl
      newswatch export 'water OR вода' --format csv > water.csv
    """
    filters = _filters(sources, languages, tags, since, until, topics, sections)
    target = Path(output) if output else None
    partial = target.with_name(target.name + ".partial") if target else None
    count = 0
    try:
        with app.read_sessions() as session:
            rows = iter_matching_articles(session, query, filters)
            first = next(rows, None)  # surfaces a QueryError before any file is created
            handle: IO[str] = partial.open("w", encoding="utf-8", newline="") if partial else sys.stdout
            try:
                count = _write_export(handle, fmt, first, rows, progress=partial is not None)
            finally:
                if partial:
                    handle.close()
    except QueryError as exc:
        _query_failed(exc)
        return
    except BaseException:
        if partial:
            partial.unlink(missing_ok=True)
        raise
    if partial and target:
        partial.replace(target)
        click.echo(f"\rexported {count:,} articles to {target}", err=True)


def _write_export(
    handle: IO[str], fmt: str, first: dict[str, Any] | None, rows: Iterable[dict[str, Any]], progress: bool
) -> int:
    writer = csv.DictWriter(handle, fieldnames=list(EXPORT_COLUMNS)) if fmt == "csv" else None
    if writer:
        writer.writeheader()
    count = 0
    if first is None:
        return 0
    for row in _chain(first, rows):
        line = _export_line(row)
        if writer:
            writer.writerow({k: ("; ".join(v) if isinstance(v, list) else v) for k, v in line.items()})
        else:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
        count += 1
        if progress and count % PROGRESS_EVERY == 0:
            click.echo(f"\rexported {count:,} articles", err=True, nl=False)
    return count


def _chain(first: dict[str, Any], rest: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    yield first
    yield from rest


# --- stats ---------------------------------------------------------------------------------------

STATS_COLUMNS = ["source", "articles", "newest_published", "last_crawl", "last_status"]


@click.command("stats")
@format_option("table", "json")
@pass_app
def stats_cmd(app: App, fmt: str) -> None:
    """Articles per source: how many, the newest publication date, and the last crawl and its status.

    \b
    Example:
      newswatch stats
      newswatch stats --format json
    """
    with app.read_sessions() as session:
        per_source = articles.per_source(session)
        runs = crawl_runs.latest_by_source(session, include_backfill=True)  # the run `status` shows too
    rows: dict[str, dict[str, Any]] = {}
    for source, count, newest_published in per_source:
        rows[source] = {"source": source, "articles": count, "newest_published": _iso(newest_published)}
    for source, run in runs.items():
        row = rows.setdefault(source, {"source": source, "articles": 0, "newest_published": None})
        row["last_crawl"] = _iso(run.finished_at or run.started_at)
        row["last_status"] = run.status
    ordered = [rows[key] for key in sorted(rows)]
    for row in ordered:
        row.setdefault("last_crawl", None)
        row.setdefault("last_status", None)
    if fmt == "json":
        emit_rows(ordered, "json", STATS_COLUMNS)
        return
    if not ordered:
        click.echo("the archive is empty")
        return
    table_rows = [
        {
            **row,
            "newest_published": (row["newest_published"] or "")[:10],
            "last_crawl": (row["last_crawl"] or "")[:16],
        }
        for row in ordered
    ]
    total = sum(row["articles"] for row in ordered)
    table_rows.append({"source": "(all)", "articles": total})
    emit_rows(table_rows, "table", STATS_COLUMNS)


commands: list[click.Command] = [search_cmd, show_cmd, export_cmd, stats_cmd]

__all__ = ["commands", "find_article"]
