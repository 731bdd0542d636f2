"""The PostgreSQL (tsvector) half of ``storage.search``: match, window, score and headlines.

``article.search_vector`` is a generated tsvector under a GIN index (migrations 0001/0002); the query is
``to_tsquery('simple', :q)`` with ``:q`` built by ``storage.query.to_tsquery`` and sent bound.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, any_, func, literal, literal_column, select
from sqlalchemy.orm import Session

from storage.models import Article
from storage.query import Query, to_tsquery

# ts_rank_cd weights {D, C, B, A} (migration 0005: A/B title/body stems, C/D title/body as written):
# title 10x body, as bm25's weights on SQLite.
TS_RANK_WEIGHTS = "{0.1, 1.0, 0.1, 1.0}"
_SEARCH_VECTOR: ColumnElement[Any] = literal_column("article.search_vector")


# The PostgreSQL dialect is imported where a statement needs its types, not with this module: on SQLite,
# loading it was a fifth of the start-up of `newswatch search` (issue 15). On PostgreSQL the engine has
# loaded it already.
def _tsquery(expression: str) -> Any:
    from sqlalchemy.dialects.postgresql import REGCONFIG

    return func.to_tsquery(literal("simple", type_=REGCONFIG), literal(expression))


def _id_array(ids: list[int]) -> Any:
    from sqlalchemy.dialects.postgresql import ARRAY

    return literal(ids, type_=ARRAY(Integer))


class PostgresSearch:
    """The tsquery SQL for one parsed query."""

    pg = True

    def __init__(self, query: Query) -> None:
        self.query = query
        self.expression = to_tsquery(query)
        self.has_phrase = any(len(term.tokens) > 1 for term in query.positive_terms())

    def matches(self, stmt: Select[Any], clauses: list[ColumnElement[bool]]) -> Select[Any]:
        """Restrict a statement over Article to matching rows (``clauses``: the filters, tags too)."""
        return stmt.where(_SEARCH_VECTOR.op("@@")(_tsquery(self.expression)), *clauses)

    def id_column(self) -> Any:
        return Article.id

    def base(self, *columns: Any) -> Select[Any]:
        return select(*columns)

    def score(self) -> Any:
        weights = literal(TS_RANK_WEIGHTS).op("::")(literal_column("real[]"))
        return func.ts_rank_cd(weights, _SEARCH_VECTOR, _tsquery(self.expression), 1)

    def fetch_window(self, session: Session, clauses: list[ColumnElement[bool]], rows: int) -> list[int]:
        """The newest ``rows`` matching ids, newest first."""
        return list(session.scalars(self._probe(clauses).limit(rows)))

    def ranked_ids(
        self, session: Session, ids: list[int], limit: int, offset: int
    ) -> list[tuple[int, float]]:
        """One page of ``ids`` (all known to match) by score, then newest.

        Looking the ids up by primary key reads each vector once, where re-running the match over
        the window's id range would read (and for phrases recheck) every matching row again.
        """
        score = self.score().label("score")
        stmt = select(Article.id, score).where(Article.id == any_(_id_array(ids)))
        stmt = stmt.order_by(score.desc(), Article.id.desc()).limit(limit).offset(offset)
        return [(id_, float(value)) for id_, value in session.execute(stmt)]

    def newest_of(
        self, session: Session, ids: list[int], order: list[Any], limit: int, offset: int
    ) -> list[int]:
        """Sort known matching ids newest first (one array parameter)."""
        stmt = select(Article.id).where(Article.id == any_(_id_array(ids)))
        return list(session.scalars(stmt.order_by(*order).limit(limit).offset(offset)))

    def _probe(self, clauses: list[ColumnElement[bool]]) -> Select[Any]:
        order = Article.id.desc()
        if self.has_phrase:
            # PostgreSQL underestimates how rare a phrase is and would walk the primary key backwards,
            # checking every row's vector; "+ 0" makes it take the GIN index and sort the few matches.
            order = (Article.id + 0).desc()
        return self.matches(select(Article.id.label("id")), clauses).order_by(order)
