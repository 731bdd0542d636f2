"""What the tests of the real service share: replica-only source overrides, a newswatch.toml for a `serve` or
`worker` subprocess, starting `serve`, and waiting on a condition (imported by the scheduler and cluster tests)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from crawler.sources import load_registry


def only(replicas: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Source overrides: every registry source disabled but these, each pointed at its replica."""
    overrides: dict[str, dict[str, Any]] = {key: {"enabled": False} for key in load_registry().keys()}
    overrides.update({key: {"base_url": url, "enabled": True} for key, url in replicas.items()})
    return overrides


def _toml(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else repr(value).replace(chr(39), chr(34))


def write_config(
    tmp_path: Path,
    db_url: str,
    replicas: Mapping[str, str],
    *,
    tables: Mapping[str, Mapping[str, object]] | None = None,
    **scheduler: object,
) -> Path:
    """newswatch.toml for a fast, replica-only service; ``tables`` adds sections (e.g. ``cluster``)."""
    lines = [f'database_url = "{db_url}"', "[crawl]", "download_delay = 0", "autothrottle = false",
             "retry_times = 0", "download_timeout = 120", "[scheduler]", "jitter_seconds = 0"]  # fmt: skip
    lines += [f"{key} = {value}" for key, value in scheduler.items()]
    for name, table in (tables or {}).items():
        lines.append(f"[{name}]")
        lines += [f"{k} = {_toml(v)}" for k, v in table.items()]
    lines += ["[alerts]", f'outbox_dir = "{tmp_path / "outbox"}"']
    for key, table in only(replicas).items():
        lines.append(f"[sources.{key}]")
        lines += [f"{k} = {_toml(v)}" for k, v in table.items()]
    path = tmp_path / "newswatch.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def start_serve(config: Path, log: Path, *args: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-c", "from newswatch.cli import main; main()", "serve", *args]
    with log.open("ab") as out:
        return subprocess.Popen(command, env={**os.environ, "NEWSWATCH_CONFIG": str(config)}, cwd=config.parent,
                                stdout=out, stderr=subprocess.STDOUT)  # fmt: skip


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, step: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")
