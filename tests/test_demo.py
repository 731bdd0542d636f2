"""`newswatch demo` (what `make demo` runs): one full offline cycle of the real service, exit status 0."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_the_demo_crawls_every_source_mails_a_digest_and_searches(tmp_path: Path) -> None:
    workdir = tmp_path / "var" / "demo"
    result = subprocess.run(
        [sys.executable, "-c", "from newswatch.cli import main; main()", "demo", "--workdir", str(workdir)],
        cwd=tmp_path, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "demo finished" in output
    assert "Traceback" not in output
    # every enabled source was crawled once, in a child process, and finished its run
    table = output.split("source       run     articles", 1)[1].split("digests delivered", 1)[0]
    rows = [line.split() for line in table.strip().splitlines()]
    assert rows and all(status == "ok" for _key, status, _count in rows), table
    assert all(int(count) > 0 for *_rest, count in rows), f"a source stored nothing:\n{table}"
    mails = sorted((workdir / "mail").glob("*.eml"))
    assert mails, "the SMTP server received no digest"
    message = mails[0].read_text(encoding="utf-8", errors="replace")
    assert "demo@example.org" in message
    assert (workdir / "demo.db").exists()
