"""``newswatch crawl``, ``newswatch extract`` and ``newswatch sources list`` as a user runs them."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from newswatch.cli import cli
from newswatch.replicas.server import ReplicaServer

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "osce"
SEED_001 = GOLDEN / "seed-001-chairperson.html"


def write_config(tmp_path: Path, db_url: str, base_url: str = "http://127.0.0.1:9") -> Path:
    config = tmp_path / "newswatch.toml"
    config.write_text(
        f'database_url = "{db_url}"\n'
        "[crawl]\ndownload_delay = 0\nautothrottle = false\nretry_times = 0\ndownload_timeout = 10\n"
        f'[sources.osce]\nbase_url = "{base_url}"\n',
        encoding="utf-8",
    )
    return config


def invoke(config: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--config", str(config), *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.slow
def test_crawl_prints_progress_and_a_summary_per_source(tmp_path: Path, sqlite_url: str) -> None:
    with ReplicaServer("osce") as server:
        config = write_config(tmp_path, sqlite_url, server.base_url)
        env = {**os.environ, "NEWSWATCH_CONFIG": str(config)}
        command = [sys.executable, "-c", "from newswatch.cli import main; main()", "crawl", "osce"]
        first = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
        second = subprocess.run(
            [*command, "--format", "json"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240
        )
    assert first.returncode == 0, first.stderr
    header, rule, row = first.stdout.splitlines()
    assert header.split() == [
        "source",
        "status",
        "pages",
        "new",
        "updated",
        "unchanged",
        "dropped",
        "errors",
        "fallbacks",
    ]
    assert row.split()[:2] == ["osce", "ok"] and row.split()[3] == "11"
    assert (
        "crawling osce" in first.stderr
        and "osce: started" in first.stderr
        and "osce: ok; " in first.stderr
        and "Traceback" not in first.stderr
    )
    (summary,) = json.loads(second.stdout)
    assert (summary["source"], summary["status"], summary["new"], summary["pages"]) == ("osce", "ok", 0, 2)

    code, out, _ = invoke(config, "sources", "list", "--format", "json")
    assert code == 0
    osce = next(row for row in json.loads(out) if row["key"] == "osce")
    assert osce["entries"] == ["listing"] and osce["parser"] == "osce" and osce["interval"] == 60
    assert osce["last_status"] == "ok" and osce["last_crawl"]


def test_unknown_source_names_the_known_ones(tmp_path: Path, sqlite_url: str) -> None:
    code, out, err = invoke(write_config(tmp_path, sqlite_url), "crawl", "osec")
    assert code != 0 and out == ""
    assert "unknown source 'osec'; known sources: osce" in err and "Traceback" not in err


def test_a_broken_source_table_is_a_readable_error(tmp_path: Path, sqlite_url: str) -> None:
    config = write_config(tmp_path, sqlite_url)
    config.write_text(config.read_text() + "interval_minutes = 'hourly'\n", encoding="utf-8")
    code, _, err = invoke(config, "sources", "list")
    assert code != 0
    assert "source 'osce': key 'interval_minutes' must be an integer (got 'hourly')" in err


def test_sources_list_table(tmp_path: Path, sqlite_url: str) -> None:
    code, out, _ = invoke(write_config(tmp_path, sqlite_url), "sources", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["key", "name", "enabled", "languages"]
    assert any(line.startswith("osce ") and "listing" in line for line in lines[2:])


def test_extract_picks_the_osce_parser_from_the_page_url(tmp_path: Path, sqlite_url: str) -> None:
    code, out, _ = invoke(write_config(tmp_path, sqlite_url), "extract", str(SEED_001))
    assert code == 0
    (article,) = json.loads(out)
    assert article["url"] == "https://www.osce.org/cio/69105" and article["source"] == "osce"
    assert article["published_at"].startswith("2010-05-19") and article["extraction"] == "site"
    assert article["dateline"].lower() == "dushanbe" and article["content_type"] == "Press release"
    assert "Border management" in article["tags"] and "Holy See" not in article["body"]
    assert set(article) >= {"url", "title", "published_at", "body", "language", "authors", "tags", "dateline",
                            "source", "content_type", "extraction"}  # fmt: skip


def test_extract_many_files_in_order_gz_any_encoding_and_errors_per_file(
    tmp_path: Path, sqlite_url: str
) -> None:
    gz = tmp_path / "seed.html.gz"
    gz.write_bytes(gzip.compress(SEED_001.read_bytes()))
    cyrillic = tmp_path / "ru.html"
    text = "Делегация Таджикистана провела в Душанбе переговоры с ОБСЕ о безопасности границ. " * 4
    cyrillic.write_bytes(
        (
            '<html lang="ru"><head><meta charset="windows-1251"><title>Переговоры в Душанбе</title></head>'
            f"<body><article><h1>Переговоры в Душанбе</h1><p>{text}</p><p>{text}</p></article></body></html>"
        ).encode("cp1251")
    )
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    missing = tmp_path / "missing.html"
    code, out, err = invoke(
        write_config(tmp_path, sqlite_url), "extract", str(gz), str(empty), str(cyrillic), str(missing),
        "--format", "jsonl",
    )  # fmt: skip
    assert code == 1
    rows = [json.loads(line) for line in out.splitlines()]
    assert [Path(row["file"]).name for row in rows] == [
        "seed.html.gz",
        "empty.html",
        "ru.html",
        "missing.html",
    ]
    assert rows[0]["title"].startswith("Tajikistan is an important contributor")
    assert "error" in rows[1] and "error" in rows[3]
    assert rows[2]["title"] == "Переговоры в Душанбе" and rows[2]["language"] == "ru"
    assert rows[2]["source"] == "file" and rows[2]["extraction"] == "generic"
    assert f"{empty}:" in err and f"{missing}:" in err and "Traceback" not in err


def test_extract_with_an_explicit_source_and_url(tmp_path: Path, sqlite_url: str) -> None:
    code, out, _ = invoke(
        write_config(tmp_path, sqlite_url), "extract", str(SEED_001), "--source", "osce",
        "--url", "https://www.osce.org/node/420569",
    )  # fmt: skip
    assert code == 0
    assert json.loads(out)[0]["url"] == "https://www.osce.org/node/420569"


@pytest.mark.slow
def test_an_unreachable_site_gets_one_line_per_failure_with_its_cause(
    tmp_path: Path, sqlite_url: str
) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = write_config(tmp_path, sqlite_url, f"http://127.0.0.1:{port}")
    env = {**os.environ, "NEWSWATCH_CONFIG": str(config)}
    command = [sys.executable, "-c", "from newswatch.cli import main; main()", "crawl", "osce"]
    run = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert run.returncode == 1
    lines = run.stderr.splitlines()
    failures = [line for line in lines if f"cannot connect to 127.0.0.1:{port} (connection refused)" in line]
    assert failures and all(line.startswith("osce: http://127.0.0.1:") for line in failures)
    assert "Traceback" not in run.stderr and "finished (" not in run.stderr
    assert f"osce: failed, {len(failures)} error" in run.stderr
    assert len(lines) == 3 + len(failures)  # crawling..., started, the failures, the run's result

    verbose = subprocess.run([*command[:3], "-v", "crawl", "osce"], cwd=tmp_path, env=env, capture_output=True,
                             text=True, timeout=240)  # fmt: skip
    assert "Traceback" in verbose.stderr or "ERROR" in verbose.stderr  # the details are there with -v
