"""Facets of a search (source, language, field of work, month), on both backends and through the web."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker
from test_web_data import TestClient, archive_fixture, client_fixture  # noqa: F401

import storage.facets as facets_module
from storage.articles import upsert_articles
from storage.db import session_scope
from storage.facets import facet_counts, parse_facet_names
from storage.query import QueryError
from storage.records import ArticleRecord
from storage.search import SearchFilters

ROWS = [
    # source, language, published, tags, body
    ("osce", "en", dt.datetime(2024, 1, 5, tzinfo=dt.UTC), ["Border management"], "Border officers met."),
    ("osce", "en", dt.datetime(2024, 2, 5, tzinfo=dt.UTC), ["Youth"], "Young officers trained."),
    ("asiaplus", "ru", dt.datetime(2024, 2, 9, tzinfo=dt.UTC), ["Border management"], "Пограничники."),
    ("ozodi", "tg", None, [], "Officer news in Tajik."),
]


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    records = [
        ArticleRecord(
            canonical_url=f"https://x.test/{i}",
            url=f"https://x.test/{i}",
            source=source,
            title=f"Article {i}",
            body=body,
            content_hash=str(i),
            language=lang,
            published_at=published,
            tags=tags,
        )  # fmt: skip
        for i, (source, lang, published, tags, body) in enumerate(ROWS)
    ]
    with session_scope(session_factory) as s:
        upsert_articles(s, records)
    with session_factory() as s:
        yield s


def test_facets_count_the_matches_of_the_search(session: Session) -> None:
    result = facet_counts(session, "officer")
    assert result.counts == {
        "source": [("osce", 2), ("ozodi", 1)],
        "language": [("en", 2), ("tg", 1)],
        "topic": [("border management", 1), ("youth", 1)],
        "month": [("2024-02", 1), ("2024-01", 1)],
    }
    assert not result.estimated and result.matches_counted == 3


def test_facets_follow_the_filters_and_browse_mode(session: Session) -> None:
    result = facet_counts(session, None, SearchFilters(tags=("border management",)), ("source", "month"))
    assert result.counts == {
        "source": [("asiaplus", 1), ("osce", 1)],
        "month": [("2024-02", 1), ("2024-01", 1)],
    }
    assert facet_counts(session, "nothingmatches", names=("source",)).counts == {"source": []}


def test_broad_searches_count_a_labelled_sample(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(facets_module, "FACET_SAMPLE", 2)
    result = facet_counts(session, None, names=("source",))
    assert result.estimated and result.matches_counted == 2
    assert result.note and "estimated" in result.note
    assert sum(count for _, count in result.counts["source"]) == 2


def test_facet_names_are_checked() -> None:
    assert parse_facet_names(" Source,month,source ") == ("source", "month")
    assert parse_facet_names(None) == ()
    with pytest.raises(QueryError, match="facets are source, language, topic, month"):
        parse_facet_names("source,colour")


def test_api_returns_facets_when_asked(client: TestClient) -> None:
    plain = client.get("/api/articles", params={"q": "border"}).json()
    assert "facets" not in plain
    body = client.get("/api/articles", params={"q": "border", "facets": "source,month"}).json()
    assert set(body["facets"]) == {"source", "month"}
    assert sum(item["count"] for item in body["facets"]["source"]) == body["total"]
    assert body["facets_estimated"] is False
    bad = client.get("/api/articles", params={"q": "border", "facets": "colour"})
    assert bad.status_code == 400 and "unknown facet" in bad.json()["error"]["message"]


def test_search_page_shows_facets_as_links_that_add_the_filter(client: TestClient) -> None:
    page = client.get("/", params={"q": "border"}).text
    assert '<nav class="facets"' in page
    assert "q=border&amp;source=osce" in page
    assert "since=2024-03-01&amp;until=2024-03-31" in page
    assert '<nav class="facets"' not in client.get("/").text  # the front page lists the latest, no facets
