"""When the disk or the database is at fault, every command says so in one line, and reading still works.

Most cases run the CLI in-process (click's runner, stderr kept apart). The read-only ones run it as a
subprocess: a read-only file is only read-only for a user without root's override, so when the tests
run as root (CI does) the command runs as ``nobody`` through ``setpriv``, on a database in a
world-readable temporary folder.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.db import make_engine
from storage.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]
NEWSWATCH = [str(Path(sys.executable).with_name("newswatch"))]  # the installed console script
READ_COMMANDS = [
    ["search", "Dushanbe"],
    ["show", "1"],
    ["export", "--format", "jsonl"],
    ["stats"],
    ["status"],
]
OTHER_COMMANDS = [["sources", "list"], ["subscribers", "list"], ["digest", "send", "--dry-run"]]


def unprivileged() -> list[str]:
    """A prefix that drops root, so file permissions apply; nothing when we are not root."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: a read-only file cannot be tested")
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]


def run(
    database_url: str, *args: str, as_user: bool = False, folder: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWATCH_")}
    env["NEWSWATCH_DATABASE_URL"] = database_url
    env["HOME"] = str(folder or tempfile.gettempdir())
    prefix = unprivileged() if as_user else []
    return subprocess.run([*prefix, *NEWSWATCH, *args], capture_output=True, text=True, timeout=120,
                          cwd=folder or ROOT, env=env)  # fmt: skip


def invoke(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in this process, its result shaped like a finished subprocess."""
    from click.testing import CliRunner

    from newswatch.cli import cli

    result = CliRunner().invoke(
        cli, list(args), env={"NEWSWATCH_DATABASE_URL": database_url, "NEWSWATCH_CONFIG": None}
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    """The command failed with exactly one line on stderr (no traceback), which is returned."""
    assert done.returncode != 0, done.stdout
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A temporary folder ``nobody`` can enter (pytest's own tmp_path is private to its user)."""
    folder = Path(tempfile.mkdtemp(prefix="nw-faults-"))
    folder.chmod(0o755)
    yield folder
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    shutil.rmtree(folder)


def migrated(path: Path) -> str:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.mark.parametrize("command", READ_COMMANDS + OTHER_COMMANDS, ids=lambda c: " ".join(c))
def test_a_typo_in_the_path_is_named_and_creates_nothing(tmp_path: Path, command: list[str]) -> None:
    path = tmp_path / "typo" / "newswatch.db"
    line = one_line(invoke(f"sqlite:///{path}", *command))
    assert line == f"Error: no database at {path}: run `newswatch db upgrade`"
    assert not (tmp_path / "typo").exists()  # no folder, no empty database


def test_db_upgrade_still_creates_a_new_database(tmp_path: Path) -> None:
    path = tmp_path / "new" / "newswatch.db"
    done = invoke(f"sqlite:///{path}", "db", "upgrade")
    assert done.returncode == 0, done.stderr
    assert path.exists()


@pytest.fixture
def readonly_db(shared_folder: Path) -> Iterator[str]:
    """A current database with one article, then made read-only: the file and its folder."""
    from storage.articles import upsert_articles
    from storage.db import make_session_factory, session_scope
    from storage.records import ArticleRecord

    path = shared_folder / "ro" / "newswatch.db"
    path.parent.mkdir()
    url = migrated(path)
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as session:
        body = "The OSCE Programme Office in Dushanbe held a course on border management."
        upsert_articles(session, [ArticleRecord(canonical_url="https://x.example/a", url="https://x.example/a",
                                                source="osce", title="Course in Dushanbe", body=body,
                                                content_hash="h1", language="en")])  # fmt: skip
    engine.dispose()
    # As a copied backup would be: the WAL folded into the file, no -wal/-shm beside it (still WAL mode)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for extra in path.parent.glob("newswatch.db-*"):
        extra.unlink()
    path.chmod(0o444)
    path.parent.chmod(0o555)
    yield url


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: " ".join(c))
def test_read_only_commands_work_on_a_read_only_database(
    readonly_db: str, shared_folder: Path, command: list[str]
) -> None:
    done = run(readonly_db, *command, as_user=True, folder=shared_folder)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    if command[0] in ("search", "show", "export"):
        assert "Course in Dushanbe" in done.stdout


def test_a_write_on_a_read_only_database_is_one_clear_line(readonly_db: str, shared_folder: Path) -> None:
    done = run(readonly_db, "subscribers", "add", "ana@example.org", as_user=True, folder=shared_folder)
    line = one_line(done)
    path = readonly_db.split("///", 1)[1]
    assert line.startswith(f"Error: database {path} is read-only here"), line


def test_web_serves_a_read_only_database(readonly_db: str, shared_folder: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWATCH_")}
    env.update(NEWSWATCH_DATABASE_URL=readonly_db, HOME=str(shared_folder))
    server = subprocess.Popen([*unprivileged(), *NEWSWATCH, "web", "--port", "0"], cwd=shared_folder, env=env,
                              stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert server.stderr is not None
        address = None
        deadline = time.monotonic() + 60
        while address is None and time.monotonic() < deadline:
            line = server.stderr.readline()
            if not line:
                break
            found = re.search(r"serving on (http://\S+/)", line)
            address = found.group(1) if found else None
        assert address, "newswatch web did not start"
        body = b""
        while not body and time.monotonic() < deadline:  # the socket is bound before uvicorn listens
            try:
                with urllib.request.urlopen(address + "api/articles?q=Dushanbe", timeout=30) as response:
                    assert response.status == 200
                    body = response.read()
            except urllib.error.URLError:
                time.sleep(0.2)
        assert b"Course in Dushanbe" in body
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.parametrize(
    "command", READ_COMMANDS + OTHER_COMMANDS + [["db", "upgrade"]], ids=lambda c: " ".join(c)
)
def test_a_corrupt_file_is_named_in_one_line(tmp_path: Path, command: list[str]) -> None:
    path = tmp_path / "newswatch.db"
    path.write_bytes(b"this is not a SQLite database, it is a text file that was copied over it\n" * 100)
    line = one_line(invoke(f"sqlite:///{path}", *command))
    assert line.startswith(f"Error: database {path} is not a SQLite database or is damaged"), line


@pytest.mark.parametrize(
    "command", READ_COMMANDS + OTHER_COMMANDS + [["db", "upgrade"]], ids=lambda c: " ".join(c)
)
def test_an_unreachable_postgresql_is_named_in_one_line(command: list[str]) -> None:
    url = "postgresql+psycopg://newswatch@127.0.0.1:9/archive"  # port 9 (discard): nothing listens
    line = one_line(invoke(url, *command))
    assert line.startswith("Error: cannot reach the PostgreSQL database 'archive' at 127.0.0.1:9"), line
