""" "The latest run of a source" has one definition (storage.crawl_runs.latest), so every place that shows
it names the same run: `newswatch status`, `sources list`, `stats` and the web's /sources, also after a
backfill. The schedule alone ignores backfills. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import warnings
from typing import Any

import pytest
from click.testing import CliRunner

from newswatch.cli import cli
from newswatch.web import create_app
from storage import crawl_runs
from storage.db import make_engine, make_session_factory, session_scope
from storage.models import CrawlRun
from storage.types import utcnow

with warnings.catch_warnings():
    # Starlette 0.52's TestClient touches an alias anyio deprecated; not our code, and only at import.
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette.testclient import TestClient

NOW = utcnow().replace(microsecond=0)
SCHEDULED_START = NOW - dt.timedelta(minutes=30)
BACKFILL_START = NOW - dt.timedelta(minutes=10)


@pytest.fixture
def runs(db_url: str) -> str:
    """osce: a scheduled run that went well, then a (failing) backfill started after it."""
    engine = make_engine(db_url)
    with session_scope(make_session_factory(engine)) as session:
        session.add(CrawlRun(source="osce", status="ok", started_at=SCHEDULED_START, items_new=2,
                             finished_at=SCHEDULED_START + dt.timedelta(minutes=1)))  # fmt: skip
        session.add(CrawlRun(source="osce", status="failed", backfill=True, started_at=BACKFILL_START, items_new=7,
                             errors=3, finished_at=BACKFILL_START + dt.timedelta(minutes=2)))  # fmt: skip
    engine.dispose()
    return db_url


def _cli_json(args: list[str], db_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.chdir(tmp_path)  # no stray newswatch.toml
    monkeypatch.delenv("NEWSWATCH_CONFIG", raising=False)
    result = CliRunner().invoke(cli, [*args, "--format", "json"], env={"NEWSWATCH_DATABASE_URL": db_url})
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    key = "key" if "key" in rows[0] else "source"
    return {row[key]: row for row in rows}


def test_status_sources_list_stats_and_web_name_the_same_latest_run(runs: str, tmp_path, monkeypatch) -> None:
    status = _cli_json(["status"], runs, tmp_path, monkeypatch)["osce"]
    listed = _cli_json(["sources", "list"], runs, tmp_path, monkeypatch)["osce"]
    stats = _cli_json(["stats"], runs, tmp_path, monkeypatch)["osce"]
    engine = make_engine(runs)
    with TestClient(create_app(make_session_factory(engine))) as client:
        web = {item["name"]: item for item in client.get("/api/sources").json()["items"]}["osce"]
    engine.dispose()

    assert status["last_status"] == listed["last_status"] == stats["last_status"] == "failed"
    assert web["last_run"]["status"] == "failed"
    assert dt.datetime.fromisoformat(status["last_run_at"]) == BACKFILL_START
    assert dt.datetime.fromisoformat(listed["last_crawl"]) == BACKFILL_START
    assert dt.datetime.fromisoformat(web["last_run"]["started_at"]) == BACKFILL_START
    assert dt.datetime.fromisoformat(stats["last_crawl"]) == BACKFILL_START + dt.timedelta(
        minutes=2
    )  # finished
    assert status["last_new_items"] == web["last_run"]["items_new"] == 7
    # ... while the schedule still counts from the last scheduled run: a backfill does not push it back.
    interval = dt.timedelta(minutes=listed["interval"])
    assert dt.datetime.fromisoformat(status["next_run_at"]) == SCHEDULED_START + interval


def test_latest_with_and_without_backfills(runs: str) -> None:
    engine = make_engine(runs)
    with make_session_factory(engine)() as session:
        with_backfill = crawl_runs.latest(session, "osce", include_backfill=True)
        scheduled = crawl_runs.latest(session, "osce", include_backfill=False)
        assert with_backfill is not None and with_backfill.backfill and with_backfill.status == "failed"
        assert scheduled is not None and not scheduled.backfill and scheduled.status == "ok"
        assert crawl_runs.latest(session, "tdi", include_backfill=True) is None
        assert crawl_runs.last_success(session, "osce") == SCHEDULED_START
        assert crawl_runs.last_success(session, "tdi") is None
    engine.dispose()
