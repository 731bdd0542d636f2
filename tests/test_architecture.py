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
