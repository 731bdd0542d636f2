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
    "sqlalchemy.dialects.postgresql",  # on SQLite; a fifth of the start-up of `search`
}  # fmt: skip

# Runs commands one after another in this interpreter (one start-up for all: this test stays quick) and
# prints, after each, the modules imported so far, as JSON lines on stderr.
PROBE = """
import json, sys
from newswatch.cli import cli
for args in json.loads(sys.argv[1]):
    try:
        cli(args, prog_name="newswatch", standalone_mode=False)
    except SystemExit:
        pass
    modules = sorted(sys.modules)
    sys.stderr.write("\\nMODULES " + json.dumps([args, modules]) + "\\n")
"""


def imported_by(commands: list[list[str]], database_url: str) -> dict[str, set[str]]:
    """What had been imported after each command ran (cumulative, in the order given)."""
    env = {**os.environ, "NEWSWATCH_DATABASE_URL": database_url}
    env.pop("NEWSWATCH_CONFIG", None)
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(commands)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    seen: dict[str, set[str]] = {}
    for line in result.stderr.splitlines():
        if line.startswith("MODULES "):
            args, modules = json.loads(line.removeprefix("MODULES "))
            seen[" ".join(args)] = set(modules) | {name.split(".")[0] for name in modules}
    assert len(seen) == len(commands), result.stderr
    return seen


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


EVERYDAY = [["--help"], ["search", "Dushanbe"], ["show", "1"], ["status"], ["stats"], ["subscribers", "list"]]


def test_everyday_commands_import_no_heavy_library(archive_url: str) -> None:
    seen = imported_by(EVERYDAY, archive_url)
    assert "sqlalchemy" in seen["search Dushanbe"]  # the probe really ran the command
    for command, modules in seen.items():
        assert modules & HEAVY == set(), f"after `newswatch {command}`"


@pytest.mark.slow  # loads the whole extraction stack
def test_the_probe_sees_what_a_command_imports(tmp_path: Path) -> None:
    """The check can fail: `extract` needs the parsers, and the probe reports them."""
    page = tmp_path / "page.html"
    page.write_text("<html><head><title>A page</title></head><body><p>Too short.</p></body></html>")
    seen = imported_by([["--help"], ["extract", str(page)]], f"sqlite:///{tmp_path / 'unused.db'}")
    assert not seen["--help"] & HEAVY
    assert {"trafilatura", "lxml"} <= seen[f"extract {page}"]
