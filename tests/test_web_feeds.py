"""Atom feeds of searches: valid Atom 1.0 that feed readers (feedparser here) read without complaint."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import feedparser
from test_web_data import ARTICLES, TestClient, archive_fixture, client_fixture, ids_fixture  # noqa: F401

from newswatch.web.feeds import FeedEntry, render_atom

ATOM = "{http://www.w3.org/2005/Atom}"


def test_feed_of_a_search_is_valid_atom(client: TestClient) -> None:
    response = client.get("/feed.atom", params={"q": "border", "source": ["osce", "tdi"]})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{required}") is not None, required
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 2
    for entry in entries:
        for required in ("id", "title", "updated", "published", "summary", "link"):
            assert entry.find(f"{ATOM}{required}") is not None, required
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.updated == "2024-03-15T09:00:00Z", "the newest entry's date"
    assert "source=osce" in parsed.feed.id and "q=border" in parsed.feed.id
    first = parsed.entries[0]
    assert first.title == "Tajikistan and OSCE deepen border management co-operation", "newest first"
    assert first.link == "https://thediplomaticinsight.com/tajikistan-osce-border-2024"
    assert first.published == "2024-03-15T09:00:00Z"
    assert "border" in first.summary.lower() and "\x02" not in first.summary
    assert first.id.startswith("http://testserver/articles/")


def test_the_search_page_links_its_feed(client: TestClient) -> None:
    html = client.get("/", params={"q": "Dushanbe", "tag": "border management"}).text
    link = re.search(r'<link rel="alternate" type="application/atom\+xml"[^>]*href="([^"]+)"', html)
    assert link and link.group(1).replace("&amp;", "&") == "/feed.atom?q=Dushanbe&tag=border+management"
    feed = feedparser.parse(client.get(link.group(1).replace("&amp;", "&")).content)
    assert not feed.bozo
    assert {entry.title for entry in feed.entries} == {
        "OSCE trains Tajik border guards on border management in Dushanbe",
        "Tajikistan and OSCE deepen border management co-operation",
    }


def test_an_empty_feed_is_still_valid(client: TestClient) -> None:
    response = client.get("/feed.atom", params={"q": "nonexistentword"})
    parsed = feedparser.parse(response.content)
    assert response.status_code == 200 and not parsed.bozo and parsed.entries == []
    assert parsed.feed.updated


def test_a_bad_feed_query_is_a_plain_400(client: TestClient) -> None:
    response = client.get("/feed.atom", params={"since": "March"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert "YYYY-MM-DD" in response.text


def test_feed_entries_are_capped(client: TestClient) -> None:
    response = client.get("/feed.atom", params={"limit": "101"})
    assert response.status_code == 400
    parsed = feedparser.parse(client.get("/feed.atom").content)
    assert len(parsed.entries) == len(ARTICLES)


def test_characters_xml_forbids_are_dropped_not_written() -> None:
    now = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    entry = FeedEntry(1, "Bad\x00 title\x1b", "https://e.org/a?x=1&y=<2>", "https://n.org/articles/1", "osce",
                      None, "summary \x0c with <b>tags</b> & ampersands", ("a&b",))  # fmt: skip
    body = render_atom(feed_id="urn:x", title="t", self_url="https://n.org/feed.atom", html_url="https://n.org/",
                       entries=[entry], now=now)  # fmt: skip
    root = ET.fromstring(body)
    parsed_entry = root.find(f"{ATOM}entry")
    assert parsed_entry is not None
    assert parsed_entry.findtext(f"{ATOM}title") == "Bad title"
    assert parsed_entry.findtext(f"{ATOM}summary") == "summary  with <b>tags</b> & ampersands"
    assert parsed_entry.find(f"{ATOM}published") is None, "no date known: no published element"
    assert parsed_entry.findtext(f"{ATOM}updated") == "2024-03-01T00:00:00Z"
