"""Filters that answer: unknown values are errors naming close matches; tags fold and have kinds.

Runs on SQLite and PostgreSQL (``db_url``); articles go in through the real upsert.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from storage.articles import upsert_articles
from storage.db import session_scope
from storage.records import ArticleRecord
from storage.search import SearchFilters, UnknownFilterValue, iter_matching_articles, search_articles
from storage.tags import tag_counts, tag_key

ROWS = [
    # key, source, language, tags, sections
    ("a", "osce", "en", ["Border management", "Tajikistan"], ["Tajikistan"]),
    ("b", "asiaplus", "ru", ["border-management", "Политика"], ["Политика"]),
    ("c", "ozodi", "tg", ["Сиёсат", "Youth"], ["Сиёсат"]),
]


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    records = [
        ArticleRecord(
            canonical_url=f"https://x.test/{key}",
            url=f"https://x.test/{key}",
            source=source,
            title=f"Article {key}",
            body="Border officers met.",
            content_hash=key,
            language=lang,
            tags=tags,
            sections=sections,
        )  # fmt: skip
        for key, source, lang, tags, sections in ROWS
    ]
    with session_scope(session_factory) as s:
        upsert_articles(s, records)
    with session_factory() as s:
        yield s


def titles(session: Session, filters: SearchFilters, text: str | None = None) -> set[str]:
    return {hit.title for hit in search_articles(session, text, filters).hits}


def test_tag_keys_fold_case_accents_and_separators() -> None:
    assert tag_key(" Border-Management ") == tag_key("border_management") == "border management"
    assert tag_key("Сиёсат") == "сиёсат"
    assert tag_key("Café  Culture") == "cafe culture"


def test_tags_match_case_insensitively_and_folded(session: Session) -> None:
    for spelling in ("Border management", "BORDER-MANAGEMENT", "border management"):
        assert titles(session, SearchFilters(tags=(spelling,))) == {"Article a", "Article b"}
        assert titles(session, SearchFilters(tags=(spelling,)), "officer") == {"Article a", "Article b"}


def test_topics_and_sections_are_filtered_on_their_own(session: Session) -> None:
    assert titles(session, SearchFilters(topics=("youth",))) == {"Article c"}
    assert titles(session, SearchFilters(sections=("политика",))) == {"Article b"}
    assert titles(session, SearchFilters(sections=("Tajikistan",)), "border") == {"Article a"}
    with pytest.raises(UnknownFilterValue, match="no article has section 'youth'"):
        search_articles(session, None, SearchFilters(sections=("youth",)))


@pytest.mark.parametrize(
    ("filters", "wording"),
    [
        (SearchFilters(sources=("osec",)), "no article has source 'osec'; did you mean 'osce'?"),
        (SearchFilters(sources=("ozod",)), "did you mean 'ozodi'?"),
        (SearchFilters(languages=("xx",)), "Known languages: en, ru, tg."),
        (SearchFilters(tags=("youht",)), "did you mean 'youth'?"),
        (SearchFilters(topics=("border managment",)), "did you mean 'border management'?"),
    ],
)
def test_unknown_values_are_errors_that_name_close_matches(
    session: Session, filters: SearchFilters, wording: str
) -> None:
    with pytest.raises(UnknownFilterValue) as caught:
        search_articles(session, "border", filters)
    assert wording in str(caught.value)
    with pytest.raises(UnknownFilterValue):
        next(iter_matching_articles(session, None, filters))


def test_tag_counts_list_every_tag_with_its_kind(session: Session) -> None:
    assert tag_counts(session) == [
        ("topic", "border management", 2),
        ("section", "tajikistan", 1),
        ("topic", "youth", 1),
        ("section", "политика", 1),
        ("section", "сиёсат", 1),
    ]
    assert [t for _, t, _ in tag_counts(session, "section")] == ["tajikistan", "политика", "сиёсат"]
