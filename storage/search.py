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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Select,
    case,
    column,
    exists,
    func,
    literal,
    literal_column,
    select,
    table,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlalchemy.orm import Session

from storage.models import Article, ArticleTag
from storage.query import Query, QueryError, parse_query, to_fts5, to_tsquery

__all__ = [
    "HIGHLIGHT_END",
    "HIGHLIGHT_START",
    "MAX_LIMIT",
    "MAX_OFFSET",
    "QueryError",
    "SearchFilters",
    "SearchHit",
    "SearchPage",
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
SQLITE_FILTER_INDEX = "INDEXED BY ix_article_search_filter"  # migration 0002
COUNT_CAP = 10_000  # browse-mode counts stop here
SNIPPET_TOKENS = 32
BROWSE_SNIPPET_CHARS = 240
# bm25 weights per FTS5 column (title, body) and ts_rank_cd weights {D, C, B, A}: title 10x body.
BM25_WEIGHTS = (10.0, 1.0)
TS_RANK_WEIGHTS = "{0.1, 0.1, 0.1, 1.0}"
HEADLINE_OPTIONS = (
    f'StartSel="{HIGHLIGHT_START}", StopSel="{HIGHLIGHT_END}", MaxWords=35, MinWords=15, '
    'ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "'
)


@dataclass(frozen=True)
class SearchFilters:
    """Restrictions besides the text. Values within one field are alternatives (any source listed)."""

    sources: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    since: dt.datetime | None = None  # on published_at, aware UTC, inclusive
    until: dt.datetime | None = None  # on published_at, aware UTC, inclusive


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
    return session.get_bind().dialect.name == "postgresql"


def _aware(value: dt.datetime | None, name: str) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        raise QueryError(f"{name} must be a timezone-aware date and time")
    return value


def _filter_clauses(filters: SearchFilters, id_col: Any = None) -> list[ColumnElement[bool]]:
    """Column predicates for the filters; the tag test is keyed on ``id_col`` (default article.id)."""
    clauses = _article_clauses(filters)
    if filters.tags:
        clauses.append(_tag_clause(filters, Article.id if id_col is None else id_col))
    return clauses


def _tag_clause(filters: SearchFilters, id_col: Any) -> ColumnElement[bool]:
    return exists().where(ArticleTag.article_id == id_col, ArticleTag.tag.in_(list(filters.tags)))


def _article_clauses(filters: SearchFilters) -> list[ColumnElement[bool]]:
    """The filters answered by article columns (everything but tags)."""
    clauses: list[ColumnElement[bool]] = []
    if filters.sources:
        clauses.append(Article.source.in_(list(filters.sources)))
    if filters.languages:
        clauses.append(Article.language.in_(list(filters.languages)))
    since = _aware(filters.since, "since")
    until = _aware(filters.until, "until")
    if since is not None:
        clauses.append(Article.published_at >= since)
    if until is not None:
        clauses.append(Article.published_at <= until)
    return clauses


def _newest_order(session: Session) -> list[Any]:
    if _is_pg(session):  # matches ix_article_published_desc (migration 0002)
        return [Article.published_at.desc().nulls_last(), Article.id.desc()]
    return [Article.published_at.desc(), Article.id.desc()]  # SQLite puts NULL last in DESC already


_FTS = table("article_fts", column("rowid"))
_FTS_ROWID = _FTS.c.rowid


def _fts_match(expression: str) -> ColumnElement[bool]:
    return sql_text("article_fts MATCH :fts_query").bindparams(fts_query=expression)  # type: ignore[return-value]


_SEARCH_VECTOR: ColumnElement[Any] = literal_column("article.search_vector")


def _tsquery(expression: str) -> Any:
    return func.to_tsquery(literal("simple", type_=REGCONFIG), literal(expression))


class _Backend:
    """The backend-specific SQL for one parsed query."""

    def __init__(self, session: Session, query: Query) -> None:
        self.pg = _is_pg(session)
        self.expression = to_tsquery(query) if self.pg else to_fts5(query)
        terms = (*query.positive_terms(), *query.excluded)
        self.has_prefix = any(term.prefix for term in terms)
        self.has_phrase = any(len(term.tokens) > 1 for term in query.positive_terms())

    def matches(self, stmt: Select[Any], filters: SearchFilters, *, join: bool = False) -> Select[Any]:
        """Restrict a statement over Article (or over article_fts on SQLite) to matching rows.

        On SQLite the article row is joined only when a filter needs one of its columns (or the
        caller asks); a tag filter alone is checked against article_tag by the FTS rowid.
        """
        if self.pg:
            return stmt.where(_SEARCH_VECTOR.op("@@")(_tsquery(self.expression)), *_filter_clauses(filters))
        stmt = stmt.where(_fts_match(self.expression))
        if filters.tags:
            stmt = stmt.where(_tag_clause(filters, _FTS_ROWID))
        columns = _article_clauses(filters)
        if columns or join:
            stmt = stmt.join(Article, Article.id == _FTS_ROWID).where(*columns)
            stmt = stmt.with_hint(Article, SQLITE_FILTER_INDEX, "sqlite")
        return stmt

    def id_column(self) -> Any:
        return Article.id if self.pg else _FTS_ROWID

    def base(self, *columns: Any) -> Select[Any]:
        return select(*columns) if self.pg else select(*columns).select_from(_FTS)

    def score(self) -> Any:
        if self.pg:
            weights = literal(TS_RANK_WEIGHTS).op("::")(literal_column("real[]"))
            return func.ts_rank_cd(weights, _SEARCH_VECTOR, _tsquery(self.expression), 1)
        return -func.bm25(literal_column("article_fts"), *BM25_WEIGHTS)


class _Window:
    """Counts and cut-off ids from the newest ``size`` + 1 matches, in one pass inside the database."""

    def __init__(
        self, session: Session, backend: _Backend, filters: SearchFilters, size: int, rank_size: int
    ):
        self.session, self.size = session, size
        id_col = backend.id_column()
        order = id_col.desc()
        if backend.pg and backend.has_phrase:
            # PostgreSQL underestimates how rare a phrase is and would walk the primary key backwards,
            # checking every row's vector; "+ 0" makes it take the GIN index and sort the few matches.
            order = (id_col + 0).desc()
        self.probe = backend.matches(backend.base(id_col.label("id")), filters).order_by(order)
        newest_first = self.probe.limit(size + 1).subquery()  # the LIMIT applies before numbering
        rank = func.row_number().over(order_by=newest_first.c.id.desc()).label("rn")
        inner = select(newest_first.c.id, rank).subquery()
        count, newest, rank_floor, floor = session.execute(
            select(
                func.count(),
                func.max(inner.c.id),
                func.min(inner.c.id).filter(inner.c.rn <= rank_size),
                func.min(inner.c.id).filter(inner.c.rn <= size),
            )
        ).one()
        self.count = min(int(count or 0), size)
        self.more = int(count or 0) > size
        self.newest = newest
        self.rank_floor = rank_floor if int(count or 0) > rank_size else None  # lowest id to score
        self.floor = floor if self.more else None  # lowest id of the window

    def ids(self) -> list[int]:
        return list(self.session.scalars(self.probe.limit(self.size)))

    def estimate_total(self, filters: SearchFilters) -> int:
        """Matches in [window floor, newest match] scaled to the id range the filters allow.

        Ids grow with arrival time, so a date filter narrows the range: its ends are taken from the
        first and last article published inside the dates (one index seek each). Backfilled articles
        make this approximate, which is why the page says ``total_is_estimate``.
        """
        top = self.session.scalar(select(func.max(Article.id))) or self.newest
        bottom = 0
        if filters.since is not None:
            first = select(Article.id).where(Article.published_at >= filters.since)
            bottom = self.session.scalar(first.order_by(Article.published_at).limit(1)) or 0
        if filters.until is not None:
            last = select(Article.id).where(Article.published_at <= filters.until)
            top = self.session.scalar(last.order_by(Article.published_at.desc()).limit(1)) or top
        span = max(self.newest - (self.floor or 0) + 1, 1)
        return max(self.size + 1, round(self.size * max(top - bottom, span) / span))


def _limits(limit: int, offset: int) -> tuple[int, int]:
    if offset > MAX_OFFSET:
        raise QueryError(f"cannot page that deep (offset {offset}; at most {MAX_OFFSET}); narrow the search")
    return max(1, min(int(limit), MAX_LIMIT)), max(0, int(offset))


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

    Raises QueryError (a ValueError with a user-readable message) for queries that cannot run.
    """
    limit, offset = _limits(limit, offset)
    query = parse_query(text)
    clauses = _filter_clauses(filters)
    if query is None:
        return _browse(session, filters, clauses, limit, offset)
    backend = _Backend(session, query)
    size = max(WINDOW, offset + limit)
    rank_size = max(RANK_WINDOW, offset + limit)
    window = _Window(session, backend, filters, size, rank_size)
    page = SearchPage(hits=[], total=window.count, offset=offset, limit=limit)
    if window.more:
        page.total = window.estimate_total(filters)
        page.total_is_estimate = True
        page.notes.append(f"more than {size:,} matches; the total is estimated")
    if not window.count or offset >= window.count:
        return page
    id_col = backend.id_column()
    if order == "relevance" and page.total > BM25_MAX_MATCHES:
        # bm25's IDF alone walks the whole posting list of a very common term (50 ms for "the" in a
        # million articles) and says almost nothing about it: list such matches newest first.
        order = "newest"
        page.notes.append(
            f"about {page.total:,} matches: too common to rank by relevance, newest first; "
            "add words or filters to rank"
        )
    if order == "relevance":
        floor = window.rank_floor
        if floor is not None:
            page.window_limited = True
            page.notes.append(
                f"ranked the {rank_size:,} most recently stored matches; add words or filters to narrow"
            )
        score = backend.score().label("score")
        stmt = backend.matches(backend.base(id_col, score), filters)
        if floor is not None:
            stmt = stmt.where(id_col >= floor)
        stmt = stmt.order_by(score.desc(), id_col.desc()).limit(limit).offset(offset)
        ranked: list[tuple[int, float | None]] = [(row[0], float(row[1])) for row in session.execute(stmt)]
    else:
        if window.count <= 500:  # few matches: sort the ids themselves
            stmt = select(Article.id).where(Article.id.in_(window.ids()))
        else:
            stmt = backend.matches(backend.base(Article.id), filters, join=True)
            if window.floor is not None:
                page.window_limited = True
                page.notes.append(f"sorted the {size:,} most recently stored matches by date")
                stmt = stmt.where(id_col >= window.floor)
        stmt = stmt.order_by(*_newest_order(session)).limit(limit).offset(offset)
        ranked = [(id_, None) for id_ in session.scalars(stmt)]
    page.hits = _hydrate(session, backend, ranked)
    return page


def _browse(
    session: Session, filters: SearchFilters, clauses: list[ColumnElement[bool]], limit: int, offset: int
) -> SearchPage:
    stmt = select(Article.id).where(*clauses).order_by(*_newest_order(session)).limit(limit).offset(offset)
    ids = list(session.scalars(stmt))
    if filters.tags:
        # Count from the tag index outwards: scanning articles and probing tags would read a large
        # part of the archive before it found COUNT_CAP tagged articles.
        others = _filter_clauses(replace(filters, tags=()))
        counted = (
            select(ArticleTag.article_id)
            .where(ArticleTag.tag.in_(list(filters.tags)))
            .join(Article, Article.id == ArticleTag.article_id)
            .where(*others)
            .with_hint(Article, SQLITE_FILTER_INDEX, "sqlite")
        )
        if len(filters.tags) > 1:
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
    if backend.pg:
        headline = func.ts_headline(
            literal("simple", type_=REGCONFIG), Article.body, _tsquery(backend.expression), HEADLINE_OPTIONS
        )
        rows: Iterable[Any] = session.execute(select(Article.id, headline).where(Article.id.in_(ids)))
    else:
        snippet: Any = func.snippet(
            literal_column("article_fts"), 1, HIGHLIGHT_START, HIGHLIGHT_END, "…", SNIPPET_TOKENS
        )
        stmt = select(_FTS_ROWID).select_from(_FTS).where(_fts_match(backend.expression))
        if backend.has_prefix:
            # FTS5 expands a prefix afresh for every rowid looked up, so instead walk the hits' id
            # range once and compute snippets only for the hits.
            stmt = stmt.where(_FTS_ROWID.between(min(ids), max(ids)))
            snippet = case((_FTS_ROWID.in_(ids), snippet), else_=None)
        else:
            stmt = stmt.where(_FTS_ROWID.in_(ids))
        wanted = set(ids)
        rows = (row for row in session.execute(stmt.add_columns(snippet)) if row[0] in wanted)
    return {id_: " ".join((value or "").split()) for id_, value in rows}


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
    backend = _Backend(session, query) if query is not None else None
    found: set[int] = set()
    for start in range(0, len(candidates), 500):
        chunk = candidates[start : start + 500]
        if backend is None:
            stmt = select(Article.id).where(Article.id.in_(chunk), *clauses)
        elif backend.pg:
            stmt = backend.matches(select(Article.id).where(Article.id.in_(chunk)), filters)
        else:
            stmt = select(_FTS_ROWID).select_from(_FTS).where(_FTS_ROWID.between(chunk[0], chunk[-1]))
            stmt = backend.matches(stmt, filters)
        wanted = set(chunk)
        found.update(id_ for id_ in session.scalars(stmt) if id_ in wanted)
    return found


EXPORT_COLUMNS = (
    "id", "canonical_url", "url", "source", "title", "summary", "body", "published_at", "modified_at",
    "first_seen_at", "language", "authors", "tags", "dateline", "content_type", "duplicate_of",
)  # fmt: skip


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
    clauses = _filter_clauses(filters)
    columns = [getattr(Article, name) for name in EXPORT_COLUMNS]
    stmt = select(*columns).where(*clauses)
    if query is not None:
        backend = _Backend(session, query)
        if backend.pg:
            stmt = backend.matches(stmt, SearchFilters())
        else:  # the id set from FTS5, then the wide rows in id order
            stmt = stmt.where(Article.id.in_(backend.matches(backend.base(_FTS_ROWID), SearchFilters())))
    stmt = stmt.order_by(Article.id).execution_options(yield_per=batch_size)
    for row in session.execute(stmt):
        yield dict(row._mapping)
