"""Imports flow one way: newswatch → scheduler → (crawler, alerts) → storage; nothing imports the tests."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "storage": {"crawler", "alerts", "scheduler", "newswatch"},
    "crawler": {"alerts", "scheduler", "newswatch"},
    "alerts": {"crawler", "scheduler", "newswatch"},
    "scheduler": {"newswatch"},
}
# What ships in the wheel (and the benchmarks, which must run from an installed package too).
PRODUCT = ["storage", "crawler", "alerts", "scheduler", "newswatch", "bench"]


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_lower_layers_do_not_import_higher_ones(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert not {path: bad for path, bad in offenders.items() if bad}


@pytest.mark.parametrize("package", PRODUCT)
def test_product_code_never_imports_the_test_tree(package: str) -> None:
    """An installed newswatch has no ``tests`` package: importing it works in a checkout and breaks in a wheel."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / package).rglob("*.py")
        if "tests" in imported_packages(path)
    ]
    assert not offenders


# storage/ is the only package that speaks SQL: nothing else imports SQLAlchemy or Alembic, and nothing
# else runs statements on a session it was handed. Callers use the storage API (storage.articles,
# storage.crawl_runs, storage.crawl_state, storage.subscriptions, storage.outbox, storage.leases,
# storage.search ...), and get engines, sessions and database errors from storage.db and storage.errors.
SQL_PACKAGES = {"sqlalchemy", "alembic"}
# Modules outside storage/ allowed to import them. The composition root (newswatch/app.py) builds its
# engine through storage.db.make_engine, and the web's read-only engine is storage.readonly, so: none.
SQL_ALLOWED: set[str] = set()
STATEMENT_METHODS = {"execute", "scalars", "scalar", "exec_driver_sql"}


def statement_calls(path: Path) -> list[str]:
    """``line .method()`` for every call of a method that runs SQL (``session.execute(...)`` and kin)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{node.lineno} .{node.func.attr}()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in STATEMENT_METHODS
    ]


@pytest.mark.parametrize("package", ["crawler", "scheduler", "alerts", "newswatch"])
def test_only_storage_speaks_sql(package: str) -> None:
    files = [
        path for path in (ROOT / package).rglob("*.py") if str(path.relative_to(ROOT)) not in SQL_ALLOWED
    ]
    importers = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & SQL_PACKAGES) for path in files
    }
    assert not {path: bad for path, bad in importers.items() if bad}
    calls = {str(path.relative_to(ROOT)): statement_calls(path) for path in files}
    assert not {path: found for path, found in calls.items() if found}


def test_the_sql_checks_see_what_they_look_for(tmp_path: Path) -> None:
    """The checks above would pass vacuously if they saw nothing; show them a module that speaks SQL."""
    sample = tmp_path / "sample.py"
    sample.write_text("from sqlalchemy import select\nimport alembic.command\nsession.execute(select(1))\n")
    assert imported_packages(sample) == SQL_PACKAGES
    assert statement_calls(sample) == ["3 .execute()"]
