"""What a crawl reads and writes between runs: known URLs, HTTP validators, its run row, its articles.

The crawler gets a :class:`CrawlArchive` from whoever starts the crawl (``crawler.runner`` builds one
from the database URL) and never sees an engine, a statement or a migration: the schema is brought up
to date by the commands that may change it (``db upgrade``, ``serve``, ``crawl``, ``demo``, and a bare
``scrapy crawl``), not by every crawl.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from storage import crawl_runs
from storage.articles import upsert_articles
from storage.baseline import is_baseline
from storage.db import (
    Engine,
    SessionFactory,
    make_engine,
    make_session_factory,
    session_scope,
    upsert_statement,
)
from storage.migrate import ensure_current
from storage.models import Article, HttpValidator
from storage.records import ArticleRecord, CrawlSummary, UpsertOutcome
from storage.types import utcnow

Validators = tuple[str | None, str | None]  # (ETag, Last-Modified)
CHUNK = 500  # URLs per IN (...) list


def known_urls(session: Session, urls: Iterable[str]) -> set[str]:
    """Canonical URLs already stored, or fetched and dropped before (not relevant, not an article).

    Dropped pages are remembered as ``http_validator`` rows (with their validators), so a listing that
    changed does not make us refetch and re-judge everything on it that we did not keep.
    """
    wanted = list(dict.fromkeys(urls))
    found: set[str] = set()
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        statement = union(
            select(Article.canonical_url).where(Article.canonical_url.in_(chunk)),
            select(HttpValidator.url).where(HttpValidator.url.in_(chunk)),
        )
        found.update(session.scalars(statement))
    return found


def validators(session: Session, url: str) -> Validators | None:
    row = session.get(HttpValidator, url)
    return (row.etag, row.last_modified) if row else None


def save_validators(session: Session, by_url: Mapping[str, Validators]) -> None:
    """Store (or replace) the validators of these URLs."""
    if not by_url:
        return
    rows = [
        {"url": url, "etag": etag, "last_modified": modified, "updated_at": utcnow()}
        for url, (etag, modified) in by_url.items()
    ]
    statement = upsert_statement(session, HttpValidator).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["url"],
        set_={
            "etag": statement.excluded.etag,
            "last_modified": statement.excluded.last_modified,
            "updated_at": statement.excluded.updated_at,
        },
    )
    session.execute(statement)


class CrawlArchive:
    """The crawl's window on the database. Short transactions only, one per call."""

    def __init__(self, sessions: SessionFactory, engine: Engine | None = None) -> None:
        self.sessions = sessions
        self._engine = engine  # disposed by close() when this archive opened it

    @classmethod
    def connect(cls, database_url: str, *, migrate: bool = False) -> CrawlArchive:
        """Open the database at ``database_url``. It must be at the current schema unless ``migrate``:
        only a crawl *command* migrates (``newswatch crawl`` before it starts the crawl, a bare
        ``scrapy crawl NAME`` here), never the crawl runner or a scheduled crawl's child."""
        engine = make_engine(database_url)
        if migrate:
            ensure_current(engine)
        return cls(make_session_factory(engine), engine)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with self.sessions() as session:
            yield session

    # -- listing pages ----------------------------------------------------------------------------

    def known(self, urls: Iterable[str]) -> set[str]:
        with self._read() as session:
            return known_urls(session, urls)

    def validators(self, url: str) -> Validators | None:
        with self._read() as session:
            return validators(session, url)

    def save_validators(self, by_url: Mapping[str, Validators]) -> None:
        if by_url:
            with session_scope(self.sessions) as session:
                save_validators(session, by_url)

    # -- the run ----------------------------------------------------------------------------------

    def last_run_had_errors(self, source: str) -> bool:
        """Did this source's latest run (a backfill too) fail or count errors?"""
        with self._read() as session:
            run = crawl_runs.latest(session, source, include_backfill=True)
            return run is not None and (run.status != "ok" or run.errors > 0)

    def last_success(self, source: str) -> dt.datetime | None:
        with self._read() as session:
            return crawl_runs.last_success(session, source)

    def is_baseline(self, source: str) -> bool:
        """True when ``source`` has no successful crawl run yet (``storage.baseline``)."""
        with self.sessions() as session:
            return is_baseline(session, source)

    def start_run(self, source: str, *, backfill: bool, pid: int | None) -> int:
        with session_scope(self.sessions) as session:
            return crawl_runs.start(session, source, backfill=backfill, pid=pid).id

    def finish_run(
        self, run_id: int | None, summary: CrawlSummary, *, log_excerpt: str | None = None
    ) -> None:
        if run_id is None:
            return
        with session_scope(self.sessions) as session:
            crawl_runs.finish(session, run_id, summary, log_excerpt=log_excerpt)

    # -- articles ---------------------------------------------------------------------------------

    def store(
        self,
        records: Sequence[ArticleRecord],
        *,
        crawl_run_id: int | None,
        backfill: bool,
        after_insert: Callable[[Session, list[int]], object] | None = None,
    ) -> UpsertOutcome:
        """Upsert one batch in one transaction; ``after_insert`` (duplicate linking) runs in the same
        transaction with the new ids, so a failure anywhere leaves nothing of the batch behind."""
        with session_scope(self.sessions) as session:
            outcome = upsert_articles(session, records, crawl_run_id=crawl_run_id, backfill=backfill)
            if outcome.new and after_insert is not None:
                after_insert(session, outcome.new)
        return outcome
