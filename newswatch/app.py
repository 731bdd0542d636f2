"""The composition root: settings in, wired engine and session factory out."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from newswatch.config import Settings, load_settings
from storage.db import make_engine, make_session_factory
from storage.migrate import current_revision, head_revision, upgrade


@dataclass
class App:
    """One per process. Cheap to create; the database is touched on first use."""

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
    def sessions(self) -> sessionmaker[Session]:
        self.ensure_schema()
        return make_session_factory(self.engine)

    def ensure_schema(self) -> None:
        """Migrate to the newest schema; the embedded default should just work on first use."""
        if self._schema_checked:
            return
        if current_revision(self.engine) != head_revision():
            upgrade(self.engine)
        self._schema_checked = True

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
