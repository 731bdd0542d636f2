"""Cluster mode is opt-in and refuses set-ups it cannot keep its promises on (no broker or server needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from newswatch.cli import cli
from newswatch.cli.serve_cmds import cluster_config, service_config
from newswatch.config import load_settings
from scheduler.config import ClusterConfig, ServiceConfig


def test_a_cluster_refuses_sqlite_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="a cluster shares one PostgreSQL database"):
        ServiceConfig(
            database_url="sqlite:///var/x.db", cluster=ClusterConfig(broker_url="amqp://127.0.0.1//")
        )


def test_without_a_cluster_table_the_service_stays_single_machine(tmp_path: Path) -> None:
    settings = load_settings(None, database_url=f"sqlite:///{tmp_path / 'x.db'}")
    assert cluster_config(settings) is None
    assert service_config(settings).cluster is None


def test_the_cluster_table_and_its_environment_variable_reach_the_scheduler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "newswatch.toml"
    config.write_text('database_url = "postgresql+psycopg://nw@db/nw"\n[cluster]\nworker_concurrency = 3\n')
    monkeypatch.setenv("NEWSWATCH_CLUSTER__BROKER_URL", "amqp://nw:secret@broker:5672//")
    cluster = service_config(load_settings(config)).cluster
    assert cluster == ClusterConfig(broker_url="amqp://nw:secret@broker:5672//", worker_concurrency=3)


def test_worker_without_a_broker_says_what_to_set(tmp_path: Path) -> None:
    config = tmp_path / "newswatch.toml"
    config.write_text(f'database_url = "sqlite:///{tmp_path / "x.db"}"\n')
    result = CliRunner().invoke(cli, ["--config", str(config), "worker"])
    assert result.exit_code == 1
    assert "no broker configured: set [cluster] broker_url" in result.output


def test_worker_on_sqlite_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "newswatch.toml"
    config.write_text(
        f'database_url = "sqlite:///{tmp_path / "x.db"}"\n[cluster]\nbroker_url = "amqp://h//"\n'
    )
    result = CliRunner().invoke(cli, ["--config", str(config), "worker"])
    assert result.exit_code == 1
    assert "shares one PostgreSQL database" in result.output
    assert not (tmp_path / "x.db").exists()  # refused before touching any database
