"""The canary (``newswatch sources check``) against the replicas: healthy, redesigned, unreachable, broken."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.canary import Fetcher, check_sources
from crawler.sources import load_registry
from newswatch.cli import cli
from newswatch.replicas.server import ReplicaServer

ROOT = Path(__file__).resolve().parents[1]

SITES = ["timesca", "tdi", "asiaplus", "eurasianet", "ozodi", "khovar"]
AGENT = "newswatch-canary-test/1.0 (+mailto:ops@example.org)"


@pytest.fixture(scope="module")
def replicas() -> Iterator[dict[str, ReplicaServer]]:
    servers = {site: ReplicaServer(site).start() for site in SITES}
    yield servers
    for server in servers.values():
        server.stop()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sources_for(servers: dict[str, ReplicaServer], **extra: dict) -> list:
    registry = load_registry({key: {"base_url": server.base_url} for key, server in servers.items()} | extra)
    return [registry.get(key) for key in [*servers, *extra]]


def test_every_regional_source_is_healthy_on_its_replica(replicas: dict[str, ReplicaServer]) -> None:
    results = check_sources(sources_for(replicas), Fetcher(AGENT, timeout=10))
    by_source = {r.source: r for r in results}
    assert {key: r.status for key, r in by_source.items()} == dict.fromkeys(SITES, "ok")
    for result in results:
        assert result.title and result.published and result.body_chars > 300
        assert result.extraction == "site" and result.fallback_fields == [] and result.problems == []
    assert {key: r.language for key, r in by_source.items()} == {
        "timesca": "en", "tdi": "en", "asiaplus": "en", "eurasianet": "en", "ozodi": "tg", "khovar": "tg",
    }  # fmt: skip
    assert by_source["tdi"].entry_kind == "sitemap" and by_source["eurasianet"].entry_kind == "listing"
    assert by_source["ozodi"].article_url.endswith("/a/33128571.html")  # the feed's newest item


def test_uses_the_configured_user_agent(replicas: dict[str, ReplicaServer]) -> None:
    server = replicas["ozodi"]
    server.clear_log()
    check_sources(sources_for({"ozodi": server}), Fetcher(AGENT, timeout=10))
    agents = {entry.user_agent for entry in server.log}
    assert agents == {AGENT}


def test_redesigned_site_reports_the_generic_fallback() -> None:
    """Eurasianet renames its classes: the article is still read, by the generic layer, and we say so."""
    with ReplicaServer("eurasianet") as server:
        path = "/tajikistan-rogun-dam-financing-talks-resume-with-world-bank"
        original = (ROOT / "newswatch/replicas/eurasianet" / path.strip("/") / "index.html").read_text(
            encoding="utf-8"
        )
        redesigned = (  # a new theme: no <article>, no <h1>, renamed body field
            original.replace('<h1 class="node-title">', '<div class="story-headline">')
            .replace("</h1>", "</div>")
            .replace("<article", "<section")
            .replace("</article>", "</section>")
            .replace("field--name-body", "story-text")
        )
        server.put(path, redesigned)
        (result,) = check_sources(sources_for({"eurasianet": server}), Fetcher(AGENT, timeout=10))
    assert result.status == "degraded"
    assert result.extraction == "generic"
    assert {"title", "body"} <= set(result.fallback_fields)
    assert result.title == "Tajikistan: Rogun dam financing talks resume with World Bank"
    assert result.body_chars > 300
    assert any("generic fallback" in problem for problem in result.problems)


def test_unreachable_source_is_reported_and_the_others_still_checked(
    replicas: dict[str, ReplicaServer],
) -> None:
    dead = {"base_url": f"http://127.0.0.1:{closed_port()}"}
    sources = sources_for(
        {"ozodi": replicas["ozodi"]}, khovar=dead, timesca={"base_url": replicas["timesca"].base_url}
    )
    results = check_sources(sources, Fetcher(AGENT, timeout=5))
    assert [(r.source, r.status) for r in results] == [
        ("ozodi", "ok"),
        ("khovar", "failed"),
        ("timesca", "ok"),
    ]
    (problem,) = results[1].problems
    assert "cannot connect" in problem and "/feed/" in problem


def test_http_error_and_non_feed_are_reported() -> None:
    with ReplicaServer("asiaplus") as server:
        server.fail("/en/rss", "status", status=503)
        (result,) = check_sources(sources_for({"asiaplus": server}), Fetcher(AGENT, timeout=5))
        assert result.status == "failed" and "HTTP 503" in result.problems[0]
        server.clear_faults()
        server.put("/en/rss", "<html><body>Scheduled maintenance</body></html>")
        (result,) = check_sources(sources_for({"asiaplus": server}), Fetcher(AGENT, timeout=5))
        assert result.status == "failed" and "not a readable feed" in result.problems[0]


def test_robots_txt_is_honoured() -> None:
    with ReplicaServer("ozodi") as server:
        server.put("/robots.txt", "User-agent: *\nDisallow: /a/\n", "text/plain")
        (result,) = check_sources(sources_for({"ozodi": server}), Fetcher(AGENT, timeout=5))
    assert result.status == "failed"
    assert "robots.txt forbids" in result.problems[0]


def write_config(tmp_path: Path, sources: dict[str, str]) -> Path:
    lines = [f'database_url = "sqlite:///{tmp_path / "nw.db"}"', "[crawl]", 'user_agent = "newswatch-cli-test/1"',
             "download_timeout = 5"]  # fmt: skip
    for key, base_url in sources.items():
        lines += [f"[sources.{key}]", f'base_url = "{base_url}"']
    path = tmp_path / "newswatch.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_cli_json_and_exit_status(replicas: dict[str, ReplicaServer], tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        {"ozodi": replicas["ozodi"].base_url, "tdi": replicas["tdi"].base_url,
         "khovar": f"http://127.0.0.1:{closed_port()}"},
    )  # fmt: skip
    result = CliRunner().invoke(
        cli, ["--config", str(config), "sources", "check", "ozodi", "tdi", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(row["source"], row["status"]) for row in rows] == [("ozodi", "ok"), ("tdi", "ok")]
    assert "checking ozodi" in result.stderr  # progress goes to stderr, data to stdout

    failing = CliRunner().invoke(cli, ["--config", str(config), "sources", "check", "khovar", "ozodi"])
    assert failing.exit_code == 1
    assert "Traceback" not in failing.output
    table = failing.stdout
    assert re.search(r"khovar\s+failed", table) and re.search(r"ozodi\s+ok", table)
    assert "cannot connect" in table


def test_cli_unknown_source_is_a_clear_error(tmp_path: Path) -> None:
    config = write_config(tmp_path, {})
    result = CliRunner().invoke(cli, ["--config", str(config), "sources", "check", "nosuch"])
    assert result.exit_code != 0
    assert "unknown source 'nosuch'" in result.output and "Traceback" not in result.output


def test_slow_source_times_out_with_a_readable_message() -> None:
    with ReplicaServer("ozodi") as server:
        server.fail("/a/33128571.html", "slow", delay=3)
        (result,) = check_sources(sources_for({"ozodi": server}), Fetcher(AGENT, timeout=0.5))
    assert result.status == "failed"
    assert re.search(r"no answer within 0.5 s|timed out", result.problems[0]), result.problems
