"""`newswatch web`: readable failures before serving (the serving itself is in test_web_browser.py)."""

from __future__ import annotations

import socket

import click
import pytest
from click.testing import CliRunner

from newswatch.cli import cli
from newswatch.cli.web_cmds import source_labels


def test_a_busy_port_is_a_clear_error(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWATCH_DATABASE_URL", sqlite_url)
    monkeypatch.delenv("NEWSWATCH_CONFIG", raising=False)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli, ["web", "--port", str(port)])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "Traceback" not in result.output


def test_an_out_of_range_port_is_refused() -> None:
    result = CliRunner().invoke(cli, ["web", "--port", "70000"])
    assert result.exit_code == 2 and "70000" in result.output


def test_source_names_come_from_the_registry_and_config() -> None:
    labels = source_labels({"osce": {"name": "OSCE (local name)"}})
    assert labels["osce"] == "OSCE (local name)"
    assert "asiaplus" in labels


def test_a_broken_source_table_is_a_click_error() -> None:
    with pytest.raises(click.ClickException):
        source_labels({"osce": "not a table"})  # type: ignore[dict-item]
