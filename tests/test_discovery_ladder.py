"""The discovery ladder end to end: a replica whose entry point broke still yields its articles.

Each test turns a replica into a "redesigned" variant of its site (the registry's feed moved, the
listing's classes renamed, the listing gone), crawls it with ``python -m crawler.runner`` like
tests/test_regional_crawl.py, and checks the articles arrive through the named rung and the run
records ``degraded: <entry> failed (<cause>), used <rung>``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from newswatch.replicas.server import ReplicaServer
from scheduler.health import source_status
from storage.db import make_engine, make_session_factory
from storage.models import Article, CrawlRun

ROOT = Path(__file__).resolve().parents[1]
FAST = {"download_delay": 0, "autothrottle": False, "RETRY_TIMES": 0, "DOWNLOAD_TIMEOUT": 10}

pytestmark = pytest.mark.slow  # each test runs a crawl in a subprocess

EURASIANET_ARTICLES = [
    "/tajikistan-pamir-highway-reopens-after-landslides/",
    "/tajikistan-rogun-dam-financing-talks-resume-with-world-bank/",
    "/tajikistan-migrants-remittances-fall-as-ruble-weakens/",
    "/kyrgyzstan-parliament-approves-new-media-law/",
]


def crawl(
    db_url: str, key: str, server: ReplicaServer, *, exit_code: int = 0, **source: Any
) -> dict[str, Any]:
    """One run of ``key`` against the replica (as tests/test_regional_crawl.py does); its summary."""
    overrides = {key: {"base_url": server.base_url, **source}}
    command = [sys.executable, "-m", "crawler.runner", db_url, key, "--overrides", json.dumps(overrides),
               "--options", json.dumps(FAST)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert done.returncode == exit_code, done.stderr[-3000:]
    (summary,) = json.loads(done.stdout)
    return dict(summary)


def stored(db_url: str, key: str) -> set[str]:
    """Titles of the articles stored for ``key``."""
    engine = make_engine(db_url)
    try:
        with make_session_factory(engine)() as session:
            return set(session.scalars(select(Article.title).where(Article.source == key)))
    finally:
        engine.dispose()


def last_run(db_url: str, key: str) -> tuple[CrawlRun, str | None]:
    engine = make_engine(db_url)
    try:
        with make_session_factory(engine)() as session:
            run = session.scalars(
                select(CrawlRun).where(CrawlRun.source == key).order_by(CrawlRun.id.desc())
            ).first()
            assert run is not None
            (status,) = source_status(session, [(key, True, 3600.0)])
            session.expunge_all()
            return run, status.health
    finally:
        engine.dispose()


def test_moved_feed_is_found_through_the_home_pages_announcement(sqlite_url: str) -> None:
    with ReplicaServer("timesca") as server:
        with urllib.request.urlopen(server.url("/category/tajikistan/feed/")) as answer:
            feed = answer.read()
        server.put("/feed/", feed, "application/rss+xml")
        server.put(
            "/",
            '<html><head><link rel="alternate" type="application/rss+xml" title="The Times" href="/feed/">'
            "</head><body><p>Redesigned home</p></body></html>",
        )
        server.fail("/category/tajikistan/feed/", "status", status=404)
        summary = crawl(sqlite_url, "timesca", server)
        paths = server.paths()
    assert "/feed/" in paths and "/robots.txt" not in paths  # the first rung worked: no sitemap probing
    assert (summary["status"], summary["items_new"], summary["items_dropped"]) == ("ok", 2, 1)
    assert "Tajikistan and OSCE Discuss Border Security Cooperation" in stored(sqlite_url, "timesca")
    run, health = last_run(sqlite_url, "timesca")
    expected = f"degraded: {server.url('/category/tajikistan/feed/')} failed (HTTP 404), used feed {server.url('/feed/')}"
    assert expected in (run.log_excerpt or "")
    assert health == expected


def test_listing_with_renamed_classes_falls_back_to_the_sitemap_robots_txt_names(sqlite_url: str) -> None:
    with ReplicaServer("eurasianet") as server:
        urls = "".join(f"<url><loc>{server.url(path)}</loc></url>" for path in EURASIANET_ARTICLES)
        server.put(
            "/site-map.xml",
            f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>',
            "application/xml",
        )
        server.put(
            "/robots.txt", f"User-agent: *\nAllow: /\nSitemap: {server.url('/site-map.xml')}\n", "text/plain"
        )
        renamed = {
            "kind": "listing",
            "path": "/region/tajikistan",
            "item_selector": "article.card",  # the redesign renamed article.teaser
            "link_selector": "h2 a::attr(href)",
        }
        summary = crawl(sqlite_url, "eurasianet", server, entry=[renamed])
        paths = server.paths()
    assert "/site-map.xml" in paths
    assert (summary["status"], summary["items_new"], summary["items_dropped"]) == ("ok", 3, 1)
    assert "Tajikistan: Rogun dam financing talks resume with World Bank" in stored(sqlite_url, "eurasianet")
    _run, health = last_run(sqlite_url, "eurasianet")
    assert health == (
        f"degraded: {server.url('/region/tajikistan')} failed (its selectors found no links), "
        f"used sitemap {server.url('/site-map.xml')}"
    )


def test_listing_gone_and_no_feed_or_sitemap_uses_article_links_on_the_home_page(sqlite_url: str) -> None:
    with ReplicaServer("eurasianet") as server:
        anchors = "".join(
            f'<li><a href="{path}">Story {n}</a></li>' for n, path in enumerate(EURASIANET_ARTICLES)
        )
        server.put(
            "/", f'<html><body><nav><a href="/region/">Regions</a></nav><ul>{anchors}</ul></body></html>'
        )
        server.fail("/region/tajikistan", "status", status=404)
        summary = crawl(sqlite_url, "eurasianet", server)
        paths = server.paths()
    assert "/region/" not in paths  # a section link is not article-shaped
    assert (summary["status"], summary["items_new"], summary["items_dropped"]) == ("ok", 3, 1)
    _run, health = last_run(sqlite_url, "eurasianet")
    assert (
        health
        == f"degraded: {server.url('/region/tajikistan')} failed (HTTP 404), used links on {server.url('/')}"
    )


def test_nothing_on_any_rung_is_an_error_with_the_reason(sqlite_url: str) -> None:
    with ReplicaServer("eurasianet") as server:
        server.fail("/region/tajikistan", "status", status=404)
        summary = crawl(sqlite_url, "eurasianet", server, exit_code=1)
    # not one page came back (entry, home, feeds, robots.txt and sitemaps all 404): a failed run
    assert (summary["status"], summary["items_new"]) == ("failed", 0)
    assert summary["errors"] >= 2  # the entry point and the empty ladder
    run, health = last_run(sqlite_url, "eurasianet")
    assert "no fallback found articles" in (run.log_excerpt or "")
    assert health is not None and health.startswith("degraded: ") and "no fallback found articles" in health
