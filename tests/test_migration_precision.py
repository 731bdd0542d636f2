"""Migration 0008 turns the two old signatures of a day-only date into day precision, on both backends.

Rows are written at revision 0007 with plain SQL, as the old code stored them, then the archive is
upgraded: OSCE rows at 12:00Z and any row at midnight Asia/Dushanbe (19:00Z the day before) become
that day, others keep their instant and get the day in their source's zone.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import _reset_pg
from sqlalchemy import Engine, select

from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import Article
from storage.types import UTCDateTime

UTC = dt.UTC
ROWS = [
    # key, source, published_at as stored by the old code -> (published_day, precision)
    ("osce-noon", "osce", dt.datetime(2010, 5, 19, 12, tzinfo=UTC), (dt.date(2010, 5, 19), "day")),
    ("dushanbe-midnight", "khovar", dt.datetime(2024, 9, 30, 19, tzinfo=UTC), (dt.date(2024, 10, 1), "day")),
    ("osce-dateline", "osce", dt.datetime(2012, 3, 26, 19, tzinfo=UTC), (dt.date(2012, 3, 27), "day")),
    ("timed-east", "khovar", dt.datetime(2024, 9, 30, 21, 30, tzinfo=UTC), (dt.date(2024, 10, 1), "minute")),
    ("timed-west", "eurasianet", dt.datetime(2024, 10, 2, 2, 30, tzinfo=UTC), (dt.date(2024, 10, 1), "minute")),
    ("noon-not-osce", "asiaplus", dt.datetime(2024, 10, 1, 12, tzinfo=UTC), (dt.date(2024, 10, 1), "minute")),
    ("undated", "khovar", None, (None, None)),
]  # fmt: skip


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    else:
        engine = _reset_pg(request.getfixturevalue("pg_server_url"))
    upgrade(engine, "0007")
    return engine


OLD_ARTICLE = sa.table(  # the columns revision 0007 has (the ORM model already has the new ones)
    "article",
    *(sa.column(name, sa.String) for name in ("canonical_url", "url", "source", "title", "body")),
    *(sa.column(name, sa.String) for name in ("content_hash", "extraction")),
    *(sa.column(name, UTCDateTime()) for name in ("published_at", "first_seen_at", "fetched_at")),
    *(sa.column(name, sa.JSON) for name in ("authors", "tags", "relevance_terms", "attachments", "extra")),
    sa.column("first_seen_by_backfill", sa.Boolean),
)


def test_old_rows_get_their_day_and_precision(old_engine: Engine) -> None:
    seen = dt.datetime(2024, 10, 3, tzinfo=UTC)
    with old_engine.begin() as conn:
        for key, source, published, _ in ROWS:
            conn.execute(
                sa.insert(OLD_ARTICLE).values(
                    canonical_url=f"https://example.test/{key}", url=f"https://example.test/{key}",
                    source=source, title=key, body=f"body of {key}", content_hash=key, extraction="site",
                    published_at=published, first_seen_at=seen, fetched_at=seen, authors=[], tags=[],
                    relevance_terms=[], attachments=[], extra={}, first_seen_by_backfill=False,
                )
            )  # fmt: skip
    upgrade(old_engine)
    columns = Article.__table__.c
    with old_engine.connect() as conn:
        query = select(
            columns.title, columns.published_at, columns.published_day, columns.published_precision,
            columns.baseline_archive,
        )  # fmt: skip
        got = {row.title: row for row in conn.execute(query)}
    old_engine.dispose()
    for key, _, published, (day, precision) in ROWS:
        row = got[key]
        assert (row.published_day, row.published_precision) == (day, precision), key
        assert not row.baseline_archive
        if precision == "minute":
            assert row.published_at == published
    # A day-only row is ordered from the start of its day in the source's zone.
    assert got["dushanbe-midnight"].published_at == dt.datetime(2024, 9, 30, 19, tzinfo=UTC)
    assert got["osce-noon"].published_at == dt.datetime(2010, 5, 18, 22, tzinfo=UTC)  # 00:00 Vienna (CEST)
