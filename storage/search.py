"""Searching the archive on SQLite (FTS5) and PostgreSQL (tsvector), with one behaviour for users.

The user's text is parsed by ``storage.query`` and compiled per backend; filters are plain column
predicates so they use the article indexes, and tags go through the indexed ``article_tag`` table.

Why a "window": ranking every match by bm25 / ts_rank_cd is fine for a few thousand matches but a
common word can match half of a million-article archive, and scoring 500,000 rows takes seconds. So a
search first walks the newest ``WINDOW`` (2,000) + 1 matches (cheap: FTS5 walks its doclist
backwards by rowid; PostgreSQL uses the GIN index). Up to ``WINDOW`` matches ``total`` is exact; beyond
it ``total`` is estimated from the density of matches in that window (``total_is_estimate``). Relevance
scores are computed for at most the ``RANK_WINDOW`` (2,000) most recently stored matches, and "newest"
sorts at most the ``WINDOW`` most recent ones; when that cut applies the page says so
(``window_limited`` and a sentence in ``notes``). Queries with more than ``BM25_MAX_MATCHES`` (150,000)
estimated matches are not ranked at all but listed newest first (bm25 must count every document that
holds a term, which for "the" in a million articles costs more than the whole rest of the search).
For a news archive a recency bias on very broad queries is acceptable; a narrower query (another word,
a filter) is ranked exactly. The rules are the same on both backends, so they return the same pages.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, func, literal, select
from sqlalchemy.orm import Session

from storage.db import is_postgres
from storage.filter_values import UnknownFilterValue, check_filters
from storage.models import Article, ArticleTag
from storage.published import Published, published_of
from storage.query import Query, QueryError, parse_query
from storage.search_postgres import PostgresSearch
from storage.search_sqlite import FTS_ROWID, SqliteSearch, newest_of, tag_clauses
from storage.search_window import Window, id_range
from storage.snippets import Highlighter
from storage.tags import tag_key

__all__ = [
    "HIGHLIGHT_END",
    "HIGHLIGHT_START",
    "MAX_LIMIT",
    "MAX_OFFSET",
    "QueryError",
    "SearchFilters",
    "SearchHit",
    "SearchPage",
    "UnknownFilterValue",
    "matching_article_ids",
    "render_snippet",
    "iter_matching_articles",
    "search_articles",
]

HIGHLIGHT_START = "\x02"
HIGHLIGHT_END = "\x03"
MAX_LIMIT = 100
MAX_OFFSET = 10_000
WINDOW = 2_000  # matches counted exactly; beyond this counts are estimated
RANK_WINDOW = 2_000  # matches scored by bm25 / ts_rank_cd; beyond this the newest RANK_WINDOW are scored
BM25_MAX_MATCHES = 150_000  # more (estimated) matches than this are listed newest first, not ranked
COUNT_CAP = 10_000  # browse-mode counts stop here
SNIPPET_TOKENS = 32
BROWSE_SNIPPET_CHARS = 240


@dataclass(frozen=True)
class SearchFilters:
    """Restrictions besides the text. Values within one field are alternatives (any source listed)."""

    sources: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # any kind; matched by folded key (``storage.tags.tag_key``)
    # Calendar days, inclusive, compared with the publisher's day (``published_day``, in the source's
    # zone): "since 2024-10-01" includes an article dated only "1 October 2024" wherever the reader is.
    # A datetime is taken as the day it names.
    since: dt.date | None = None
    until: dt.date | None = None
    topics: tuple[str, ...] = ()  # tags of kind "topic" (OSCE fields of work)
    sections: tuple[str, ...] = ()  # tags of kind "section" (the sites' own categories)

    def tag_groups(self) -> list[tuple[tuple[str, ...], str | None]]:
        """The tag filters as (folded keys, kind) groups; every group must match."""
        groups: list[tuple[tuple[str, ...], str | None]] = []
        for values, kind in ((self.tags, None), (self.topics, "topic"), (self.sections, "section")):
            keys = tuple(dict.fromkeys(k for k in (tag_key(v) for v in values) if k))
            if keys:
                groups.append((keys, kind))
        return groups


@dataclass
class SearchHit:
    id: int
    url: str
    source: str
    title: str
    published_at: dt.datetime | None
    language: str | None
    tags: list[str]
    snippet: str  # matches wrapped in HIGHLIGHT_START / HIGHLIGHT_END; use render_snippet to show it
    score: float | None  # higher is better; the scale differs per backend; None unless ranked
    duplicate_of: int | None
    published_day: dt.date | None = None  # the publisher's calendar day
    published_precision: str | None = None  # "day" | "minute"

    @property
    def published(self) -> Published | None:
        return published_of(self.published_at, self.published_day, self.published_precision)


@dataclass
class SearchPage:
    hits: list[SearchHit]
    total: int
    offset: int
    limit: int
    total_is_estimate: bool = False
    window_limited: bool = False  # ranked/sorted only the most recently stored matches (see notes)
    notes: list[str] = field(default_factory=list)


def render_snippet(snippet: str, start: str, end: str, escape: Callable[[str], str] = lambda s: s) -> str:
    """Replace the highlight markers with ``start``/``end`` and escape everything else with ``escape``.

    Escaping piecewise means markup like ``<mark>`` survives while the article text is escaped, so
    ``render_snippet(s, "<mark>", "</mark>", html.escape)`` is safe for HTML.
    """
    out: list[str] = []
    inside = False
    for part in _split_markers(snippet):
        if part == HIGHLIGHT_START:
            if not inside:
                out.append(start)
                inside = True
        elif part == HIGHLIGHT_END:
            if inside:
                out.append(end)
                inside = False
        else:
            out.append(escape(part))
    if inside:
        out.append(end)
    return "".join(out)


def _split_markers(snippet: str) -> list[str]:
    parts: list[str] = []
    buf: list[str] = []
    for ch in snippet:
        if ch in (HIGHLIGHT_START, HIGHLIGHT_END):
            if buf:
                parts.append("".join(buf))
                buf = []
            parts.append(ch)
        else:
            buf.append(ch)
    if buf:
        parts.append("".join(buf))
    return parts


# --- shared pieces -------------------------------------------------------------------------------


def _is_pg(session: Session) -> bool:
    return is_postgres(session)


def calendar_day(value: dt.date | None) -> dt.date | None:
    """The day a filter bound names (a datetime counts as its own calendar day)."""
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _filter_clauses(filters: SearchFilters) -> list[ColumnElement[bool]]:
    """Column predicates for the filters, tags included (an EXISTS on article_tag keyed on article.id)."""
    return _article_clauses(filters) + tag_clauses(filters.tag_groups(), Article.id)


def _article_clauses(filters: SearchFilters) -> list[ColumnElement[bool]]:
    """The filters answered by article columns (everything but tags)."""
    clauses: list[ColumnElement[bool]] = []
    if filters.sources:
        clauses.append(Article.source.in_(list(filters.sources)))
    if filters.languages:
        clauses.append(Article.language.in_(list(filters.languages)))
    since = calendar_day(filters.since)
    until = calendar_day(filters.until)
    if since is not None:
        clauses.append(Article.published_day >= since)
    if until is not None:
        clauses.append(Article.published_day <= until)
    return clauses


def _newest_order(session: Session) -> list[Any]:
    if _is_pg(session):  # matches ix_article_published_desc (migration 0002)
        return [Article.published_at.desc().nulls_last(), Article.id.desc()]
    return [Article.published_at.desc(), Article.id.desc()]  # SQLite puts NULL last in DESC already


_Backend = SqliteSearch | PostgresSearch


def _backend(session: Session, query: Query) -> _Backend:
    return PostgresSearch(query) if _is_pg(session) else SqliteSearch(query)


def _matches(
    backend: _Backend, stmt: Select[Any], filters: SearchFilters, *, join: bool = False
) -> Select[Any]:
    """Restrict ``stmt`` (over Article on PostgreSQL, over article_fts on SQLite) to matching rows."""
    if isinstance(backend, PostgresSearch):
        return backend.matches(stmt, _filter_clauses(filters))
    return backend.matches(stmt, _article_clauses(filters), filters.tag_groups(), join=join)


def _limits(limit: int, offset: int) -> tuple[int, int]:
    if offset > MAX_OFFSET:
        raise QueryError(f"cannot page that deep (offset {offset}; at most {MAX_OFFSET}); narrow the search")
    return max(1, min(int(limit), MAX_LIMIT)), max(0, int(offset))


def _window(
    session: Session, backend: _Backend, filters: SearchFilters, sizes: tuple[int, int], scored: bool
) -> tuple[Window, tuple[int, int | None] | None]:
    """The window, and the filters' id range when it was needed to fetch it."""
    size, rank_size = sizes
    if isinstance(backend, PostgresSearch):  # ts_rank_cd has no IDF: scoring waits for the page
        ids = backend.fetch_window(session, _filter_clauses(filters), size + 1)
        return Window.from_rows([(id_, None) for id_ in ids], size, rank_size), None
    ids_allowed, bound = None, None
    if scored:
        # A window of size + 1 matches all above this id would be estimated at more than
        # BM25_MAX_MATCHES matches and not ranked: probe that cheaply before scoring.
        ids_allowed = id_range(session, filters.since, filters.until)
        bottom, top = ids_allowed
        if top is not None:
            bound = top - math.ceil(size * max(top - bottom, 1) / BM25_MAX_MATCHES)
    rows = backend.fetch_window(session, _article_clauses(filters), filters.tag_groups(), size + 1, bound)
    return Window.from_rows(rows, size, rank_size), ids_allowed


def search_articles(
    session: Session,
    text: str | None,
    filters: SearchFilters = SearchFilters(),  # noqa: B008 - frozen dataclass, safe as a default
    *,
    limit: int = 20,
    offset: int = 0,
    order: Literal["relevance", "newest"] = "relevance",
) -> SearchPage:
    """One page of articles matching ``text`` and ``filters``; a blank ``text`` lists the newest.

    Raises QueryError (a ValueError with a user-readable message) for queries that cannot run, and
    its subclass UnknownFilterValue for a source, language or tag no article has (naming close matches).
    """
    limit, offset = _limits(limit, offset)
    query = parse_query(text)
    check_filters(session, filters.sources, filters.languages, filters.tag_groups())
    if query is None:
        return _browse(session, filters, _filter_clauses(filters), limit, offset)
    backend = _backend(session, query)
    size = max(WINDOW, offset + limit)
    rank_size = max(RANK_WINDOW, offset + limit)
    window, ids_allowed = _window(session, backend, filters, (size, rank_size), order == "relevance")
    page = SearchPage(hits=[], total=window.count, offset=offset, limit=limit)
    if window.more:
        page.total = window.estimate_total(ids_allowed or id_range(session, filters.since, filters.until))
        page.total_is_estimate = True
        page.notes.append(f"more than {size:,} matches; the total is estimated")
    if not window.count or offset >= window.count:
        return page
    if order == "relevance" and page.total > BM25_MAX_MATCHES:
        # bm25's IDF alone walks the whole posting list of a very common term (50 ms for "the" in a
        # million articles) and says almost nothing about it: list such matches newest first.
        order = "newest"
        page.notes.append(
            f"about {page.total:,} matches: too common to rank by relevance, newest first; "
            "add words or filters to rank"
        )
    if order == "relevance":
        if window.rank_floor is not None:
            page.window_limited = True
            page.notes.append(
                f"ranked the {rank_size:,} most recently stored matches; add words or filters to narrow"
            )
        ranked: list[tuple[int, float | None]] = list(
            _ranked(session, backend, filters, window, limit, offset)
        )
    else:
        if window.count > 500 and window.floor is not None:
            page.window_limited = True
            page.notes.append(f"sorted the {size:,} most recently stored matches by date")
        ranked = [(id_, None) for id_ in _newest(session, backend, filters, window, limit, offset)]
    page.hits = _hydrate(session, backend, ranked)
    return page


def _ranked(
    session: Session, backend: _Backend, filters: SearchFilters, window: Window, limit: int, offset: int
) -> list[tuple[int, float]]:
    """One page of the rank window by score (then newest), as the database's ORDER BY would give it."""
    scored = window.scored()
    if scored is not None:
        scored.sort(key=lambda row: (-row[1], -row[0]))
        return scored[offset : offset + limit]
    to_rank = window.rank_ids()
    if isinstance(backend, PostgresSearch) and to_rank is not None:
        return backend.ranked_ids(session, to_rank, limit, offset)
    id_col = backend.id_column()
    score = backend.score().label("score")
    stmt = _matches(backend, backend.base(id_col, score), filters)
    if window.rank_floor is not None:
        stmt = stmt.where(id_col >= window.rank_floor)
    stmt = stmt.order_by(score.desc(), id_col.desc()).limit(limit).offset(offset)
    return [(row[0], float(row[1])) for row in session.execute(stmt)]


def _newest(
    session: Session, backend: _Backend, filters: SearchFilters, window: Window, limit: int, offset: int
) -> list[int]:
    """One page of the window's matches, newest published first."""
    order = _newest_order(session)
    if isinstance(backend, SqliteSearch):  # the window holds the ids themselves
        return newest_of(session, window.ids(), order, limit, offset)
    return backend.newest_of(session, window.ids(), order, limit, offset)


def _browse(
    session: Session, filters: SearchFilters, clauses: list[ColumnElement[bool]], limit: int, offset: int
) -> SearchPage:
    stmt = select(Article.id).where(*clauses).order_by(*_newest_order(session)).limit(limit).offset(offset)
    ids = list(session.scalars(stmt))
    groups = filters.tag_groups()
    if groups:
        # Count from the tag index outwards: scanning articles and probing tags would read a large
        # part of the archive before it found COUNT_CAP tagged articles.
        (keys, kind), *rest = groups
        others = _article_clauses(filters) + tag_clauses(rest, Article.id)
        counted = (
            select(ArticleTag.article_id)
            .where(ArticleTag.tag.in_(list(keys)), *([ArticleTag.kind == kind] if kind else []))
            .join(Article, Article.id == ArticleTag.article_id)
            .where(*others)
        )
        if len(keys) > 1:
            counted = counted.group_by(ArticleTag.article_id)
    else:
        counted = select(literal(1)).select_from(Article).where(*clauses)
    capped = counted.limit(COUNT_CAP + 1).subquery()
    total = session.scalar(select(func.count()).select_from(capped)) or 0
    page = SearchPage(hits=[], total=total, offset=offset, limit=limit)
    if total > COUNT_CAP:
        page.total = COUNT_CAP
        page.total_is_estimate = True
        page.notes.append(f"more than {COUNT_CAP:,} articles; the count stops there")
    page.hits = _hydrate(session, None, [(id_, None) for id_ in ids])
    return page


_HIT_COLUMNS = (
    Article.id,
    Article.url,
    Article.source,
    Article.title,
    Article.published_at,
    Article.published_day,
    Article.published_precision,
    Article.language,
    Article.tags,
    Article.duplicate_of,
)


def _hydrate(
    session: Session, backend: _Backend | None, ranked: Sequence[tuple[int, float | None]]
) -> list[SearchHit]:
    """Load the hit rows and their snippets in two queries, keeping the ranked order."""
    if not ranked:
        return []
    ids = [id_ for id_, _ in ranked]
    rows = {row.id: row for row in session.execute(select(*_HIT_COLUMNS).where(Article.id.in_(ids)))}
    snippets = _snippets(session, backend, ids)
    hits = []
    for id_, score in ranked:
        row = rows.get(id_)
        if row is None:  # deleted between the two queries
            continue
        hits.append(
            SearchHit(
                id=row.id,
                url=row.url,
                source=row.source,
                title=row.title,
                published_at=row.published_at,
                published_day=row.published_day,
                published_precision=row.published_precision,
                language=row.language,
                tags=list(row.tags or []),
                snippet=snippets.get(id_, ""),
                score=score,
                duplicate_of=row.duplicate_of,
            )
        )
    return hits


def _snippets(session: Session, backend: _Backend | None, ids: list[int]) -> dict[int, str]:
    if backend is None:
        text_col = func.coalesce(Article.summary, func.substr(Article.body, 1, BROWSE_SNIPPET_CHARS * 2))
        plain = session.execute(select(Article.id, text_col).where(Article.id.in_(ids)))
        return {id_: _clean(_shorten(value or "")) for id_, value in plain}
    marker = Highlighter.for_query(backend.query)
    rows = session.execute(select(Article.id, Article.body, Article.language).where(Article.id.in_(ids)))
    return {
        id_: " ".join(
            marker.snippet(body or "", lang, SNIPPET_TOKENS, HIGHLIGHT_START, HIGHLIGHT_END).split()
        )
        for id_, body, lang in rows
    }


def _shorten(value: str) -> str:
    value = " ".join(value.split())
    if len(value) <= BROWSE_SNIPPET_CHARS:
        return value
    cut = value.rfind(" ", 0, BROWSE_SNIPPET_CHARS)
    return value[: cut if cut > 0 else BROWSE_SNIPPET_CHARS] + " …"


def _clean(value: str) -> str:
    return value.replace(HIGHLIGHT_START, "").replace(HIGHLIGHT_END, "")


def matching_article_ids(
    session: Session, text: str | None, filters: SearchFilters, candidate_ids: Iterable[int]
) -> set[int]:
    """Which of ``candidate_ids`` match the query and filters (for alert subscriptions).

    One statement per 500 candidates. On SQLite the full-text scan is bounded to the candidates' id
    range, so checking a batch of new articles against a common word stays cheap.
    """
    candidates = sorted(set(candidate_ids))
    if not candidates:
        return set()
    query = parse_query(text)
    clauses = _filter_clauses(filters)
    backend = _backend(session, query) if query is not None else None
    found: set[int] = set()
    for start in range(0, len(candidates), 500):
        chunk = candidates[start : start + 500]
        if backend is None:
            stmt = select(Article.id).where(Article.id.in_(chunk), *clauses)
        elif isinstance(backend, PostgresSearch):
            stmt = _matches(backend, select(Article.id).where(Article.id.in_(chunk)), filters)
        else:
            stmt = _matches(
                backend, backend.base(FTS_ROWID).where(FTS_ROWID.between(chunk[0], chunk[-1])), filters
            )
        wanted = set(chunk)
        found.update(id_ for id_ in session.scalars(stmt) if id_ in wanted)
    return found


EXPORT_COLUMNS = (
    "id", "canonical_url", "url", "source", "title", "summary", "body", "published_at", "published_precision",
    "published_day", "modified_at",
    "first_seen_at", "language", "authors", "tags", "dateline", "content_type", "duplicate_of",
)  # fmt: skip


def matching_ids_newest_first(
    session: Session, query: Query | None, filters: SearchFilters, limit: int
) -> list[int]:
    """Ids of the most recently stored ``limit`` matches (for facets): the search window's own walk."""
    if query is None:
        stmt = select(Article.id).where(*_filter_clauses(filters)).order_by(Article.id.desc()).limit(limit)
        return list(session.scalars(stmt))
    backend = _backend(session, query)
    if isinstance(backend, PostgresSearch):
        return backend.fetch_window(session, _filter_clauses(filters), limit)
    rows = backend.fetch_window(session, _article_clauses(filters), filters.tag_groups(), limit, None)
    return [id_ for id_, _ in rows]


def iter_matching_articles(
    session: Session,
    text: str | None,
    filters: SearchFilters = SearchFilters(),  # noqa: B008 - frozen dataclass, safe as a default
    *,
    batch_size: int = 1000,
) -> Iterator[dict[str, Any]]:
    """Every matching article as a dict of ``EXPORT_COLUMNS``, in id order, streamed in batches.

    Rows come through ``yield_per`` (a server-side cursor on PostgreSQL, SQLite's stepping cursor),
    so memory stays flat however many articles match. No ranking and no window: exports are complete.
    """
    query = parse_query(text)
    check_filters(session, filters.sources, filters.languages, filters.tag_groups())
    clauses = _filter_clauses(filters)
    columns = [getattr(Article, name) for name in EXPORT_COLUMNS]
    stmt = select(*columns).where(*clauses)
    if query is not None:
        backend = _backend(session, query)
        if isinstance(backend, PostgresSearch):
            stmt = backend.matches(stmt, [])
        else:  # the id set from FTS5, then the wide rows in id order
            stmt = stmt.where(Article.id.in_(backend.matches(backend.base(FTS_ROWID), [], [])))
    stmt = stmt.order_by(Article.id).execution_options(yield_per=batch_size)
    for row in session.execute(stmt):
        yield dict(row._mapping)
