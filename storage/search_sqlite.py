"""The SQLite (FTS5) half of ``storage.search``: match, window, score, newest-first sort and snippets.

``article_fts`` is an external-content FTS5 table over ``article`` (migration 0001); filters on article
columns join ``article`` through the covering index ``ix_article_search_filter`` (migration 0002) and
tags are checked against the indexed ``article_tag`` table by the FTS rowid.

Why the window is fetched with its scores: bm25 must first count every document holding each phrase
(its IDF), a walk as long as the phrase's whole posting list, and a second statement that scores the
window would walk the same matches again. So a ranked search reads the newest matches once, with bm25
computed on them, and sorts the few thousand rows itself; the scores and the order are those of FTS5's
``ORDER BY bm25``. For a very common query the IDF walk is the expensive part and the page will not be
ranked anyway, so a cheap probe of the newest ids comes first (see ``fetch_window``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, column, exists, func, literal_column, select, table
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from storage.models import Article, ArticleTag
from storage.query import Query, to_fts5

# bm25 weights per FTS5 column (title, body, title_stems, body_stems; migration 0005): title 10x body.
BM25_WEIGHTS = (10.0, 1.0, 10.0, 1.0)

_FTS = table("article_fts", column("rowid"))
FTS_ROWID = _FTS.c.rowid


# Tag filters: groups of folded tag keys, each with the kind it must have (None: any kind). An article
# passes a group when one of its tags is in the group, and passes the filter when it passes every group.
TagGroups = Sequence[tuple[Sequence[str], str | None]]


def tag_clauses(groups: TagGroups, id_col: Any) -> list[ColumnElement[bool]]:
    """One EXISTS on the indexed article_tag table per group, for the article with id ``id_col``."""
    clauses: list[ColumnElement[bool]] = []
    for keys, kind in groups:
        where = [ArticleTag.article_id == id_col, ArticleTag.tag.in_(list(keys))]
        if kind is not None:
            where.append(ArticleTag.kind == kind)
        clauses.append(exists().where(*where))
    return clauses


def _fts_match(expression: str) -> ColumnElement[bool]:
    return sql_text("article_fts MATCH :fts_query").bindparams(fts_query=expression)  # type: ignore[return-value]


class SqliteSearch:
    """The FTS5 SQL for one parsed query."""

    pg = False

    def __init__(self, query: Query) -> None:
        self.query = query
        self.expression = to_fts5(query)

    def matches(
        self,
        stmt: Select[Any],
        columns: list[ColumnElement[bool]],
        tags: TagGroups,
        *,
        join: bool = False,
    ) -> Select[Any]:
        """Restrict a statement over article_fts to matching rows.

        The article row is joined only when a filter needs one of its columns (or the caller asks);
        a tag filter alone is checked against article_tag by the FTS rowid.
        """
        stmt = stmt.where(_fts_match(self.expression))
        if tags:
            stmt = stmt.where(*tag_clauses(tags, FTS_ROWID))
        if columns or join:
            stmt = stmt.join(Article, Article.id == FTS_ROWID).where(*columns)
        return stmt

    def id_column(self) -> Any:
        return FTS_ROWID

    def base(self, *columns: Any) -> Select[Any]:
        return select(*columns).select_from(_FTS)

    def score(self) -> Any:
        return -func.bm25(literal_column("article_fts"), *BM25_WEIGHTS)

    def fetch_window(
        self,
        session: Session,
        columns: list[ColumnElement[bool]],
        tags: TagGroups,
        rows: int,
        scored_unless_newer_than: int | None,
    ) -> list[tuple[int, float | None]]:
        """The newest ``rows`` matches as (id, score), newest first; score None when not scored.

        With ``scored_unless_newer_than`` the matches are scored, unless ``rows`` of them have ids
        above it: a query that common will not be ranked, and a probe bounded to those ids is cheap
        where bm25's IDF would walk the whole posting list. Either way the ids are the same.
        """
        probe = self.matches(self.base(FTS_ROWID), columns, tags).order_by(FTS_ROWID.desc()).limit(rows)
        if scored_unless_newer_than is None:
            return [(id_, None) for id_ in session.scalars(probe)]
        newest = list(session.scalars(probe.where(FTS_ROWID > scored_unless_newer_than)))
        if len(newest) == rows:
            return [(id_, None) for id_ in newest]
        scored = self.matches(self.base(FTS_ROWID, self.score()), columns, tags)
        stmt = scored.order_by(FTS_ROWID.desc()).limit(rows)
        return [(id_, float(score)) for id_, score in session.execute(stmt)]


def newest_of(session: Session, ids: list[int], order: list[Any], limit: int, offset: int) -> list[int]:
    """Sort known matching ids newest first from the covering filter index (one JSON parameter)."""
    listed: Select[Any] = select(literal_column("value")).select_from(func.json_each(json.dumps(ids)))
    stmt = select(Article.id).where(Article.id.in_(listed))
    return list(session.scalars(stmt.order_by(*order).limit(limit).offset(offset)))
