"""Replica plug-in: fill the running server's address into this site's feeds and sitemaps."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any


def install(server: Any, **options: Any) -> None:
    spec = importlib.util.spec_from_file_location(
        "replica_templated", Path(__file__).parents[1] / "templated.py"
    )
    assert spec and spec.loader
    templated = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(templated)
    templated.install_templated(server, Path(__file__).parent)
