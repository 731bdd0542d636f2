"""A dictionary-form query finds the inflected forms, identically on SQLite and PostgreSQL.

Every test runs on both backends (the ``db_url`` fixture); the articles go in through the real upsert,
so the stem columns are filled the way a crawl fills them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from storage.articles import upsert_articles
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.models import Article
from storage.records import ArticleRecord
from storage.search import HIGHLIGHT_END, HIGHLIGHT_START, search_articles

ARTICLES = [
    # key, language, title, body
    ("officers", "en", "Training for border staff", "Twelve officers from Khorog completed the course."),
    ("officer", "en", "One officer retires", "The officer served in Kulob for twenty years."),
    ("границами", "ru", "Семинар ОБСЕ", "Обсудили сотрудничество между границами двух стран."),
    ("границе", "ru", "Новости", "На границе с Афганистаном открыт новый пункт пропуска."),
    ("выборах", "ru", "Парламент", "Наблюдатели ОБСЕ участвовали в выборах в Душанбе."),
    ("мигрантов", "ru", "Миграция", "Число трудовых мигрантов выросло за год."),
    ("душанбе-tg", "tg", "Хабар", "Мулоқот дар шаҳри Душанбе баргузор шуд."),
    ("сарҳадҳо", "tg", "Амният", "Посбонони сарҳадҳо омӯзиш гузаштанд."),
    ("сарҳади", "tg", "Ҳамкорӣ", "Мушкилоти сарҳади Тоҷикистону Афғонистон баррасӣ шуд."),
    ("order", "en", "Rights of officers", "Human rights training for police officers."),
]


def _record(key: str, language: str, title: str, body: str) -> ArticleRecord:
    url = f"https://example.test/{key}"
    return ArticleRecord(
        canonical_url=url, url=url, source="osce", title=title, body=body, content_hash=key, language=language
    )


@pytest.fixture
def archive(session_factory: sessionmaker[Session]) -> dict[str, int]:
    with session_scope(session_factory) as session:
        outcome = upsert_articles(session, [_record(*row) for row in ARTICLES])
    return dict(zip([row[0] for row in ARTICLES], outcome.new, strict=True))


@pytest.fixture
def session(session_factory: sessionmaker[Session], archive: dict[str, int]) -> Iterator[Session]:
    with session_factory() as session:
        yield session


def found(session: Session, archive: dict[str, int], query: str) -> set[str]:
    by_id = {v: k for k, v in archive.items()}
    return {by_id[hit.id] for hit in search_articles(session, query, limit=50).hits}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("officer", {"officers", "officer", "order"}),
        ("officers", {"officers", "officer", "order"}),
        ("граница", {"границами", "границе"}),
        ("выборы", {"выборах"}),
        ("мигрант", {"мигрантов"}),
        ("Душанбе", {"выборах", "душанбе-tg"}),
        ("сарҳад", {"сарҳадҳо", "сарҳади"}),  # a Tajik plural and an izofat form of one noun
        ("сарҳадҳо", {"сарҳадҳо", "сарҳади"}),
    ],
)
def test_dictionary_form_finds_inflected_forms(
    session: Session, archive: dict[str, int], query: str, expected: set[str]
) -> None:
    assert found(session, archive, query) == expected


def test_equals_sign_asks_for_the_exact_form(session: Session, archive: dict[str, int]) -> None:
    assert found(session, archive, "=officer") == {"officer"}
    assert found(session, archive, "=границе") == {"границе"}
    assert found(session, archive, "officer -=officer") == {"officers", "order"}


def test_phrases_keep_word_order_and_match_word_forms(session: Session, archive: dict[str, int]) -> None:
    assert found(session, archive, '"police officer"') == {"order"}
    assert found(session, archive, '"officer police"') == set()
    assert found(session, archive, '"трудовой мигрант"') == {"мигрантов"}
    assert found(session, archive, '="police officer"') == set()


def test_snippets_mark_the_inflected_forms_that_matched(session: Session) -> None:
    hit = search_articles(session, "граница").hits
    marked = {h.snippet for h in hit}
    assert any(f"{HIGHLIGHT_START}границами{HIGHLIGHT_END}" in s for s in marked)
    assert any(f"{HIGHLIGHT_START}границе{HIGHLIGHT_END}" in s for s in marked)
    tajik = search_articles(session, "сарҳад").hits
    assert any(f"{HIGHLIGHT_START}сарҳадҳо{HIGHLIGHT_END}" in h.snippet for h in tajik)


def test_an_article_edited_through_the_orm_is_stemmed_again(
    session: Session, archive: dict[str, int]
) -> None:
    article = session.get(Article, archive["officer"])
    assert article is not None
    article.body = "The migrants were counted."
    session.commit()
    assert found(session, archive, "migrant") == {"officer"}
    assert found(session, archive, "Kulob") == set()  # the old body is out of both indexes
    assert found(session, archive, "retire") == {"officer"}  # the title, unchanged, still matches


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_migration_stems_and_indexes_existing_rows(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Rows stored before migration 0005 are found by their word forms after it."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = request.getfixturevalue("pg_server_url")
        with create_engine(url).begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    engine = make_engine(url)
    upgrade(engine, "0004")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO article (canonical_url, url, source, title, body, language, authors, tags, "
                "content_hash, extraction, relevance_terms, attachments, first_seen_by_backfill, extra, "
                "first_seen_at, fetched_at) VALUES ('u', 'u', 'osce', 'Выборы', 'Прошли выборах мигрантов', "
                "'ru', '[]', '[]', 'h', 'site', '[]', '[]', false, '{}', :now, :now)"
            ),
            {"now": "2024-01-01 00:00:00"},
        )
    upgrade(engine)
    with Session(engine) as session:
        assert [h.title for h in search_articles(session, "мигрант").hits] == ["Выборы"]
        assert [h.title for h in search_articles(session, "=выборах").hits] == ["Выборы"]
    engine.dispose()
