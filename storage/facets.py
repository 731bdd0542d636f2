"""Facets: how the current search's matches split by source, language, field of work and month.

Counted from the same full-text index and filters as the search itself (``storage.search``), over the
newest ``FACET_SAMPLE`` matches (2,000, found by walking the index backwards by id, as the search window
does). A narrow search is counted exactly; for a broad one ("the", a whole year) the counts describe its
most recently stored 2,000 matches and say so (``estimated``): counting every match of a common word in
a million articles would cost seconds, and a reader choosing a filter needs the proportions, which the
newest matches show well for a news archive.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, any_, literal, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql import func

from storage.db import is_postgres
from storage.filter_values import check_filters
from storage.models import Article, ArticleTag
from storage.query import QueryError, parse_query
from storage.search import SearchFilters, matching_ids_newest_first

FACETS = ("source", "language", "topic", "month")
FACET_SAMPLE = 2_000  # the search window's size: broad searches count the same newest matches
FACET_VALUES = 20  # values shown per facet, most frequent first (months: newest first)


@dataclass
class FacetCounts:
    """``counts[name]`` = [(value, articles), ...]; ``estimated`` when only a sample was counted."""

    counts: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    matches_counted: int = 0
    estimated: bool = False
    note: str | None = None


def parse_facet_names(text: str | None) -> tuple[str, ...]:
    """``"source,month"`` → ("source", "month"); unknown names are a QueryError listing the valid ones."""
    names = tuple(dict.fromkeys(n.strip().lower() for n in (text or "").split(",") if n.strip()))
    unknown = [n for n in names if n not in FACETS]
    if unknown:
        raise QueryError(f"unknown facet {unknown[0][:40]!r}; facets are {', '.join(FACETS)}")
    return names


def _month(session: Session) -> Any:
    """YYYY-MM of published_at (UTC) as SQL: SQLite stores UTC text, PostgreSQL a timestamptz."""
    if is_postgres(session):
        return func.to_char(func.timezone("UTC", Article.published_at), "YYYY-MM")
    return func.substr(literal_column("article.published_at"), 1, 7)


def _ids_clause(session: Session, ids: list[int], column: Any) -> Any:
    if is_postgres(session):
        return column == any_(literal(ids, type_=ARRAY(Integer)))
    return column.in_(select(literal_column("value")).select_from(func.json_each(json.dumps(ids))))


def facet_counts(
    session: Session,
    text: str | None,
    filters: SearchFilters = SearchFilters(),  # noqa: B008 - frozen dataclass, safe as a default
    names: tuple[str, ...] = FACETS,
) -> FacetCounts:
    """The facets ``names`` for a search (``text`` None or blank: the filters alone)."""
    result = FacetCounts()
    if not names:
        return result
    check_filters(session, filters.sources, filters.languages, filters.tag_groups())
    ids = matching_ids_newest_first(session, parse_query(text), filters, FACET_SAMPLE + 1)
    if len(ids) > FACET_SAMPLE:
        ids = ids[:FACET_SAMPLE]
        result.estimated = True
        result.note = f"counted over the newest {FACET_SAMPLE:,} matches (estimated)"
    result.matches_counted = len(ids)
    if not ids:
        result.counts = {name: [] for name in names}
        return result
    counters: dict[str, Counter[str]] = {name: Counter() for name in names}
    if {"source", "language", "month"} & set(names):
        # Grouped in SQL over the covering index (id, published_at, source, language) of migration 0002:
        # the wide article rows (bodies in overflow pages) are never read.
        month = _month(session)
        stmt = (
            select(Article.source, Article.language, month, func.count())
            .where(_ids_clause(session, ids, Article.id))
            .group_by(Article.source, Article.language, month)
        )
        for source, language, month_value, n in session.execute(stmt):
            counters.get("source", Counter())[source] += n
            if language:
                counters.get("language", Counter())[language] += n
            if month_value:
                counters.get("month", Counter())[month_value] += n
    if "topic" in names:
        stmt = (
            select(ArticleTag.tag, func.count())
            .where(_ids_clause(session, ids, ArticleTag.article_id), ArticleTag.kind == "topic")
            .group_by(ArticleTag.tag)
        )
        counters["topic"].update({tag: int(n) for tag, n in session.execute(stmt)})
    for name in names:
        counter = counters[name]
        if name == "month":
            result.counts[name] = sorted(counter.items(), reverse=True)[:FACET_VALUES]
        else:
            result.counts[name] = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:FACET_VALUES]
    return result
