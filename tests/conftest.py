"""Shared fixtures: a fresh, migrated database per test on SQLite and on the real PostgreSQL server.

PostgreSQL tests use a throw-away database created for this pytest process, so parallel runs never
see each other's rows. Outside CI they skip with the reason when the server is unreachable; in CI
(``CI=true``) an unreachable server is an error, because those tests must run there.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade

PG_ADMIN_URL = os.environ.get("NEWSWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _pg_unavailable_reason() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable" here
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}"
    return None


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """URL of a fresh database on the PostgreSQL server, dropped at the end of the session."""
    reason = _pg_unavailable_reason()
    if reason:
        if IN_CI:
            pytest.fail(f"{reason} (CI must run the PostgreSQL tests)")
        pytest.skip(reason)
    name = f"nw_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _reset_pg(url: str) -> Engine:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    return engine


def _fresh_migrated_url(request: pytest.FixtureRequest, folder: Path) -> str:
    """A migrated, empty database URL for ``request.param``: a SQLite file in ``folder``, or the session's
    PostgreSQL database reset."""
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'newswatch.db'}"
        engine = make_engine(url)
    else:
        url = request.getfixturevalue("pg_server_url")
        engine = _reset_pg(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def fresh_migrated_url() -> Callable[[pytest.FixtureRequest, Path], str]:
    """``_fresh_migrated_url``, for fixtures of other scopes parametrised over "sqlite" and "postgres"."""
    return _fresh_migrated_url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    """A migrated, empty database URL: a SQLite file, or the session's PostgreSQL database reset."""
    return _fresh_migrated_url(request, tmp_path)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def sqlite_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    """A migrated SQLite database, for tests where the backend does not matter."""
    url = f"sqlite:///{tmp_path / 'newswatch.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url
