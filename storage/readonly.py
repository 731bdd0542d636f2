"""A database connection that can only read, for the web process.

The storage engine takes SQLite's write lock at the start of every transaction (so writers queue
instead of failing); a page view must not do that, or every reader would wait behind a crawl's
writes. Here SQLite opens deferred (read) transactions with ``query_only`` on, and PostgreSQL
sessions default to read-only transactions, so a bug in the web layer cannot change the archive.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event

from storage.db import SQLITE_BUSY_TIMEOUT_MS
from storage.faults import sqlite_file


def _sqlite_read_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event below emits BEGIN itself
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def _sqlite_begin_deferred(conn: Any) -> None:
    # One read snapshot per request, so a count and its page of results agree.
    conn.exec_driver_sql("BEGIN")


def make_readonly_engine(url: str, **kwargs: Any) -> Engine:
    """An engine whose connections refuse writes (SQLite ``query_only``, PostgreSQL read-only transactions)."""
    if url.startswith("sqlite"):
        path = sqlite_file(url)  # also a "file:...?mode=ro&uri=true" URL (storage.faults.readonly_sqlite_url)
        if path is not None and not path.exists():
            raise FileNotFoundError(f"database file {path} does not exist; run `newswatch db upgrade` first")
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
        event.listen(engine, "connect", _sqlite_read_pragmas)
        event.listen(engine, "begin", _sqlite_begin_deferred)
        return engine
    connect_args = {"options": "-c default_transaction_read_only=on"}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)
