"""Engines and sessions, with the SQLite settings that make it a reliable embedded database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000
SessionFactory = sessionmaker[Session]  # for callers outside storage, which do not import SQLAlchemy
__all__ = ["Engine", "Session", "SessionFactory", "is_postgres", "make_engine", "make_session_factory",
           "optimize", "rowcount", "session_scope", "upsert_statement", "url_without_password"]  # fmt: skip


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    # A deferred transaction that later writes can fail with SQLITE_BUSY without waiting on
    # busy_timeout; taking the write lock up front makes concurrent writers queue instead.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; for SQLite create the parent folder and apply WAL, busy timeout, foreign keys."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)

        @event.listens_for(engine, "connect")
        def _no_pysqlite_begin(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself

        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A transaction: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


def is_postgres(engine_or_session: Engine | Session) -> bool:
    """The one dialect check: everything per-backend in storage/ asks this instead of reading dialect names."""
    bind = engine_or_session.get_bind() if isinstance(engine_or_session, Session) else engine_or_session
    return bind.dialect.name == "postgresql"


def upsert_statement(session: Session, table: Any) -> Any:
    """``INSERT`` with ``ON CONFLICT`` support for this session's backend (both dialects spell it alike)."""
    from sqlalchemy.dialects import postgresql, sqlite  # only writers need them, not every `newswatch` start

    return (postgresql.insert if is_postgres(session) else sqlite.insert)(table)


def rowcount(result: Any) -> int:
    """Rows an UPDATE/DELETE touched (a CursorResult attribute the generic Result type does not declare)."""
    return int(getattr(result, "rowcount", 0) or 0)


def optimize(engine: Engine) -> None:
    """SQLite: merge FTS5 segments and let ``PRAGMA optimize`` refresh statistics; PostgreSQL: ANALYZE."""
    with engine.begin() as conn:
        if is_postgres(engine):
            conn.exec_driver_sql("ANALYZE")
            return
        has_fts = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'article_fts'"
        ).first()
        if has_fts:
            conn.exec_driver_sql("INSERT INTO article_fts(article_fts) VALUES ('optimize')")
        conn.exec_driver_sql("PRAGMA optimize")


def url_without_password(url: str) -> str:
    """The database URL with its password masked, for messages and logs."""
    return str(make_url(url).render_as_string(hide_password=True))
