"""The OSCE spider end to end on loopback: replica server → Scrapy → pipelines → SQLite / PostgreSQL.

Each crawl runs in a child process (``python -m crawler.runner``) because Scrapy's reactor cannot be
restarted inside the pytest process. Assertions are on the replica's request log and on the database.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from newswatch.replicas.server import ReplicaServer
from storage.db import make_engine, make_session_factory
from storage.models import Article, ArticleRaw, ArticleTag, CrawlRun, HttpValidator

ROOT = Path(__file__).resolve().parents[1]
OFFICE_LISTING = "/press-releases?filters=+im_taxonomy_vid_1:(40)"
GENERAL_LISTING = "/press-releases"
FAST = {
    "download_delay": 0,
    "autothrottle": False,
    "retry_times": 0,
    "download_timeout": 10,
    "RETRY_BACKOFF_BASE": 0,
}
RELEVANT = 11  # 7 office items + 4 OSCE-wide items that mention Tajikistan; 3 OSCE-wide ones do not


def crawl(
    db_url: str, server: ReplicaServer, *, options: dict[str, Any] | None = None, args: list[str] = ()
) -> dict:
    command = [
        sys.executable, "-m", "crawler.runner", db_url, "osce", *args,
        "--overrides", json.dumps({"osce": {"base_url": server.base_url}}),
        "--options", json.dumps({**FAST, **(options or {})}),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.stdout.strip(), f"crawl printed no summary:\n{done.stderr[-4000:]}"
    (summary,) = json.loads(done.stdout.strip().splitlines()[-1])
    return summary


@pytest.fixture
def server() -> Iterator[ReplicaServer]:
    with ReplicaServer("osce") as running:
        yield running


class Db:
    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.sessions = make_session_factory(self.engine)

    def articles(self) -> dict[str, Article]:
        with self.sessions() as session:
            return {a.url.split("/", 3)[-1]: a for a in session.scalars(select(Article))}

    def count(self, model: Any) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(model))

    def run(self, run_id: int) -> CrawlRun:
        with self.sessions() as session:
            return session.get(CrawlRun, run_id)


@pytest.fixture
def db(db_url: str) -> Iterator[Db]:
    database = Db(db_url)
    yield database
    database.engine.dispose()


def article_paths(server: ReplicaServer) -> list[str]:
    return [path for path in server.paths() if not path.startswith("/press-releases")]


@pytest.mark.slow
def test_first_run_stores_what_is_relevant_then_only_listings_are_asked(
    db_url: str, db: Db, server: ReplicaServer
) -> None:
    first = crawl(db_url, server)
    assert first["status"] == "ok", first
    assert (first["items_new"], first["items_dropped"]) == (RELEVANT, 3)
    assert (first["errors"], first["fallbacks"]) == (0, 0)
    stored = db.articles()
    assert len(stored) == RELEVANT
    assert "odihr/445312" not in stored and "mission-to-moldova/585400" not in stored  # not about Tajikistan
    quiet = stored["programme-office-in-dushanbe/441560"]  # office item that never names the country
    assert quiet.relevance_terms == []
    seed = stored["cio/69105"]
    assert seed.title.startswith("Tajikistan is an important contributor")
    assert seed.published_day.isoformat() == "2010-05-19" and seed.published_precision == "day"
    assert seed.dateline.lower() == "dushanbe" and seed.content_type == "Press release"
    assert {"Border management", "Arms control"} <= set(seed.tags) and "Tajikistan" in seed.relevance_terms
    assert seed.extraction == "site" and seed.crawl_run_id == first["run_id"] and seed.simhash is not None
    assert stored["programme-office-in-dushanbe/543210"].attachments == [
        server.url("/files/f/documents/5/4/543210_0.pdf")
    ]
    assert db.count(ArticleRaw) == RELEVANT and db.count(ArticleTag) > RELEVANT
    run = db.run(first["run_id"])
    assert (run.status, run.items_new, run.items_dropped, run.pages_fetched) == (
        "ok",
        RELEVANT,
        3,
        first["pages_fetched"],
    )
    assert run.finished_at is not None and run.pid is not None
    every_article_once = article_paths(server)
    assert len(every_article_once) == len(set(every_article_once)) == RELEVANT + 3
    assert all("newswatch" in entry.user_agent for entry in server.log)
    assert db.count(HttpValidator) >= 2

    # Second run over an unchanged site: one conditional request per entry point, answered 304.
    server.clear_log()
    second = crawl(db_url, server)
    assert (second["status"], second["items_new"], second["errors"]) == ("ok", 0, 0)
    assert sorted(server.paths()) == sorted([OFFICE_LISTING, GENERAL_LISTING])
    assert all(
        entry.conditional and entry.status == 304 for entry in server.log if entry.path != "/robots.txt"
    )

    # A new press release is picked up alone.
    server.site.add_article(
        path="/programme-office-in-dushanbe/600001",
        title="OSCE helps Tajikistan draft its first national cybersecurity strategy",
        date="2026-11-20",
        office=True,
        fields=["Cyber/ICT Security"],
        paragraphs=[
            "DUSHANBE, 20 November 2026 - Experts from the OSCE and the Government of Tajikistan met to "
            "discuss the country's first national cybersecurity strategy.",
            "The strategy will cover the protection of critical infrastructure and co-operation between "
            "state agencies, the private sector and civil society.",
        ],
    )
    server.clear_log()
    third = crawl(db_url, server)
    assert (third["status"], third["items_new"], third["errors"]) == ("ok", 1, 0)
    assert article_paths(server) == ["/programme-office-in-dushanbe/600001"]
    assert db.articles()["programme-office-in-dushanbe/600001"].tags[:1] == ["Cyber/ICT Security"]


@pytest.mark.slow
def test_renamed_markup_still_yields_articles_through_the_fallback(sqlite_url: str) -> None:
    with ReplicaServer("osce", variant="renamed") as server:
        summary = crawl(sqlite_url, server)
    assert summary["status"] == "ok" and summary["items_new"] == RELEVANT
    assert summary["fallbacks"] == RELEVANT + 3  # every parsed page needed it, kept or not
    db = Db(sqlite_url)
    articles = db.articles()
    assert db.run(summary["run_id"]).fallbacks == RELEVANT + 3
    seed = articles["cio/69105"]
    assert seed.title.startswith("Tajikistan is an important contributor")
    assert seed.published_day.isoformat() == "2010-05-19" and seed.published_precision == "day"
    assert "Kanat Saudabayev" in seed.body and "Holy See" not in seed.body
    for article in articles.values():
        assert article.extraction == "generic"
        assert {"title", "body", "published"} <= set(article.extra["fallback_fields"])
        assert article.published_at is not None and article.title and article.body
    # The listing told us the content type the page no longer shows; that fallback is recorded too.
    assert seed.content_type == "Press release" and "content_type:listing" in seed.extra["fallback_fields"]
    db.engine.dispose()


@pytest.mark.slow
def test_failing_pages_are_counted_and_the_run_goes_on(sqlite_url: str, server: ReplicaServer) -> None:
    server.fail("/node/590121", "status", status=500)
    server.fail("/secretariat/565802", "slow", delay=6)
    server.fail("/representative-on-freedom-of-media/527001", "oversized", size=300_000)
    server.fail("/secretary-general/385117", "charset", charset="iso-8859-1")
    summary = crawl(sqlite_url, server, options={"download_timeout": 1.5, "max_response_bytes": 200_000})
    assert summary["status"] == "ok"
    assert summary["errors"] == 3 and summary["items_new"] == RELEVANT - 3
    db = Db(sqlite_url)
    stored = db.articles()
    assert not {"node/590121", "secretariat/565802", "representative-on-freedom-of-media/527001"} & set(
        stored
    )
    assert db.count(ArticleRaw) == len(stored)  # no half-written rows
    mislabelled = stored["secretary-general/385117"]  # served as Latin-1, really UTF-8: decoded right
    assert "“Central Asia is a priority for the OSCE" in mislabelled.body
    run = db.run(summary["run_id"])
    assert run.errors == 3 and "node/590121" in (run.log_excerpt or "")

    # The OSCE-wide listing led to failures, so its validators were not kept: the next run retries them.
    server.clear_faults()
    server.clear_log()
    again = crawl(sqlite_url, server)
    assert (again["status"], again["items_new"], again["errors"]) == ("ok", 3, 0)
    assert sorted(article_paths(server)) == [
        "/node/590121", "/representative-on-freedom-of-media/527001", "/secretariat/565802",
    ]  # fmt: skip
    db.engine.dispose()


@pytest.mark.slow
def test_a_failed_listing_page_keeps_the_listing_from_being_skipped_next_time(
    sqlite_url: str, server: ReplicaServer
) -> None:
    server.fail(GENERAL_LISTING + "?page=1", "status", status=500)
    first = crawl(sqlite_url, server)
    assert first["errors"] == 1 and first["items_new"] < RELEVANT
    server.clear_faults()
    server.clear_log()
    second = crawl(sqlite_url, server)
    assert (second["errors"], first["items_new"] + second["items_new"]) == (0, RELEVANT)
    assert GENERAL_LISTING + "?page=1" in server.paths()


@pytest.mark.slow
def test_robots_txt_is_obeyed_and_a_transient_error_is_retried(
    sqlite_url: str, server: ReplicaServer
) -> None:
    server.put("/robots.txt", "User-agent: *\nDisallow: /programme-office-in-dushanbe/\n", "text/plain")
    server.fail("/cio/69105", "status", status=503, times=1)
    summary = crawl(sqlite_url, server, options={"retry_times": 2, "RETRY_BACKOFF_BASE": 0.2})
    assert summary["status"] == "ok" and summary["errors"] == 0
    assert not [path for path in server.paths() if path.startswith("/programme-office-in-dushanbe/")]
    stored = Db(sqlite_url).articles()
    assert not [url for url in stored if url.startswith("programme-office-in-dushanbe/")]
    assert summary["items_new"] == RELEVANT - 5
    assert [e.status for e in server.log if e.path == "/cio/69105"] == [503, 200] and "cio/69105" in stored


@pytest.mark.slow
def test_backfill_walks_past_known_pages_without_refetching(sqlite_url: str, server: ReplicaServer) -> None:
    first = crawl(sqlite_url, server, args=["--max-pages", "1"])
    # page 0 of the office listing + the relevant items on page 0 of the rest
    assert first["items_new"] == 5 + 2
    server.clear_log()
    deeper = crawl(sqlite_url, server, args=["--backfill", "--max-pages", "5"])
    assert deeper["items_new"] == RELEVANT - first["items_new"]
    assert not [entry for entry in server.log if entry.conditional]  # a backfill does not ask "changed?"
    fetched = article_paths(server)
    assert len(fetched) == len(set(fetched)) and not set(fetched) & {"/cio/69105"} - set(fetched)
    with Db(sqlite_url).sessions() as session:
        flags = dict(session.execute(select(Article.crawl_run_id, Article.first_seen_by_backfill)).all())
    assert flags[deeper["run_id"]] is True and flags[first["run_id"]] is False

    # The backfill left validators behind: the next scheduled run is two 304s again.
    server.clear_log()
    assert crawl(sqlite_url, server)["items_new"] == 0
    assert sorted((e.path, e.status) for e in server.log if e.path != "/robots.txt") == [
        (GENERAL_LISTING, 304), (OFFICE_LISTING, 304),
    ]  # fmt: skip


@pytest.mark.slow
def test_scrapy_list_and_scrapy_crawl_work_from_the_project_root(
    tmp_path: Path, server: ReplicaServer
) -> None:
    scrapy = Path(sys.executable).with_name("scrapy")
    listed = subprocess.run([scrapy, "list"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "osce" in listed.stdout.split()
    url = f"sqlite:///{tmp_path / 'scrapy.db'}"
    command = [
        scrapy, "crawl", "osce", "-a", f"base_url={server.base_url}", "-s", f"NEWSWATCH_DATABASE_URL={url}",
        "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "LOG_LEVEL=WARNING",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    db = Db(url)  # a fresh file: the spider migrated it itself
    assert len(db.articles()) == RELEVANT
    with db.sessions() as session:
        assert session.scalars(select(CrawlRun.status)).all() == ["ok"]
    db.engine.dispose()


# --- the replica server itself (in-process, no crawl) ------------------------------------------------------
def fetch(server: ReplicaServer, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(server.url(path), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_replica_answers_conditional_gets_with_304(server: ReplicaServer) -> None:
    status, headers, body = fetch(server, OFFICE_LISTING)
    assert status == 200 and b"views-row" in body and headers["ETag"] and headers["Last-Modified"]
    assert fetch(server, OFFICE_LISTING, **{"If-None-Match": headers["ETag"]})[0] == 304
    assert fetch(server, OFFICE_LISTING, **{"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    server.site.add_article(path="/node/1", title="New", date="2030-01-01", office=True, paragraphs=["Text."])
    assert fetch(server, OFFICE_LISTING, **{"If-None-Match": headers["ETag"]})[0] == 200
    assert [(e.path, e.status, e.conditional) for e in server.log] == [
        (OFFICE_LISTING, 200, False), (OFFICE_LISTING, 304, True), (OFFICE_LISTING, 304, True),
        (OFFICE_LISTING, 200, True),
    ]  # fmt: skip


def test_replica_pages_listings_and_files(server: ReplicaServer) -> None:
    first = fetch(server, GENERAL_LISTING)[2].decode()
    last = fetch(server, GENERAL_LISTING + "?page=2")[2].decode()
    assert first.count('class="views-row"') == 5 and "pager__item--next" in first
    assert last.count('class="views-row"') == 4 and "pager__item--next" not in last
    assert "Publishing date:" in first and "What we do:" in first
    assert fetch(server, "/robots.txt")[1]["Content-Type"].startswith("text/plain")
    assert fetch(server, "/files/f/documents/5/4/543210_0.pdf")[2].startswith(b"%PDF")
    assert fetch(server, "/site.py")[0] == 404 and fetch(server, "/_site/articles.toml")[0] == 404


def test_replica_fault_injection(server: ReplicaServer) -> None:
    server.fail("/cio/69105", "status", status=503, times=1)
    assert fetch(server, "/cio/69105")[0] == 503
    assert fetch(server, "/cio/69105")[0] == 200  # only once
    server.fail("/sg/89660", "charset", charset="windows-1251")
    assert fetch(server, "/sg/89660")[1]["Content-Type"] == "text/html; charset=windows-1251"
    server.fail("/sg/89660", "oversized", size=1_000_000)
    assert len(fetch(server, "/sg/89660")[2]) >= 1_000_000
    server.clear_faults()
    assert fetch(server, "/sg/89660")[1]["Content-Type"] == "text/html; charset=utf-8"
