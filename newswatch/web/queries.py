"""The few reads the web layer makes besides search: one article, its duplicates, source health, weekly counts.

Search itself belongs to ``storage.search`` and every statement to ``storage``; this module shapes
what those small, index-backed lookups return into what the pages and the API show.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from scheduler.health import articles_seen, fallback_rate
from scheduler.health import source_health as run_health
from storage import articles, crawl_runs, source_state
from storage.db import Session
from storage.models import Article
from storage.published import Published, published_of
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
    published_day: dt.date | None = None
    published_precision: str | None = None

    @property
    def published(self) -> Published | None:
        return published_of(self.published_at, self.published_day, self.published_precision)


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
    note: str | None = None  # the discovery ladder's "degraded: ..." and/or "site parser failing: ..."
    fallback_rate: float | None = None

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
            "note": self.note,
            "fallback_rate": self.fallback_rate,
        }


@dataclass(slots=True)
class WeeklyCounts:
    """Articles published per ISO week per source, over a window of consecutive weeks."""

    weeks: list[dt.date]  # Mondays, oldest first
    counts: dict[str, list[int]] = field(default_factory=dict)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def get_article(session: Session, article_id: int) -> Article | None:
    return articles.get(session, article_id)


def related_articles(session: Session, article: Article) -> list[RelatedArticle]:
    """Articles reporting the same story: its duplicates, or its original and the original's other duplicates."""
    original_id, rows = articles.same_story(session, article, RELATED_LIMIT)
    rows.sort(key=lambda row: (row[4] is None, row[4] or _EPOCH, row[0]))
    return [
        RelatedArticle(id_, url, source, title, published, id_ == original_id, day, precision)
        for id_, url, source, title, published, day, precision in rows[:RELATED_LIMIT]
    ]


def known_sources(session: Session, registry: dict[str, str]) -> dict[str, str]:
    """Registry sources plus any source that has crawl history (a source removed from the registry still shows)."""
    names = dict(registry)
    for name in sorted(crawl_runs.sources_with_history(session)):
        names.setdefault(name, name)
    return dict(sorted(names.items()))


def source_health(session: Session, registry: dict[str, str]) -> list[SourceHealth]:
    """One row per known source with its latest run (backfills included, as in ``newswatch status``) and
    failure streak."""
    sources = known_sources(session, registry)
    health = {name: SourceHealth(name=name, label=label) for name, label in sources.items()}
    for run in crawl_runs.latest_by_source(session, include_backfill=True).values():
        row = health[run.source]
        row.last_run_at, row.last_finished_at, row.last_status = run.started_at, run.finished_at, run.status
        row.last_items_new, row.last_errors = run.items_new, run.errors
        seen = articles_seen(run)
        row.note = run_health(run.log_excerpt, run.fallbacks or 0, seen)
        row.fallback_rate = fallback_rate(run.fallbacks or 0, seen)
    for state in source_state.states(session).values():
        row = health[state.source]
        row.consecutive_failures, row.last_success_at = state.consecutive_failures, state.last_success_at
    return list(health.values())


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def weekly_counts(session: Session, weeks: int = 12, now: dt.datetime | None = None) -> WeeklyCounts:
    """Articles per week per source for the ``weeks`` weeks up to the newest article (not after today).

    Counting per day in SQL over an indexed date range keeps this cheap on a large archive; days are
    folded into Monday-based weeks here because week numbering differs between the backends.
    """
    now = now or utcnow()
    newest = articles.newest_published(session, not_after=now)
    end = _monday((newest or now).date())
    first = end - dt.timedelta(weeks=weeks - 1)
    mondays = [first + dt.timedelta(weeks=i) for i in range(weeks)]
    start = dt.datetime.combine(first, dt.time.min, tzinfo=dt.UTC)
    stop = dt.datetime.combine(end + dt.timedelta(days=7), dt.time.min, tzinfo=dt.UTC)
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * weeks)
    for source, day, count in articles.published_per_day(session, start, stop):
        index = (_monday(day) - first).days // 7
        if 0 <= index < weeks:
            counts[source][index] += count
    return WeeklyCounts(weeks=mondays, counts=dict(sorted(counts.items())))
