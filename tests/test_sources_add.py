"""``newswatch sources add URL`` against replica sites on 127.0.0.1: what it finds, prints and writes."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import crawler.subscribe  # noqa: F401 - trafilatura's import-time urllib3 SOCKS warning happens here, not in a test
from crawler.sources import load_registry
from newswatch.cli import cli
from newswatch.replicas.server import ReplicaServer

HOME = (
    "<html><head><title>The Times of Central Asia</title>"
    '<link rel="alternate" type="application/rss+xml" href="/category/tajikistan/feed/"></head>'
    '<body><a href="/tajikistan-and-osce-discuss-border-security-cooperation/">Border talks</a></body></html>'
)


@pytest.fixture
def runner(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSWATCH_CONFIG", raising=False)
    monkeypatch.setenv("NEWSWATCH_DATABASE_URL", sqlite_url)
    return CliRunner()


def run(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(cli, ["sources", "add", *args], catch_exceptions=False)


def test_add_finds_the_announced_feed_shows_articles_and_prints_the_table(runner: CliRunner) -> None:
    with ReplicaServer("timesca") as server:
        server.put("/", HOME)
        result = run(runner, server.url("/"), "--key", "times2")
    assert result.exit_code == 0, result.output
    assert f"feed {server.url('/category/tajikistan/feed/')}" in result.output
    assert "Tajikistan and OSCE Discuss Border Security Cooperation" in result.output
    assert "| relevant" in result.output and "| filtered out" in result.output  # the Kazakh grain story
    table = tomllib.loads(result.output.split("\n\n", 1)[1])["sources"]["times2"]
    assert table["name"] == "The Times of Central Asia" and table["languages"] == ["en"]
    assert table["entry"] == [{"kind": "feed", "path": "/category/tajikistan/feed/"}]
    assert not Path("newswatch.toml").exists()  # printed only


def test_add_write_appends_a_table_the_registry_accepts(runner: CliRunner) -> None:
    with ReplicaServer("timesca") as server:
        server.put("/", HOME)
        result = run(runner, server.url("/"), "--key", "times2", "--write")
        again = run(runner, server.url("/"), "--key", "times2", "--write")
    assert result.exit_code == 0, result.output
    written = tomllib.loads(Path("newswatch.toml").read_text())
    source = load_registry(written["sources"]).get("times2")
    assert source.base_url == server.base_url and source.entries[0].kind == "feed"
    assert again.exit_code != 0 and "exists already" in again.output


def test_add_falls_back_to_the_usual_sitemap_path(runner: CliRunner) -> None:
    with ReplicaServer("tdi") as server:
        server.put("/", "<html><head><title>TDI</title></head><body>JavaScript shell</body></html>")
        result = run(runner, server.url("/"))
    assert result.exit_code == 0, result.output
    assert f"sitemap {server.url('/sitemap_index.xml')}" in result.output.splitlines()[0]
    assert "Tajikistan hosts high-level conference on counter-terrorism" in result.output
    assert "(no title)" not in result.output  # the sitemap lists the home page too: not article-shaped


def test_add_refuses_a_site_without_feed_or_sitemap_and_says_why(runner: CliRunner) -> None:
    with ReplicaServer("eurasianet") as server:
        server.put(
            "/",
            '<html><body><a href="/tajikistan-pamir-highway-reopens-after-landslides/">x</a></body></html>',
        )
        result = run(runner, server.url("/"))
        missing = run(runner, server.url("/nothing-here/"))
    assert result.exit_code != 0
    assert "found no feed and no sitemap" in result.output and "1 article-shaped links" in result.output
    assert missing.exit_code != 0 and "cannot read the site: HTTP 404" in missing.output


def test_add_refuses_a_non_http_url(runner: CliRunner) -> None:
    result = run(runner, "file:///etc/passwd")
    assert result.exit_code != 0 and "not an http(s) URL" in result.output


def test_add_still_finds_the_sitemap_when_the_home_page_is_gone(runner: CliRunner) -> None:
    with ReplicaServer("tdi") as server:  # the replica has no home page: "/" answers 404
        result = run(runner, server.url("/"))
    assert result.exit_code == 0, result.output
    assert f"sitemap {server.url('/sitemap_index.xml')}" in result.output.splitlines()[0]
    assert "Tajikistan hosts high-level conference on counter-terrorism" in result.output
    assert "(no title)" not in result.output  # the sitemap lists the home page too: not article-shaped
