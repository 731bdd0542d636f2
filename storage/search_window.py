"""The search window: the newest matches of a query, which a search counts, ranks or sorts.

Ranking every match by bm25 / ts_rank_cd is fine for a few thousand matches but a common word can
match half of a million-article archive, and scoring 500,000 rows takes seconds. So a search first
fetches the newest ``WINDOW`` + 1 matches (cheap: FTS5 walks its doclist backwards by rowid;
PostgreSQL uses the GIN index). This module holds what is derived from them: the exact count up to
the window, the cut-off ids of the window and of the rank window, and the estimated total beyond it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Article


def id_range(session: Session, since: dt.date | None, until: dt.date | None) -> tuple[int, int | None]:
    """(lowest, highest) article id the filters' dates allow; highest is None in an empty archive.

    Ids grow with arrival time, so a date filter narrows the range: its ends are taken from the first
    and last article published inside the dates (one index seek each).
    """
    top = session.scalar(select(func.max(Article.id)))
    bottom = 0
    if since is not None:
        first = select(Article.id).where(Article.published_day >= _day(since))
        bottom = session.scalar(first.order_by(Article.published_day, Article.id).limit(1)) or 0
    if until is not None:
        last = select(Article.id).where(Article.published_day <= _day(until))
        top = session.scalar(last.order_by(Article.published_day.desc(), Article.id.desc()).limit(1)) or top
    return bottom, top


def _day(value: dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


class Window:
    """Counts and cut-off ids from the newest ``size`` + 1 matches.

    ``rows`` (SQLite) are those matches as (id, score) newest first, scored or not (score None).
    """

    def __init__(
        self,
        fetched: int,
        newest: int | None,
        rank_floor: int | None,
        floor: int | None,
        sizes: tuple[int, int],
        rows: list[tuple[int, float | None]] | None = None,
    ) -> None:
        self.size, rank_size = sizes
        self.count = min(fetched, self.size)
        self.more = fetched > self.size
        self.newest = newest
        self.rank_floor = rank_floor if fetched > rank_size else None  # lowest id to score
        self.floor = floor if self.more else None  # lowest id of the window
        self.rows = rows

    @classmethod
    def from_rows(cls, rows: list[tuple[int, float | None]], size: int, rank_size: int) -> Window:
        if not rows:
            return cls(0, None, None, None, (size, rank_size), rows)
        rank_floor = rows[min(rank_size, len(rows)) - 1][0]
        floor = rows[min(size, len(rows)) - 1][0]
        return cls(len(rows), rows[0][0], rank_floor, floor, (size, rank_size), rows)

    def ids(self) -> list[int]:
        assert self.rows is not None
        return [id_ for id_, _ in self.rows[: self.size]]

    def _rank_rows(self) -> list[tuple[int, float | None]] | None:
        """The fetched rows of the rank window, or None when it is wider than the fetched window."""
        if self.rows is None or (self.rank_floor is None and self.more):
            return None
        floor = self.rank_floor if self.rank_floor is not None else 0
        return [row for row in self.rows if row[0] >= floor]

    def rank_ids(self) -> list[int] | None:
        """The ids to rank, when the window holds them all; else None."""
        rows = self._rank_rows()
        return None if rows is None else [id_ for id_, _ in rows]

    def scored(self) -> list[tuple[int, float]] | None:
        """The matches to rank with their scores, when the window fetched them scored; else None."""
        rows = self._rank_rows()
        if not rows or rows[0][1] is None:
            return None
        return [(id_, float(score or 0.0)) for id_, score in rows]

    def estimate_total(self, id_range: tuple[int, int | None]) -> int:
        """Matches in [window floor, newest match] scaled to the id range the filters allow.

        Backfilled articles make this approximate, which is why the page says ``total_is_estimate``.
        """
        assert self.newest is not None
        bottom, top = id_range
        span = max(self.newest - (self.floor or 0) + 1, 1)
        return max(self.size + 1, round(self.size * max((top or self.newest) - bottom, span) / span))
