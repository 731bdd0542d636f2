"""``newswatch tags``, the tag/topic/section filters, unknown values and relative dates, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from test_cli_archive import store

from newswatch.cli import cli


@pytest.fixture
def runner(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    store(sqlite_url)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSWATCH_CONFIG", raising=False)
    monkeypatch.setenv("NEWSWATCH_DATABASE_URL", sqlite_url)
    return CliRunner()


def run(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(cli, list(args), catch_exceptions=False)


def test_tags_lists_every_tag_with_its_count(runner: CliRunner) -> None:
    result = run(runner, "tags", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.output) == [
        {"kind": "topic", "tag": "border", "articles": 2},
        {"kind": "topic", "tag": "water", "articles": 1},
    ]
    assert "border" in run(runner, "tags").output
    assert run(runner, "tags", "--kind", "section").stderr.strip() == "no tags yet"


def test_tag_filter_ignores_case_and_topic_filters_by_kind(runner: CliRunner) -> None:
    result = run(runner, "search", "--tag", "BORDER", "--format", "json")
    assert len(json.loads(result.output)) == 2
    assert len(json.loads(run(runner, "search", "--topic", "Water", "--format", "json").output)) == 1


@pytest.mark.parametrize(
    ("args", "wording"),
    [
        (["--source", "osec"], "no article has source 'osec'; did you mean 'osce'?"),
        (["--lang", "xx"], "Known languages: en, ru, tg."),
        (["--tag", "bordre"], "did you mean 'border'?"),
        (["--section", "border"], "no article has section 'border'"),
    ],
)
def test_unknown_filter_values_are_one_line_errors_naming_close_matches(
    runner: CliRunner, args: list[str], wording: str
) -> None:
    for command in ("search", "export"):
        result = run(runner, command, *args)
        assert result.exit_code == 2
        assert wording in result.stderr and result.stderr.count("\n") == 1


def test_relative_dates_in_since_and_until(runner: CliRunner) -> None:
    recent = run(runner, "search", "--since", "7d", "--format", "json")
    assert recent.exit_code == 0 and json.loads(recent.output) == []  # the fixture is from 2024
    old = run(runner, "search", "--until", "yesterday", "--format", "json")
    assert len(json.loads(old.output)) == 3  # every dated article
    bad = run(runner, "search", "--since", "last week")
    assert bad.exit_code == 2 and "7d, 2w" in bad.stderr
