"""End-to-end crawls of every regional source against its replica on 127.0.0.1.

Each crawl runs ``python -m crawler.runner`` in a subprocess (Scrapy's reactor cannot restart in one
process) with the source's ``base_url`` pointed at a ReplicaServer, then the test reads the archive and
the server's request log: which pages were fetched, what was stored, what relevance dropped.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crawler.spiders.sitemap import SitemapError, read_sitemap
from newswatch.replicas.server import ReplicaServer
from storage.db import make_engine, make_session_factory
from storage.models import Article

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow  # each test runs one or two crawls in a subprocess

FAST = {"download_delay": 0, "autothrottle": False, "RETRY_TIMES": 0, "DOWNLOAD_TIMEOUT": 10}
TDI_ENTRY = {
    "kind": "sitemap",
    "path": "/sitemap_index.xml",
    "url_pattern": "/[a-z0-9]+(-[a-z0-9]+)+/$",
    # a window reaching back to the start of 2022: the 2019 entry is too old, the rest is not
    "extra": {"max_age_days": (dt.datetime.now(dt.UTC) - dt.datetime(2022, 1, 1, tzinfo=dt.UTC)).days},
}


def crawl(db_url: str, key: str, server: ReplicaServer, **source: Any) -> dict[str, Any]:
    overrides = {key: {"base_url": server.base_url, **source}}
    command = [sys.executable, "-m", "crawler.runner", db_url, key, "--overrides", json.dumps(overrides),
               "--options", json.dumps(FAST)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    (summary,) = json.loads(done.stdout)
    return summary


def stored(db_url: str, key: str) -> dict[str, Article]:
    engine = make_engine(db_url)
    try:
        with make_session_factory(engine)() as session:
            rows = session.scalars(select(Article).where(Article.source == key)).all()
            session.expunge_all()
            return {row.title: row for row in rows}
    finally:
        engine.dispose()


def test_times_of_central_asia_feed(sqlite_url: str) -> None:
    with ReplicaServer("timesca") as server:
        summary = crawl(sqlite_url, "timesca", server)
        paths = server.paths()
    assert (summary["status"], summary["items_new"], summary["items_dropped"]) == ("ok", 2, 1)
    assert summary["errors"] == 0
    assert summary["links_found"] == 3  # what the scheduler's health check reads
    articles = stored(sqlite_url, "timesca")
    full = articles["Tajikistan and OSCE Discuss Border Security Cooperation"]
    assert full.extraction == "feed"  # content:encoded held the whole story ...
    assert "/tajikistan-and-osce-discuss-border-security-cooperation/" not in paths  # ... so no page fetch
    teaser = articles["Dushanbe Water Conference Closes With Call for Glacier Monitoring"]
    assert teaser.extraction == "site"  # "[…]" teaser: the page was fetched and parsed
    assert teaser.authors == ["Farangis Najibullah"]
    assert "Kazakhstan’s Grain Exports Reach Record High" not in articles  # not about Tajikistan


def test_diplomatic_insight_sitemap_with_window_and_gzip(sqlite_url: str) -> None:
    with ReplicaServer("tdi") as server:
        summary = crawl(sqlite_url, "tdi", server, entry=[TDI_ENTRY])
        paths = server.paths()
    assert "/news-sitemap.xml.gz" in paths and "/post-sitemap.xml" in paths
    assert "/tajik-delegation-visits-islamabad/" not in paths  # lastmod 2019: outside the window
    assert "/" not in paths  # the home page does not match url_pattern
    # UN GA: not relevant
    assert (summary["status"], summary["items_new"], summary["items_dropped"]) == ("ok", 2, 1)
    assert summary["links_found"] == 6  # every URL the two sitemaps list, old ones included
    articles = stored(sqlite_url, "tdi")
    conference = articles["Tajikistan hosts high-level conference on counter-terrorism"]
    assert conference.dateline == "Dushanbe"
    assert conference.published_at.replace(tzinfo=None) == dt.datetime(2024, 9, 23, 15, 45)


def test_sitemap_skips_what_the_last_successful_run_saw(sqlite_url: str) -> None:
    """A second scheduled run only looks at entries newer than the last successful run (minus a day)."""
    with ReplicaServer("tdi") as server:
        crawl(sqlite_url, "tdi", server, entry=[TDI_ENTRY])
        server.clear_log()
        summary = crawl(sqlite_url, "tdi", server, entry=[TDI_ENTRY])
        paths = server.paths()
    # the sitemaps answer 304 or list only entries older than the last run: no article is fetched again
    assert not [p for p in paths if "sitemap" not in p]
    assert (summary["items_new"], summary["errors"]) == (0, 0)


def test_asia_plus_two_editions_mixed_language_relevance(db_url: str) -> None:
    """English and Russian feeds in one source; a Russian item about Душанбе is kept, an Uzbek one dropped."""
    with ReplicaServer("asiaplus") as server:
        summary = crawl(db_url, "asiaplus", server)
    assert (summary["status"], summary["items_new"], summary["items_dropped"]) == ("ok", 2, 1)
    articles = stored(db_url, "asiaplus")
    russian = articles["В Душанбе открылся новый центр обслуживания граждан"]
    assert russian.language == "ru"
    assert "Dushanbe" in russian.relevance_terms
    english = articles["Tajikistan and OSCE sign plan on border management training for 2025"]
    assert english.language == "en"
    assert not any("Toshkent" in title for title in articles)


def test_eurasianet_listing_with_pagination(sqlite_url: str) -> None:
    with ReplicaServer("eurasianet") as server:
        summary = crawl(sqlite_url, "eurasianet", server)
        paths = server.paths()
    assert "/region/tajikistan?page=1" in paths
    assert (summary["status"], summary["items_new"], summary["items_dropped"]) == ("ok", 3, 1)
    articles = stored(sqlite_url, "eurasianet")
    assert "Kyrgyzstan: Parliament approves new media law" not in articles
    rogun = articles["Tajikistan: Rogun dam financing talks resume with World Bank"]
    assert rogun.tags[:2] == ["Energy", "Tajikistan"]
    assert "newsletter" not in rogun.body


def test_eurasianet_second_run_fetches_nothing_new(sqlite_url: str) -> None:
    with ReplicaServer("eurasianet") as server:
        crawl(sqlite_url, "eurasianet", server)
        server.clear_log()
        summary = crawl(sqlite_url, "eurasianet", server)
        log = list(server.log)
    assert summary["items_new"] == 0
    assert [(r.path, r.status) for r in log if r.path != "/robots.txt"] == [("/region/tajikistan", 304)]


def test_radio_ozodi_pangea_feed_in_tajik(sqlite_url: str) -> None:
    with ReplicaServer("ozodi") as server:
        summary = crawl(sqlite_url, "ozodi", server)
    assert (summary["status"], summary["items_new"], summary["errors"]) == ("ok", 2, 0)
    articles = stored(sqlite_url, "ozodi")
    border = articles["Дар Душанбе конфронси САҲА оид ба амнияти марз баргузор шуд"]
    assert border.language == "tg"
    assert border.authors == ["Фарангис Наҷибуллоҳ"]
    assert "Вебсайти Радиои Озодӣ" not in border.body  # the embed box is not article text
    flour = articles["Нархи орд дар бозорҳои Хуҷанд боло рафт"]
    assert {"Khujand", "Sughd"} <= set(flour.relevance_terms)


def test_khovar_tajik_and_russian_feeds(sqlite_url: str) -> None:
    with ReplicaServer("khovar") as server:
        summary = crawl(sqlite_url, "khovar", server)
        paths = server.paths()
    assert (summary["status"], summary["items_new"]) == ("ok", 2)
    assert "/rus/2024/09/v-dushanbe-obsudili-sotrudnichestvo-s-obse/" not in paths  # full text in the feed
    articles = stored(sqlite_url, "khovar")
    languages = {article.language for article in articles.values()}
    assert languages == {"tg", "ru"}
    assert all(article.dateline == "Душанбе" for article in articles.values())


def test_feed_that_is_not_a_feed_is_an_error_not_a_crash(sqlite_url: str) -> None:
    with ReplicaServer("ozodi") as server:
        server.put("/api/zrqiteuuir", "<html><body><h1>Maintenance</h1></body></html>")
        summary = crawl_allowing_failure(sqlite_url, "ozodi", server)
    assert summary["errors"] >= 1 and summary["items_new"] == 0


def crawl_allowing_failure(db_url: str, key: str, server: ReplicaServer) -> dict[str, Any]:
    overrides = {key: {"base_url": server.base_url}}
    command = [sys.executable, "-m", "crawler.runner", db_url, key, "--overrides", json.dumps(overrides),
               "--options", json.dumps(FAST)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert "Traceback" not in done.stdout
    (summary,) = json.loads(done.stdout)
    return summary


def test_windows_1251_feed_declared_only_in_the_xml_prolog(sqlite_url: str) -> None:
    """A Russian feed in windows-1251 with no charset in HTTP: the XML declaration is honoured."""
    with ReplicaServer("khovar") as server:
        feed = (ROOT / "newswatch/replicas/khovar/rus/feed/index.xml").read_text(encoding="utf-8")
        feed = feed.replace("{{BASE_URL}}", server.base_url).replace(
            'encoding="UTF-8"', 'encoding="windows-1251"'
        )
        server.put("/rus/feed/", feed.encode("windows-1251"), "application/rss+xml")
        server.put(
            "/feed/", b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>'
        )
        summary = crawl(sqlite_url, "khovar", server)
    assert (summary["items_new"], summary["errors"]) == (1, 0)
    (article,) = stored(sqlite_url, "khovar").values()
    assert article.title == "В Душанбе обсудили сотрудничество с ОБСЕ в сфере пограничной безопасности"
    assert "Программного офиса ОБСЕ" in article.body


def test_json_feed_entry_point(sqlite_url: str) -> None:
    with ReplicaServer("asiaplus") as server:
        path = "/en/news/tajikistan/politics/20240923/tajikistan-and-osce-sign-plan-on-border-management-training-for-2025"
        feed = {"version": "https://jsonfeed.org/version/1.1", "title": "ASIA-Plus",
                "items": [{"id": "258801", "url": server.base_url + path, "title": "Tajikistan and OSCE sign plan",
                           "date_published": "2024-09-23T12:40:00+05:00", "summary": "Teaser."}]}  # fmt: skip
        server.put("/en/rss", json.dumps(feed), "application/feed+json")
        server.put("/ru/rss", json.dumps({**feed, "items": []}), "application/feed+json")
        summary = crawl(sqlite_url, "asiaplus", server)
        paths = server.paths()
    assert summary["items_new"] == 1 and path in paths


def test_feed_second_run_is_a_conditional_get_only(sqlite_url: str) -> None:
    with ReplicaServer("ozodi") as server:
        crawl(sqlite_url, "ozodi", server)
        server.clear_log()
        summary = crawl(sqlite_url, "ozodi", server)
        log = [(r.path, r.status, r.conditional) for r in server.log if r.path != "/robots.txt"]
    assert summary["items_new"] == 0
    assert log == [("/api/zrqiteuuir", 304, True)]


def test_new_feed_item_after_a_run_fetches_only_that_article(sqlite_url: str) -> None:
    with ReplicaServer("ozodi") as server:
        crawl(sqlite_url, "ozodi", server)
        feed = (ROOT / "newswatch/replicas/ozodi/api/zrqiteuuir").read_text(encoding="utf-8")
        feed = feed.replace("{{BASE_URL}}", server.base_url)
        item = (
            "<item><title>Ҳайати САҲА ба Хоруғ сафар кард</title>"
            f"<link>{server.base_url}/a/33129999.html</link><pubDate>Wed, 25 Sep 2024 06:00:00 GMT</pubDate></item>"
        )
        server.put("/api/zrqiteuuir", feed.replace("<item>", item + "<item>", 1), "application/rss+xml")
        page = (ROOT / "newswatch/replicas/ozodi/a/33128571.html").read_text(encoding="utf-8")
        server.put("/a/33129999.html", page.replace("конфронси САҲА", "ҳайати САҲА дар Хоруғ"))
        server.clear_log()
        summary = crawl(sqlite_url, "ozodi", server)
        paths = server.paths()
    assert summary["items_new"] == 1
    assert paths == ["/api/zrqiteuuir", "/a/33129999.html"]


def test_listing_date_is_the_fallback_for_an_undated_article(sqlite_url: str) -> None:
    with ReplicaServer("eurasianet") as server:
        path = "/tajikistan-pamir-highway-reopens-after-landslides"
        page = (ROOT / "newswatch/replicas/eurasianet" / path.strip("/") / "index.html").read_text(
            encoding="utf-8"
        )
        page = re.sub(r"<time[^>]*>.*?</time>", "", page)
        page = re.sub(r'<meta property="article:published_time"[^>]*>', "", page)
        server.put(path, page)
        crawl(sqlite_url, "eurasianet", server)
    article = stored(sqlite_url, "eurasianet")["Tajikistan: Pamir Highway reopens after landslides"]
    assert article.published_at.replace(tzinfo=None) == dt.datetime(2024, 9, 18, 8, 30)


# --- sitemap reading (no crawl) ----------------------------------------------------------------------


def test_read_sitemap_index_news_and_gzip() -> None:
    index = read_sitemap((ROOT / "newswatch/replicas/tdi/sitemap_index.xml").read_bytes())
    assert index.is_index and [e.loc.rsplit("/", 1)[-1] for e in index.entries] == [
        "post-sitemap.xml", "news-sitemap.xml.gz",
    ]  # fmt: skip
    news = read_sitemap((ROOT / "newswatch/replicas/tdi/news-sitemap.xml.gz").read_bytes())
    assert not news.is_index
    first = news.entries[0]
    assert first.published == dt.datetime(2024, 9, 23, 15, 45, tzinfo=dt.UTC)
    assert first.title == "Tajikistan hosts high-level conference on counter-terrorism"
    assert first.language == "en"


@pytest.mark.parametrize(
    ("body", "reason"),
    [(b"<html><body>404</body></html>", "not a sitemap"), (b"\x1f\x8b\x08garbage", "broken gzip"),
     (b"", "empty")],
)  # fmt: skip
def test_read_sitemap_rejects_what_is_not_a_sitemap(body: bytes, reason: str) -> None:
    with pytest.raises(SitemapError, match=reason):
        read_sitemap(body)


def test_read_sitemap_never_expands_entities() -> None:
    bomb = b"""<?xml version="1.0"?><!DOCTYPE u [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>
    <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://x.org/&b;</loc></url></urlset>"""
    sitemap = read_sitemap(bomb)
    assert len(sitemap.entries) == 1  # the entry is read (so the check below looks at something) ...
    assert "aaaaaaaaaa" not in sitemap.entries[0].loc  # ... and the entity is not expanded into it


def test_sitemap_news_only_and_max_urls(sqlite_url: str) -> None:
    entry = {**TDI_ENTRY, "news_only": True, "max_urls": 1}
    with ReplicaServer("tdi") as server:
        summary = crawl(sqlite_url, "tdi", server, entry=[entry])
        articles = [p for p in server.paths() if "sitemap" not in p]
    # only the news sitemap's entries count, and only the first of them is taken
    assert articles == ["/tajikistan-hosts-high-level-conference-on-counter-terrorism/"]
    assert summary["items_new"] == 1


def test_a_wordpress_source_added_as_data_only(sqlite_url: str) -> None:
    """A new WordPress outlet is one [sources.*] table naming the shared ``wordpress`` parser (here served
    by Khovar's replica, a WordPress site): no module, no spider, and the site layer reads every page."""
    table = {"name": "A WordPress outlet", "languages": ["tg"], "parser": "wordpress", "spider": "feed",
             "entry": [{"kind": "feed", "path": "/feed/"}]}  # fmt: skip
    with ReplicaServer("khovar") as server:
        summary = crawl(sqlite_url, "wpnews", server, **table)
        paths = server.paths()
    assert (summary["status"], summary["items_new"], summary["errors"]) == ("ok", 1, 0)
    (article,) = stored(sqlite_url, "wpnews").values()
    assert article.url.removeprefix(server.base_url) in paths  # fetched and parsed, not taken from the feed
    assert (article.extraction, article.language) == ("site", "tg")
    assert article.published_at is not None and article.body
    assert not {"title", "body", "published"} & set(article.extra.get("fallback_fields", []))
