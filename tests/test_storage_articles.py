"""The archive's upsert: one row per canonical URL, updates keep history, racing writers lose nothing."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import func, select

from storage.articles import known_urls, raw_html, upsert_articles
from storage.db import session_scope
from storage.models import Article, ArticleTag
from storage.records import ArticleRecord


def record(n: int = 1, body: str = "Body text about Dushanbe.", **kw) -> ArticleRecord:  # type: ignore[no-untyped-def]
    return ArticleRecord(
        canonical_url=f"https://example.org/a/{n}",
        url=f"https://example.org/a/{n}?utm_source=x",
        source="osce",
        title=kw.pop("title", f"Title {n}"),
        body=body,
        content_hash=kw.pop("content_hash", str(hash(body))),
        published_at=dt.datetime(2024, 5, 1, 8, tzinfo=dt.UTC),
        tags=kw.pop("tags", ["Border management"]),
        raw_html=b"<html>raw</html>",
        **kw,
    )


def count(factory) -> int:  # type: ignore[no-untyped-def]
    with factory() as session:
        return session.scalar(select(func.count()).select_from(Article)) or 0


def test_same_article_twice_keeps_one_row(session_factory) -> None:  # type: ignore[no-untyped-def]
    with session_scope(session_factory) as s:
        first = upsert_articles(s, [record()])
    with session_scope(session_factory) as s:
        second = upsert_articles(s, [record()])
    assert len(first.new) == 1 and second.unchanged == first.new and not second.new
    assert count(session_factory) == 1


def test_changed_body_updates_row_and_keeps_previous_hash(session_factory) -> None:  # type: ignore[no-untyped-def]
    with session_scope(session_factory) as s:
        (article_id,) = upsert_articles(s, [record(content_hash="h1")]).new
    with session_scope(session_factory) as s:
        outcome = upsert_articles(s, [record(body="New body", content_hash="h2", tags=["Youth"])])
    assert outcome.updated == [article_id]
    with session_factory() as s:
        article = s.get(Article, article_id)
        assert article is not None
        assert (article.content_hash, article.previous_content_hash, article.body) == ("h2", "h1", "New body")
        assert article.modified_at is not None and article.modified_at.tzinfo is not None
        # article_tag holds the folded key (issue 14: tags match case-insensitively)
        assert list(s.scalars(select(ArticleTag.tag).where(ArticleTag.article_id == article_id))) == ["youth"]


def test_timestamps_come_back_timezone_aware_utc(session_factory) -> None:  # type: ignore[no-untyped-def]
    with session_scope(session_factory) as s:
        (article_id,) = upsert_articles(s, [record()]).new
    with session_factory() as s:
        article = s.get(Article, article_id)
        assert article is not None and article.published_at == dt.datetime(2024, 5, 1, 8, tzinfo=dt.UTC)
        assert article.first_seen_at.tzinfo is not None


def test_raw_html_is_kept_compressed_and_readable(session_factory) -> None:  # type: ignore[no-untyped-def]
    with session_scope(session_factory) as s:
        (article_id,) = upsert_articles(s, [record()]).new
    with session_factory() as s:
        assert raw_html(s, article_id) == b"<html>raw</html>"
        assert known_urls(s, ["https://example.org/a/1", "https://example.org/a/2"]) == {
            "https://example.org/a/1"
        }


def test_racing_writers_end_with_one_row_each(session_factory) -> None:  # type: ignore[no-untyped-def]
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for n in range(20):
                with session_scope(session_factory) as s:
                    upsert_articles(s, [record(n), record(n + 1)])
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert count(session_factory) == 21


def test_several_changed_articles_in_one_batch_each_get_their_own_values(session_factory) -> None:  # type: ignore[no-untyped-def]
    with session_scope(session_factory) as s:
        ids = upsert_articles(s, [record(n, content_hash=f"h{n}") for n in (1, 2, 3)]).new
    with session_scope(session_factory) as s:
        batch = [
            record(1, body="B1", content_hash="n1"),
            record(2, content_hash="h2"),
            record(3, body="B3", content_hash="n3"),
        ]
        outcome = upsert_articles(s, batch)
    assert sorted(outcome.updated) == [ids[0], ids[2]] and outcome.unchanged == [ids[1]]
    with session_factory() as s:
        rows = s.execute(
            select(Article.id, Article.body, Article.content_hash, Article.previous_content_hash)
        ).all()
    assert sorted(rows) == sorted(
        [
            (ids[0], "B1", "n1", "h1"),
            (ids[1], "Body text about Dushanbe.", "h2", None),
            (ids[2], "B3", "n3", "h3"),
        ]
    )
