"""The composition root: settings in, wired engine and session factory out."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from newswatch.config import Settings, load_settings
from storage.db import Engine, SessionFactory, make_engine, make_session_factory
from storage.migrate import ensure_current, require_current


@dataclass
class App:
    """One per process. Cheap to create; the database is touched on first use.

    Only ``db upgrade``, ``serve``, ``crawl`` and ``demo`` migrate (through ``ensure_schema``); every
    other command gets its sessions from a database that must already be current, and says how to fix
    it when it is not, so reading the archive never changes its schema.
    """

    settings: Settings
    config_path: Path | None = None
    _schema_checked: bool = field(default=False, repr=False)

    @classmethod
    def from_config(cls, path: str | Path | None = None) -> App:
        return cls(load_settings(path), Path(path) if path else None)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

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
        if "engine" in self.__dict__:
            self.engine.dispose()
