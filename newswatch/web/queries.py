"""The few reads the web layer makes besides search: one article, its duplicates, source health, weekly counts.

Search itself belongs to ``storage.search``; these are small, index-backed lookups that only the
pages and the API need, kept here so storage does not grow presentation-shaped queries.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Article, CrawlRun, SourceState
from storage.types import utcnow

RELATED_LIMIT = 50
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(slots=True)
class RelatedArticle:
    """Another report of the same story (a near-duplicate or the original it duplicates)."""

    id: int
    url: str
    source: str
    title: str
    published_at: dt.datetime | None
    is_original: bool


@dataclass(slots=True)
class SourceHealth:
    """How one source has been doing, from its last crawl run and its persisted state."""

    name: str
    label: str
    last_run_at: dt.datetime | None = None
    last_finished_at: dt.datetime | None = None
    last_status: str | None = None
    last_items_new: int | None = None
    last_errors: int | None = None
    consecutive_failures: int = 0
    last_success_at: dt.datetime | None = None

    @property
    def healthy(self) -> bool | None:
        if self.last_status is None:
            return None
        return self.last_status in {"ok", "running"} and self.consecutive_failures == 0

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "last_run": None
            if self.last_run_at is None
            else {
                "started_at": _iso(self.last_run_at),
                "finished_at": _iso(self.last_finished_at),
                "status": self.last_status,
                "items_new": self.last_items_new,
                "errors": self.last_errors,
            },
            "consecutive_failures": self.consecutive_failures,
            "last_success_at": _iso(self.last_success_at),
            "healthy": self.healthy,
        }


@dataclass(slots=True)
class WeeklyCounts:
    """Articles published per ISO week per source, over a window of consecutive weeks."""

    weeks: list[dt.date]  # Mondays, oldest first
    counts: dict[str, list[int]] = field(default_factory=dict)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def get_article(session: Session, article_id: int) -> Article | None:
    return session.get(Article, article_id)


def related_articles(session: Session, article: Article) -> list[RelatedArticle]:
    """Articles reporting the same story: its duplicates, or its original and the original's other duplicates.

    Two index lookups: an ``id = x OR duplicate_of = x`` predicate makes SQLite scan the whole table,
    which costs seconds on a million articles.
    """
    original_id = article.duplicate_of or article.id
    columns = (Article.id, Article.url, Article.source, Article.title, Article.published_at)
    is_duplicate = Article.duplicate_of == original_id
    if session.get_bind().dialect.name == "sqlite":
        # ANALYZE sees a column that is almost all NULL and estimates every lookup as a full scan;
        # unlikely() tells SQLite the match is rare, so it uses ix_article_duplicate_of.
        is_duplicate = func.unlikely(is_duplicate)
    duplicates = select(*columns).where(is_duplicate, Article.id != article.id)
    rows = list(session.execute(duplicates.limit(RELATED_LIMIT)).all())
    if article.duplicate_of:
        rows += session.execute(select(*columns).where(Article.id == original_id)).all()
    rows.sort(key=lambda row: (row[4] is None, row[4] or _EPOCH, row[0]))
    return [
        RelatedArticle(id_, url, source, title, published, is_original=id_ == original_id)
        for id_, url, source, title, published in rows[:RELATED_LIMIT]
    ]


def known_sources(session: Session, registry: dict[str, str]) -> dict[str, str]:
    """Registry sources plus any source that has crawl history (a source removed from the registry still shows)."""
    names = dict(registry)
    seen = [
        *session.scalars(select(CrawlRun.source).distinct()),
        *session.scalars(select(SourceState.source)),
    ]
    for name in sorted(set(seen)):
        names.setdefault(name, name)
    return dict(sorted(names.items()))


def source_health(session: Session, registry: dict[str, str]) -> list[SourceHealth]:
    """One row per known source with its latest run (by start time) and failure streak."""
    sources = known_sources(session, registry)
    health = {name: SourceHealth(name=name, label=label) for name, label in sources.items()}
    latest = (
        select(CrawlRun.source, func.max(CrawlRun.started_at).label("started"))
        .group_by(CrawlRun.source)
        .subquery()
    )
    runs = session.execute(
        select(CrawlRun)
        .join(latest, (CrawlRun.source == latest.c.source) & (CrawlRun.started_at == latest.c.started))
        .order_by(CrawlRun.id)
    ).scalars()
    for run in runs:
        row = health[run.source]
        row.last_run_at, row.last_finished_at, row.last_status = run.started_at, run.finished_at, run.status
        row.last_items_new, row.last_errors = run.items_new, run.errors
    for state in session.scalars(select(SourceState)):
        row = health[state.source]
        row.consecutive_failures, row.last_success_at = state.consecutive_failures, state.last_success_at
    return list(health.values())


def _day_expression(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", Article.published_at), "YYYY-MM-DD")
    return func.strftime("%Y-%m-%d", Article.published_at)


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def weekly_counts(session: Session, weeks: int = 12, now: dt.datetime | None = None) -> WeeklyCounts:
    """Articles per week per source for the ``weeks`` weeks up to the newest article (not after today).

    Counting per day in SQL over an indexed date range keeps this cheap on a large archive; days are
    folded into Monday-based weeks here because week numbering differs between the backends.
    """
    now = now or utcnow()
    newest = session.scalar(select(func.max(Article.published_at)).where(Article.published_at <= now))
    end = _monday((newest or now).date())
    first = end - dt.timedelta(weeks=weeks - 1)
    mondays = [first + dt.timedelta(weeks=i) for i in range(weeks)]
    start = dt.datetime.combine(first, dt.time.min, tzinfo=dt.UTC)
    stop = dt.datetime.combine(end + dt.timedelta(days=7), dt.time.min, tzinfo=dt.UTC)
    day = _day_expression(session)
    rows = session.execute(
        select(Article.source, day, func.count())
        .where(Article.published_at >= start, Article.published_at < stop)
        .group_by(Article.source, day)
    )
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * weeks)
    for source, day_text, count in rows:
        index = (_monday(dt.date.fromisoformat(day_text)) - first).days // 7
        if 0 <= index < weeks:
            counts[source][index] += count
    return WeeklyCounts(weeks=mondays, counts=dict(sorted(counts.items())))
