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
    # ... and it ends with what to try next, pointed at the demo's own archive
    assert "next steps:" in output and f"NEWSWATCH_DATABASE_URL=sqlite:///{workdir / 'demo.db'}" in output


@pytest.mark.slow
def test_demo_keep_serves_the_demo_archive_until_interrupted(tmp_path: Path) -> None:
    import re
    import select
    import signal
    import time
    import urllib.request

    workdir = tmp_path / "var" / "demo"
    process = subprocess.Popen(
        [sys.executable, "-c", "from newswatch.cli import main; main()", "demo", "--workdir", str(workdir),
         "--keep", "--port", "0"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    seen, base = "", None
    deadline = time.monotonic() + 180
    try:
        while base is None and time.monotonic() < deadline:
            ready, _, _ = select.select([process.stdout], [], [], 5)
            if ready:
                line = process.stdout.readline()
                if not line and process.poll() is not None:
                    break
                seen += line
                match = re.search(r"serving on (http://127\.0\.0\.1:\d+)/", line)
                base = match.group(1) if match else None
        assert base, f"the web UI did not come up:\n{seen}"
        with urllib.request.urlopen(base + "/?q=Tajikistan", timeout=30) as response:
            page = response.read().decode()
        assert response.status == 200 and "Tajikistan" in page
        assert "next steps:" in seen and "--keep" not in seen.split("next steps:", 1)[1].split("\n", 2)[1]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0
