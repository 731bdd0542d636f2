"""The schema check that `newswatch search` runs without importing Alembic agrees with Alembic."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from storage import migrate


def test_head_read_from_the_files_is_alembics_head() -> None:
    expected = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
    migrate.head_revision.cache_clear()
    assert migrate.head_revision() == expected


def _versions(tmp_path: Path, files: dict[str, str]) -> Path:
    (tmp_path / "versions").mkdir()
    for name, text in files.items():
        (tmp_path / "versions" / name).write_text(text)
    return tmp_path


def test_a_branch_is_left_to_alembic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _versions(tmp_path, {
        "a.py": "revision = 'a'\ndown_revision = None\n",
        "b.py": "revision = 'b'\ndown_revision = 'a'\n",
        "c.py": "revision = 'c'\ndown_revision = 'a'\n",
    })  # fmt: skip
    monkeypatch.setattr(migrate, "MIGRATIONS", folder)
    monkeypatch.setattr(migrate, "_alembic_head", lambda: "asked alembic")
    migrate.head_revision.cache_clear()
    try:
        assert migrate.head_revision() == "asked alembic"
    finally:
        migrate.head_revision.cache_clear()


def test_a_linear_chain_gives_its_last_revision_in_either_assignment_style(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _versions(tmp_path, {
        "1.py": "revision = '0001'\ndown_revision = None\n",
        "2.py": "'''doc'''\nimport os\nrevision: str = '0002'\ndown_revision = '0001'\n",
        "4.py": "revision = '0004'\ndown_revision = '0002'\n",
    })  # fmt: skip
    monkeypatch.setattr(migrate, "MIGRATIONS", folder)
    monkeypatch.setattr(migrate, "_alembic_head", lambda: "asked alembic")
    migrate.head_revision.cache_clear()
    try:
        assert migrate.head_revision() == "0004"
    finally:
        migrate.head_revision.cache_clear()


def test_a_computed_revision_is_left_to_alembic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _versions(tmp_path, {"a.py": "revision = make_id()\ndown_revision = None\n"})
    monkeypatch.setattr(migrate, "MIGRATIONS", folder)
    monkeypatch.setattr(migrate, "_alembic_head", lambda: "asked alembic")
    migrate.head_revision.cache_clear()
    try:
        assert migrate.head_revision() == "asked alembic"
    finally:
        migrate.head_revision.cache_clear()
