"""The hostile replica (tests/hostile_site.py) crawled end to end by the real spiders, then every output.

One crawl per module (feed spider and sitemap spider, in a ``python -m crawler.runner`` subprocess as
in production) against a site that redirects inside our network, links to ``javascript:`` and cloud
metadata, loops, bombs and drips. A second loopback server stands for the internal service: it must
receive no request at all. Then the archive is read back and shown through the web page, the JSON API,
the Atom feed and a digest, as their receivers get them.

Each attack is bounded by the small limits in ``LIMITS`` (1 MB per response, 3 s per download), so the
whole module runs in seconds.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storage.db import make_engine, make_session_factory
from storage.models import Article, CrawlRun

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.hostile_site import ABOUT, SECRET, HostileSite, InternalService  # noqa: E402

pytestmark = pytest.mark.slow

LIMITS = {
    "download_delay": 0,
    "autothrottle": False,
    "RETRY_TIMES": 0,
    "DOWNLOAD_TIMEOUT": 3,
    "DOWNLOAD_MAXSIZE": 1024 * 1024,
    "DOWNLOAD_WARNSIZE": 512 * 1024,
    "REDIRECT_MAX_TIMES": 5,
}


def run_crawl(db_url: str, overrides: dict[str, Any], *keys: str) -> tuple[list[dict[str, Any]], str]:
    """The runner's summaries and its log (WARNING and up, as the CLI shows it)."""
    command = [sys.executable, "-m", "crawler.runner", db_url, *keys, "--overrides", json.dumps(overrides),
               "--options", json.dumps(LIMITS)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return json.loads(done.stdout), done.stderr


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Crawl the hostile site once (feed + sitemap sources); yield what the test needs to look at."""
    from storage.migrate import upgrade

    db_url = f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'newswatch.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    engine.dispose()
    with InternalService() as internal, HostileSite(internal) as site:
        # "localhost" is an allowed host of this source, as a CDN name would be, and it resolves to
        # 127.0.0.1: the name passes the host check, so only the resolver can stop the redirect to it.
        overrides = {
            "hostile": site.source(allowed_hosts=["localhost"]),
            "hostile_map": site.sitemap_source(),
        }
        summaries, log = run_crawl(db_url, overrides, "hostile", "hostile_map")
        yield {
            "log": log,
            "db_url": db_url,
            "summaries": {s["source"]: s for s in summaries},
            "site_requests": list(site.requests),
            "internal_requests": list(internal.requests),
            "base_url": site.base_url,
            "internal_url": internal.base_url,
        }


def articles(db_url: str) -> list[Article]:
    engine = make_engine(db_url)
    try:
        with make_session_factory(engine)() as session:
            rows = list(session.scalars(select(Article).order_by(Article.id)))
            session.expunge_all()
            return rows
    finally:
        engine.dispose()


def runs(db_url: str) -> dict[str, CrawlRun]:
    engine = make_engine(db_url)
    try:
        with make_session_factory(engine)() as session:
            rows = list(session.scalars(select(CrawlRun)))
            session.expunge_all()
            return {row.source: row for row in rows}
    finally:
        engine.dispose()


# --- the crawl -----------------------------------------------------------------------------------------


def test_the_internal_service_receives_no_request(crawled: dict[str, Any]) -> None:
    assert crawled["internal_requests"] == []


def test_refusals_are_counted_in_the_run_and_its_row(crawled: dict[str, Any]) -> None:
    summary = crawled["summaries"]["hostile"]
    row = runs(crawled["db_url"])["hostile"]
    assert row.refused_urls == summary["refused_urls"]
    log = crawled["log"]
    internal = f"{crawled['internal_url']}/secret"
    port = crawled["internal_url"].rsplit(":", 1)[1]
    refused = {
        # a feed link straight to cloud metadata: another host
        "http://169.254.169.254/latest/meta-data/": "not one of the source's hosts",
        # a feed link to the internal service: the source's own loopback address, but another port
        f"hostile: refused {internal}: ": "127.0.0.1 is a loopback address and not the source's own",
        # a redirect hop to it: checked before the redirect is followed
        f"refused {internal}: redirect from {crawled['base_url']}/go/internal": "loopback",
        # an allowed host name whose DNS answer is loopback: refused by the resolver at connection time
        f"refused http://localhost:{port}/secret": "localhost resolves to 127.0.0.1, a loopback address",
        # IPv4-mapped IPv6 loopback
        f"refused http://[::ffff:127.0.0.1]:{port}/secret": "not one of the source's hosts",
        # a redirect to file://
        "refused file:///etc/passwd: redirect from": "scheme 'file' is not http(s)",
        # unsafe schemes in the feed
        "refused javascript:alert(document.domain)": "not an http(s) URL",
        "refused data:text/html": "not an http(s) URL",
        "refused file:": "feed item link is not an http(s) URL",
    }
    lines = log.splitlines()
    for what, why in refused.items():
        assert [line for line in lines if what in line and why in line], (what, why)
    assert summary["refused_urls"] >= len(refused)
    map_summary = crawled["summaries"]["hostile_map"]
    assert map_summary["refused_urls"] == 2  # the sitemap's internal URL and its redirect inside


def test_redirect_loop_is_an_error_said_aloud(crawled: dict[str, Any]) -> None:
    summary = crawled["summaries"]["hostile"]
    assert summary["errors"] >= 1
    assert f"hostile: {crawled['base_url']}/loop/a: redirect loop back to" in crawled["log"]


def test_bombs_fail_fast_and_store_nothing(crawled: dict[str, Any]) -> None:
    stored = {article.url.rsplit("/", 1)[-1] for article in articles(crawled["db_url"])}
    assert not stored & {"gzip-bomb", "huge", "endless", "drip", "xxe", "laughs"}
    # each bomb was asked for once: nothing retried a response that blew a limit
    requests = crawled["site_requests"]
    for path in ("/a/gzip-bomb", "/a/huge", "/a/endless", "/a/drip"):
        assert requests.count(path) == 1, path


def test_what_is_stored_is_only_http_pages_of_the_site(crawled: dict[str, Any]) -> None:
    stored = articles(crawled["db_url"])
    names = sorted(article.url.rsplit("/", 1)[-1] for article in stored)
    assert names == ["control", "dates", "nested", "script", "sitemap-article"]
    for article in stored:
        assert article.url.startswith(crawled["base_url"] + "/a/")
        assert SECRET not in article.title + article.body + (article.summary or "")
        assert "root:x:0:0" not in article.body


def test_unsafe_link_schemes_are_never_stored(crawled: dict[str, Any]) -> None:
    titles = [article.title for article in articles(crawled["db_url"])]
    assert not [t for t in titles if t.startswith(("Script link", "Data link", "File link"))]


def test_control_characters_and_absurd_dates(crawled: dict[str, Any]) -> None:
    by_name = {article.url.rsplit("/", 1)[-1]: article for article in articles(crawled["db_url"])}
    control = by_name["control"]
    for text in (control.title, control.body):
        assert not any(ord(ch) < 32 and ch not in "\n\t" for ch in text), repr(text)
        assert "\x7f" not in text
    assert control.title.startswith("Control") and control.title.endswith(f"characters in {ABOUT}")
    dates = by_name["dates"]
    for when in (dates.published_at, dates.modified_at):
        assert when is None or 1990 <= when.year <= 2100, when
    nested = by_name["nested"]
    assert "Officials in Dushanbe" in nested.body


# --- every output, as its receiver gets it --------------------------------------------------------------

HREF = re.compile(rb"""(?:href|src)\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)


def assert_no_script(raw: bytes, where: str) -> None:
    """No markup from the hostile site survives unescaped, and every link is http(s) or our own path."""
    lowered = raw.lower()
    assert b"<script>alert" not in lowered and b"onerror=" not in lowered, where
    assert SECRET.encode() not in raw, where
    for target in HREF.findall(raw):
        assert target.startswith((b"http://", b"https://", b"/", b"?", b"#", b"mailto:")), (where, target)


def web_client(db_url: str) -> Any:
    import warnings

    from newswatch.web import create_app, make_readonly_engine

    with warnings.catch_warnings():  # Starlette's TestClient touches an alias anyio deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        from starlette.testclient import TestClient
    engine = make_readonly_engine(db_url)
    return TestClient(create_app(make_session_factory(engine), sources={"hostile": "Hostile"})), engine


def test_web_pages_api_and_atom_show_the_hostile_articles_safely(crawled: dict[str, Any]) -> None:
    from xml.etree import ElementTree

    stored = articles(crawled["db_url"])
    client, engine = web_client(crawled["db_url"])
    try:
        with client:
            for article in stored:
                page = client.get(f"/articles/{article.id}")
                assert page.status_code == 200
                assert_no_script(page.content, f"page of {article.url}")
                assert f'href="{article.url}"'.encode() in page.content  # "Read the original": http
            front = client.get("/", params={"q": "Dushanbe"})
            assert_no_script(front.content, "search page")
            api = client.get("/api/articles", params={"q": "Dushanbe", "limit": 50}).json()
            assert {item["url"] for item in api["items"]} == {a.url for a in stored}
            script = next(a for a in stored if a.url.endswith("/a/script"))
            response = client.get(f"/api/articles/{script.id}")
            # JSON carries text as text (the page wrote "&lt;script&gt;" as words), never as markup:
            assert response.headers["content-type"] == "application/json"
            assert response.headers["x-content-type-options"] == "nosniff"
            one = response.json()
            assert "<script>alert('escaped in source')</script>" in one["body"]
            assert "<script" not in one["title"] and one["url"].startswith("http://")
            atom = client.get("/feed.atom", params={"q": "Dushanbe"})
            assert atom.status_code == 200
            assert_no_script(atom.content, "Atom feed")
            tree = ElementTree.fromstring(atom.content)  # well-formed: no control character got through
            ns = {"a": "http://www.w3.org/2005/Atom"}
            links = [link.get("href", "") for link in tree.iterfind("a:entry/a:link[@rel='alternate']", ns)]
            assert sorted(links) == sorted(a.url for a in stored)
    finally:
        engine.dispose()


def digest_bytes(stored: list[Article]) -> bytes:
    import datetime as dt

    from alerts.config import MailConfig
    from alerts.headers import MAIL_POLICY
    from alerts.render import DigestItem, Recipient, build_digest_message

    items = [
        DigestItem(article_id=a.id, title=a.title, url=a.url, source=a.source, published_at=a.published_at,
                   first_seen_at=a.first_seen_at, summary=a.summary or a.body, tags=list(a.tags or []))
        for a in stored
    ]  # fmt: skip
    mail = MailConfig(sender="newswatch <alerts@example.org>", public_url="https://news.example.org")
    recipient = Recipient(email="ana@example.org", subscription_id=1, unsubscribe_token="tok")
    message = build_digest_message(items, recipient, mail, dt.datetime(2026, 12, 2, tzinfo=dt.UTC))
    return message.as_bytes(policy=MAIL_POLICY)


def test_the_digest_of_the_hostile_articles_is_safe(crawled: dict[str, Any]) -> None:
    from email import message_from_bytes
    from email.policy import default

    stored = articles(crawled["db_url"])
    raw = digest_bytes(stored)
    message = message_from_bytes(raw, policy=default)
    html = message.get_body(("html",)).get_content().encode()  # type: ignore[union-attr]
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert_no_script(html, "digest HTML")
    for article in stored:
        assert f'href="{article.url}"'.encode() in html and article.url in text
    assert not any(ord(ch) < 32 and ch not in "\r\n\t" for ch in text)


def test_a_script_link_stored_before_the_ingest_rule_is_shown_nowhere(
    crawled: dict[str, Any], tmp_path: Path
) -> None:
    """An old row (or one written by another tool) with a javascript: URL: every output drops the link."""
    import shutil

    from storage.db import session_scope

    path = tmp_path / "legacy.db"
    shutil.copy(crawled["db_url"].split("///", 1)[1], path)
    db_url = f"sqlite:///{path}"
    engine = make_engine(db_url)
    with session_scope(make_session_factory(engine)) as session:
        legacy = session.scalars(select(Article).where(Article.url.like("%/a/nested"))).one()
        legacy.url = legacy.canonical_url = "javascript:alert(document.cookie)"
        legacy_id = legacy.id
    engine.dispose()
    client, read_engine = web_client(db_url)
    try:
        with client:
            page = client.get(f"/articles/{legacy_id}")
            assert page.status_code == 200 and b"javascript:" not in page.content
            assert b"Read the original" not in page.content
            assert client.get(f"/api/articles/{legacy_id}").json()["url"] is None
            listed = client.get("/api/articles", params={"q": "nested"}).json()["items"]
            assert [item["url"] for item in listed if item["id"] == legacy_id] == [None]
            assert b"javascript:" not in client.get("/feed.atom", params={"q": "Dushanbe"}).content
    finally:
        read_engine.dispose()
    assert b"javascript:" not in digest_bytes(articles(db_url))
