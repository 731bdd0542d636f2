"""The everyday commands start at once: they must not load the crawler's, the mailer's or the web's libraries.

Importing Scrapy, Twisted, trafilatura and the language model took `newswatch --help` to 3.5 s (issue 15);
each command now imports what only it needs inside its own body. These tests run the real command in a
fresh interpreter and list what it imported, so a new top-level import of a heavy module fails here
(bench/cli.py measures the time itself).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from storage.articles import upsert_articles
from storage.db import make_engine, make_session_factory, session_scope
from storage.records import ArticleRecord

# Libraries that only crawling, extraction, mail, the web server or migrations need.
HEAVY = {
    "scrapy", "twisted", "parsel", "trafilatura", "htmldate", "justext", "py3langid", "numpy", "ftfy",
    "dateparser", "feedparser", "lxml", "starlette", "uvicorn", "jinja2", "apscheduler", "aiosmtpd",
    "alembic", "mako", "pygments",
}  # fmt: skip

# Runs one command in this interpreter, then prints the top-level packages it imported, as JSON on stderr.
PROBE = """
import json, sys
from newswatch.cli import cli
try:
    cli(sys.argv[1:], prog_name="newswatch", standalone_mode=False)
finally:
    sys.stderr.write("\\nMODULES " + json.dumps(sorted({name.split(".")[0] for name in sys.modules})) + "\\n")
"""


def imported_by(args: list[str], database_url: str, check: bool = True) -> set[str]:
    env = {**os.environ, "NEWSWATCH_DATABASE_URL": database_url}
    env.pop("NEWSWATCH_CONFIG", None)
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0 or not check, result.stderr
    line = next(line for line in result.stderr.splitlines() if line.startswith("MODULES "))
    return set(json.loads(line.removeprefix("MODULES ")))


@pytest.fixture
def archive_url(sqlite_url: str) -> str:
    """A migrated archive holding one article, so `search` finds it and `show 1` prints it."""
    engine = make_engine(sqlite_url)
    record = ArticleRecord(
        canonical_url="https://osce.example/news/1/", url="https://osce.example/news/1/", source="osce",
        title="Border management training in Dushanbe", body="Border officers trained in Dushanbe.",
        content_hash="1", published_at=dt.datetime(2024, 3, 1, tzinfo=dt.UTC), language="en",
    )  # fmt: skip
    with session_scope(make_session_factory(engine)) as session:
        upsert_articles(session, [record])
    engine.dispose()
    return sqlite_url


@pytest.mark.parametrize(
    "args",
    [["--help"], ["search", "Dushanbe"], ["show", "1"], ["status"], ["stats"], ["subscribers", "list"]],
    ids=lambda a: " ".join(a),
)
def test_everyday_commands_import_no_heavy_library(args: list[str], archive_url: str) -> None:
    modules = imported_by(args, archive_url)
    assert "sqlalchemy" in modules  # the probe really ran the command
    assert modules & HEAVY == set()


def test_the_probe_sees_what_a_command_imports(tmp_path: Path) -> None:
    """The check can fail: `extract` needs the parsers, and the probe reports them."""
    page = tmp_path / "page.html"
    page.write_text("<html><head><title>A page</title></head><body><p>Too short.</p></body></html>")
    modules = imported_by(["extract", str(page)], f"sqlite:///{tmp_path / 'unused.db'}", check=False)
    assert {"trafilatura", "lxml"} <= modules
