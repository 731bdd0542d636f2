"""The reads and the one write behind near-duplicate linking (the judging itself is ``crawler.dedup``).

Candidates are fetched by publication-date ranges (``ix_article_published``, and
``ix_article_first_seen`` for articles without a date), so a batch costs a few index range scans.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table, and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from storage.models import Article

RANGES_PER_STATEMENT = 100
CHUNK = 500

# A fingerprint row has .id, .simhash, .published_at, .first_seen_at and .duplicate_of.
_COLUMNS = (Article.id, Article.simhash, Article.published_at, Article.first_seen_at, Article.duplicate_of)


def fingerprints(session: Session, article_ids: Iterable[int]) -> list[Any]:
    """Fingerprint rows of these articles."""
    ids = list(article_ids)
    rows: list[Any] = []
    for start in range(0, len(ids), CHUNK):
        rows += session.execute(select(*_COLUMNS).where(Article.id.in_(ids[start : start + CHUNK]))).all()
    return rows


def fingerprints_dated_within(
    session: Session, ranges: Sequence[tuple[dt.datetime, dt.datetime]]
) -> list[Any]:
    """Fingerprint rows (with a SimHash) published, or else first seen, within any of ``ranges``."""
    rows: list[Any] = []
    for start in range(0, len(ranges), RANGES_PER_STATEMENT):  # each range is one index range scan
        chunk = ranges[start : start + RANGES_PER_STATEMENT]
        query = select(*_COLUMNS).where(
            Article.simhash.is_not(None),
            or_(
                *(Article.published_at.between(lo, hi) for lo, hi in chunk),
                and_(
                    Article.published_at.is_(None),
                    or_(*(Article.first_seen_at.between(lo, hi) for lo, hi in chunk)),
                ),
            ),
        )
        rows += session.execute(query).all()
    return rows


def bodies(session: Session, article_ids: Iterable[int]) -> dict[int, str]:
    ids = list(article_ids)
    found: dict[int, str] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        found.update(
            (i, b) for i, b in session.execute(select(Article.id, Article.body).where(Article.id.in_(chunk)))
        )
    return found


def followers(session: Session, original_ids: Sequence[int]) -> list[tuple[int, int]]:
    """(duplicate id, original id) for every article marked as a duplicate of one of ``original_ids``."""
    pairs: list[tuple[int, int]] = []
    for start in range(0, len(original_ids), CHUNK):
        query = select(Article.id, Article.duplicate_of).where(
            Article.duplicate_of.in_(original_ids[start : start + CHUNK])
        )
        pairs += [(follower, original) for follower, original in session.execute(query)]
    return pairs


def set_originals(session: Session, links: dict[int, int]) -> None:
    """Point each duplicate (key) at its original (value).

    One executemany as a Core statement: the ORM's per-row bookkeeping cost more than SQLite itself.
    """
    if not links:
        return
    table = Article.__table__
    assert isinstance(table, Table)
    statement = (
        update(table).where(table.c.id == bindparam("link_id")).values(duplicate_of=bindparam("link_to"))
    )
    session.execute(statement, [{"link_id": i, "link_to": r} for i, r in sorted(links.items())])
