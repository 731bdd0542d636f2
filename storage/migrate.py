"""Apply Alembic migrations from code, so `newswatch db upgrade`, the tests and the service share one path.

Alembic itself (with Mako and Pygments behind it) costs more to import than a `newswatch search` takes
to run, so it is imported only when a migration actually runs. The everyday question "is this database
at the newest schema?" is answered from the migration files' own ``revision``/``down_revision`` lines
and one SELECT (tests/test_storage_migrate.py checks the answer against Alembic's).
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (default: the newest schema)."""
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


class SchemaNotCurrentError(RuntimeError):
    """The database is not at the schema this code needs; only the commands that may migrate fix it."""


def ensure_current(engine: Engine) -> None:
    """Migrate when the schema is behind (``db upgrade``, ``serve``, ``crawl`` and ``demo`` call this)."""
    if current_revision(engine) != head_revision():
        upgrade(engine)


def require_current(engine: Engine) -> None:
    """Refuse to work on a database that is not at the newest schema, saying how to fix it.

    Every other command (searching, listing, subscribing) calls this instead of migrating, so a read
    never changes the schema behind the operator's back.
    """
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise SchemaNotCurrentError(
            f"the database schema is at {current or 'nothing (empty database)'}, this newswatch needs {head}: "
            "run `newswatch db upgrade` first"
        )


@cache
def head_revision() -> str | None:
    """The newest revision: the one no other migration names as its ``down_revision``.

    Read from the files without importing Alembic; anything unusual (a branch, a merge, a computed
    value) is left to Alembic's ScriptDirectory.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        declared = _declared_revision(path)
        if declared is None:
            return _alembic_head()
        revision, down_revision = declared
        revisions.add(revision)
        if down_revision is not None:
            parents.add(down_revision)
    heads = revisions - parents
    if len(heads) != 1 or not parents <= revisions:
        return _alembic_head()
    return heads.pop()


def _declared_revision(path: Path) -> tuple[str, str | None] | None:
    """``(revision, down_revision)`` as literal strings in the module, else None."""
    values: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:  # `revision: str = "0005"`
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
            try:
                values[target.id] = ast.literal_eval(value)
            except ValueError:
                return None
    revision, down_revision = values.get("revision"), values.get("down_revision")
    if not isinstance(revision, str) or not (down_revision is None or isinstance(down_revision, str)):
        return None
    return revision, down_revision


def _alembic_head() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
