"""`newswatch status` and `newswatch serve` as a user meets them: readable output, clear refusals."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from newswatch.cli import cli
from scheduler.lease import Lease
from storage.db import make_engine, make_session_factory, session_scope
from storage.models import CrawlRun
from storage.types import utcnow


@pytest.fixture
def env(tmp_path, monkeypatch, sqlite_url) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)  # no stray newswatch.toml
    monkeypatch.delenv("NEWSWATCH_CONFIG", raising=False)
    return {"NEWSWATCH_DATABASE_URL": sqlite_url}


def test_status_reports_each_source_as_json_and_table(env, sqlite_url) -> None:
    sessions = make_session_factory(make_engine(sqlite_url))
    started = utcnow() - dt.timedelta(minutes=10)
    with session_scope(sessions) as session:
        session.add(
            CrawlRun(source="osce", status="ok", started_at=started, items_new=3, finished_at=utcnow())
        )
    result = CliRunner().invoke(cli, ["status", "--format", "json"], env=env)
    assert result.exit_code == 0, result.output
    rows = {row["source"]: row for row in json.loads(result.output)}
    assert rows["osce"]["last_status"] == "ok" and rows["osce"]["last_new_items"] == 3
    assert rows["osce"]["consecutive_failures"] == 0
    assert dt.datetime.fromisoformat(rows["osce"]["next_run_at"]) > utcnow()
    table = CliRunner().invoke(cli, ["status"], env=env)
    assert table.exit_code == 0 and "osce" in table.output and "scheduler: not running" in table.output


def test_serve_refuses_while_another_instance_holds_the_lease(env, sqlite_url) -> None:
    Lease(make_session_factory(make_engine(sqlite_url)), holder="otherhost:4242", ttl_seconds=600).acquire()
    result = CliRunner().invoke(cli, ["serve"], env=env)
    assert result.exit_code == 1
    assert "otherhost:4242" in result.output and "--standby" in result.output
    assert "Traceback" not in result.output


def test_serve_with_an_unreachable_database_says_so_without_the_password(env) -> None:
    url = "postgresql+psycopg://newswatch:s3cret@127.0.0.1:9/newswatch"
    result = CliRunner().invoke(cli, ["serve"], env={**env, "NEWSWATCH_DATABASE_URL": url})
    assert result.exit_code == 1
    assert "cannot open the database" in result.output and "s3cret" not in result.output
    assert "Traceback" not in result.output


def test_serve_checks_its_lease_options(env) -> None:
    result = CliRunner().invoke(cli, ["serve", "--lease-seconds", "10", "--heartbeat-seconds", "20"], env=env)
    assert result.exit_code == 2 and "--heartbeat-seconds" in result.output


def test_serve_with_an_unknown_time_zone_says_which_key(env) -> None:
    result = CliRunner().invoke(cli, ["serve"], env={**env, "NEWSWATCH_SCHEDULER__TIMEZONE": "Mars/Olympus"})
    assert result.exit_code == 1
    assert "scheduler.timezone" in result.output and "Mars/Olympus" in result.output
    assert "Traceback" not in result.output
