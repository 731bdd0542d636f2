"""When the database itself is the problem: one clear line naming it and the cause, never a traceback.

Measured before this module: a read-only SQLite file, a corrupt file, an unreachable PostgreSQL and a
typo'd SQLite path each gave a 50- to 140-line traceback from every command, and the typo'd path
silently created folders and an empty database, then answered "no results". Here:

- ``database_label`` names a database the way its owner wrote it (a file path, or PostgreSQL's host,
  port and name, never the password);
- ``explain`` turns what the driver raised into "database X: what is wrong: what to do";
- ``missing_sqlite_file`` says when a SQLite URL points at a file that is not there, so only the
  commands that are meant to create a database (``db upgrade``, ``serve``, ``crawl``, ``demo``) do;
- ``readonly_sqlite_url`` opens a SQLite file that this process cannot write (read-only file, folder
  or medium) for reading: ``mode=ro``, or ``immutable=1`` when the WAL's shared-memory file cannot be
  created beside it.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError


class StorageError(Exception):
    """The database cannot be used; the message is one line for the person at the terminal."""


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL and for ``:memory:``)."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[-1].split("?", 1)[0]
    if path.startswith("file:"):
        path = path[5:]
    return Path(path) if path and path != ":memory:" else None


def database_label(url: str) -> str:
    """``/srv/newswatch/var/newswatch.db`` or ``PostgreSQL database 'news' at db.internal:5432``."""
    path = sqlite_file(url)
    if path is not None:
        return str(path)
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "the configured database"
    return f"PostgreSQL database '{parsed.database}' at {parsed.host or 'localhost'}:{parsed.port or 5432}"


def missing_sqlite_file(url: str) -> StorageError | None:
    """The error for a SQLite URL whose file does not exist, or None (it exists, or it is PostgreSQL)."""
    path = sqlite_file(url)
    if path is None or path.exists():
        return None
    return StorageError(f"no database at {path}: run `newswatch db upgrade`")


def writable(url: str) -> bool:
    """False for a SQLite file (or its folder, where the WAL lives) that this process cannot write."""
    path = sqlite_file(url)
    if path is None:
        return True
    return os.access(path, os.W_OK) and os.access(path.resolve().parent, os.W_OK)


def readonly_sqlite_url(url: str) -> tuple[str, bool]:
    """(URL, immutable) to read a SQLite file this process may not write.

    A database in WAL mode needs its ``-shm`` file, which a reader must create when it is absent; on a
    read-only folder or medium it cannot, so the file is opened ``immutable=1`` (SQLite reads the main
    file without locks: right for a snapshot or a backup, which is what read-only storage holds).
    Otherwise ``mode=ro``: a read-only connection that still sees a running writer's WAL.
    """
    path = sqlite_file(url)
    if path is None:
        return url, False
    folder = path.resolve().parent
    shm = Path(f"{path}-shm")
    immutable = not os.access(folder, os.W_OK) and not (shm.exists() and os.access(shm, os.R_OK))
    query = "immutable=1" if immutable else "mode=ro"
    return f"sqlite:///file:{quote(str(path.resolve()))}?{query}&uri=true", immutable


def explain(url: str, exc: BaseException) -> str:
    """One line: the database, what is wrong and what to do. ``exc`` is what the driver raised."""
    label = database_label(url)
    original = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    text = " ".join(str(original).split())
    lowered = text.lower()
    if isinstance(original, StorageError):
        return str(original)
    if url.startswith("sqlite"):
        if "readonly database" in lowered or "read-only" in lowered:
            return (
                f"database {label} is read-only here ({text}): read-only commands (search, show, export, "
                "stats, status, web) still work; check the file's and its folder's permissions to write"
            )
        if (
            "file is not a database" in lowered
            or "malformed" in lowered
            or isinstance(original, sqlite3.DatabaseError)
            and "corrupt" in lowered
        ):
            return (
                f"database {label} is not a SQLite database or is damaged ({text}): restore it from a backup"
            )
        if "unable to open database file" in lowered:
            missing = missing_sqlite_file(url)
            if missing is not None:
                return str(missing)
            return f"cannot open database {label} ({text}): check that its folder exists and is readable"
        if "no such table" in lowered:
            return f"database {label} has no newswatch tables ({text}): run `newswatch db upgrade`"
        if "database is locked" in lowered:
            return f"database {label} is locked by another process ({text}): try again when it is done"
        return f"database {label}: {text}"
    if "connection refused" in lowered or "could not connect" in lowered or "timeout" in lowered:
        return f"cannot reach the {label} ({text}): is the server running, and is database_url right?"
    if "does not exist" in lowered and "database" in lowered:
        return f"the {label} does not exist ({text}): create it, then run `newswatch db upgrade`"
    if "password authentication failed" in lowered or "authentication" in lowered:
        return f"the {label} refused our login ({text}): check the user and password in database_url"
    if (
        "undefinedtable" in type(original).__name__.lower()
        or "relation" in lowered
        and "does not exist" in lowered
    ):
        return f"the {label} has no newswatch tables ({text}): run `newswatch db upgrade`"
    if "read-only transaction" in lowered or "read only" in lowered:
        return f"the {label} is read-only here ({text})"
    return f"the {label}: {text}"


DATABASE_ERRORS: tuple[type[BaseException], ...] = (SQLAlchemyError, sqlite3.Error, StorageError)
