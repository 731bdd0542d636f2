"""The composition root: settings in, wired engine and session factory out."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from newswatch.config import Settings, load_settings
from storage.db import Engine, SessionFactory, make_engine, make_session_factory
from storage.faults import StorageError, database_label, missing_sqlite_file, readonly_sqlite_url, writable
from storage.migrate import current_revision, ensure_current, head_revision, require_current


@dataclass
class App:
    """One per process. Cheap to create; the database is touched on first use.

    Only ``db upgrade``, ``serve``, ``crawl`` and ``demo`` migrate (through ``ensure_schema``); every
    other command gets its sessions from a database that must already be current, and says how to fix
    it when it is not, so reading the archive never changes its schema.
    """

    settings: Settings
    config_path: Path | None = None
    # Only `db upgrade`, `serve`, `crawl` and `demo` may create a database that is not there (see
    # ``creating``); any other command names the missing file instead of making an empty one.
    may_create: bool = False
    _schema_checked: bool = field(default=False, repr=False)

    @classmethod
    def from_config(cls, path: str | Path | None = None) -> App:
        return cls(load_settings(path), Path(path) if path else None)

    def creating(self) -> App:
        """Allow this command to create the database (and its folder) when it does not exist yet."""
        self.may_create = True
        return self

    @cached_property
    def engine(self) -> Engine:
        missing = missing_sqlite_file(self.settings.database_url)
        if missing is not None and not self.may_create:
            raise missing  # a typo'd path must not silently become an empty archive
        return make_engine(self.settings.database_url)

    @cached_property
    def read_engine(self) -> Engine:
        """For the read-only commands (search, show, export, stats, status, web).

        Never creates or migrates; a SQLite file this process cannot write (read-only file, folder or
        medium) is opened read-only, so a backup or a snapshot can be searched where it lies.
        """
        from storage.readonly import make_readonly_engine

        url = self.settings.database_url
        missing = missing_sqlite_file(url)
        if missing is not None:
            raise missing
        if not writable(url):
            url, _ = readonly_sqlite_url(url)
        engine = make_readonly_engine(url)
        revision, head = current_revision(engine), head_revision()
        if revision != head:
            engine.dispose()
            label = database_label(self.settings.database_url)
            if revision is None:
                raise StorageError(f"database {label} has no newswatch tables: run `newswatch db upgrade`")
            raise StorageError(
                f"database {label} has schema {revision}, this newswatch needs {head}: run `newswatch db upgrade`"
            )
        return engine

    @cached_property
    def read_sessions(self) -> SessionFactory:
        return make_session_factory(self.read_engine)

    @cached_property
    def sessions(self) -> SessionFactory:
        if not self._schema_checked:
            require_current(self.engine)  # SchemaNotCurrentError names `newswatch db upgrade`
            self._schema_checked = True
        return make_session_factory(self.engine)

    def ensure_schema(self) -> None:
        """Migrate to the newest schema (the commands that may: serve, crawl, demo; db upgrade itself)."""
        if self._schema_checked:
            return
        ensure_current(self.engine)
        self._schema_checked = True

    def close(self) -> None:
        for name in ("engine", "read_engine"):
            if name in self.__dict__:
                self.__dict__[name].dispose()
