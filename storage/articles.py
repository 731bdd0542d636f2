"""Storing articles: an idempotent, race-safe batch upsert keyed by canonical URL.

New rows go in with INSERT .. ON CONFLICT DO NOTHING, so two writers racing on the same URL end with
one row; the loser sees the conflict and falls through to the compare-and-update path. A changed body
updates the row, sets ``modified_at`` and keeps the previous content hash.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from storage.db import is_postgres, rowcount, upsert_statement
from storage.models import Article, ArticleRaw, ArticleTag
from storage.published import MINUTE
from storage.records import ArticleRecord, UpsertOutcome
from storage.stemming import stem_text
from storage.tags import tag_rows as tag_rows_of
from storage.types import utcnow

# Columns a re-crawl may change; identity and first_seen_at stay as first stored.
MUTABLE = (
    "url", "title", "summary", "body", "published_at", "published_day", "published_precision", "language", "authors", "tags", "dateline",
    "content_type", "extraction", "relevance_terms", "attachments", "simhash", "extra",
)  # fmt: skip


# Raw pages are kept for re-parsing, rarely read: level 1 compresses ~2x faster than 6, ~12 % larger.
RAW_ZLIB_LEVEL = 1


def _insert_for(session: Session):  # type: ignore[no-untyped-def]
    # The dialect's INSERT .. ON CONFLICT, loaded only when writing (reading commands stay light).
    return lambda table: upsert_statement(session, table)


def _mutable(record: ArticleRecord) -> dict[str, object]:
    """The record's changeable columns. A record that gives only ``published_at`` (an importer, a test)
    is a moment whose day is its UTC date; the normaliser always sets day and precision itself."""
    values = {name: getattr(record, name) for name in MUTABLE}
    if record.published_at is not None and record.published_day is None:
        values["published_day"] = record.published_at.astimezone(dt.UTC).date()
        values["published_precision"] = record.published_precision or MINUTE
    return values


def _row(record: ArticleRecord, crawl_run_id: int | None, backfill: bool) -> dict[str, object]:
    now = utcnow()
    row = _mutable(record)
    row.update(
        canonical_url=record.canonical_url,
        source=record.source,
        content_hash=record.content_hash,
        modified_at=record.modified_at,
        first_seen_at=now,
        fetched_at=now,
        crawl_run_id=crawl_run_id,
        first_seen_by_backfill=backfill,
        baseline_archive=record.archive_only,
    )
    return row


def known_urls(session: Session, canonical_urls: Iterable[str]) -> set[str]:
    """Which of these canonical URLs are already stored (one query per 500 URLs)."""
    urls = list(dict.fromkeys(canonical_urls))
    found: set[str] = set()
    for start in range(0, len(urls), 500):
        chunk = urls[start : start + 500]
        found.update(session.scalars(select(Article.canonical_url).where(Article.canonical_url.in_(chunk))))
    return found


def upsert_articles(
    session: Session,
    records: Sequence[ArticleRecord],
    *,
    crawl_run_id: int | None = None,
    backfill: bool = False,
) -> UpsertOutcome:
    """Store a batch; the caller owns the transaction. Duplicate URLs within a batch: the last wins."""
    outcome = UpsertOutcome()
    by_url = {record.canonical_url: record for record in records}
    if not by_url:
        return outcome
    insert_fn = _insert_for(session)
    rows = [_row(record, crawl_run_id, backfill) for record in by_url.values()]
    # One statement with the rows as parameters: SQLAlchemy caches its compiled form and sends the rows as
    # multi-row VALUES batches ("insertmanyvalues"); .values(rows) would compile a new statement per batch.
    statement = (
        insert_fn(Article)
        .on_conflict_do_nothing(index_elements=["canonical_url"])
        .returning(Article.id, Article.canonical_url)
    )
    inserted = {url: id_ for id_, url in session.execute(statement, rows)}
    outcome.new = list(inserted.values())

    existing_urls = [url for url in by_url if url not in inserted]
    changed: dict[str, int] = {}
    changes: list[dict[str, object]] = []
    for start in range(0, len(existing_urls), 500):
        chunk = existing_urls[start : start + 500]
        current = session.execute(
            select(Article.id, Article.canonical_url, Article.content_hash, Article.title)
            .where(Article.canonical_url.in_(chunk))
            .with_for_update()
        )
        for id_, url, old_hash, old_title in current:
            record = by_url[url]
            if old_hash == record.content_hash and old_title == record.title:
                outcome.unchanged.append(id_)
                continue
            values: dict[str, object] = _mutable(record)
            values.update(
                title_stems=stem_text(record.title, record.language),
                body_stems=stem_text(record.body, record.language),
                id=id_,
                content_hash=record.content_hash,
                previous_content_hash=old_hash,
                modified_at=record.modified_at or utcnow(),
                fetched_at=utcnow(),
            )
            changes.append(values)
            changed[url] = id_
    if changes:
        # ORM bulk UPDATE by primary key: one executemany, not a statement per changed article.
        session.execute(update(Article), changes)
    outcome.updated = list(changed.values())

    touched = {**inserted, **changed}
    _replace_tags(session, touched, by_url)
    _store_raw(session, touched, by_url, insert_fn)
    return outcome


def _replace_tags(session: Session, ids: dict[str, int], by_url: dict[str, ArticleRecord]) -> None:
    if not ids:
        return
    session.execute(delete(ArticleTag).where(ArticleTag.article_id.in_(list(ids.values()))))
    tag_rows = [
        row for url, id_ in ids.items() for row in tag_rows_of(id_, by_url[url].tags, by_url[url].sections)
    ]
    if tag_rows:
        session.execute(insert(ArticleTag), tag_rows)


def _store_raw(session: Session, ids: dict[str, int], by_url: dict[str, ArticleRecord], insert_fn) -> None:  # type: ignore[no-untyped-def]
    rows = [
        {
            "article_id": id_,
            "html_zlib": zlib.compress(by_url[url].raw_html or b"", RAW_ZLIB_LEVEL),
            "encoding": by_url[url].encoding,
            "fetched_at": utcnow(),
        }
        for url, id_ in ids.items()
        if by_url[url].raw_html
    ]
    if not rows:
        return
    statement = insert_fn(ArticleRaw)
    statement = statement.on_conflict_do_update(
        index_elements=["article_id"],
        set_={"html_zlib": statement.excluded.html_zlib, "encoding": statement.excluded.encoding,
              "fetched_at": statement.excluded.fetched_at},
    )  # fmt: skip
    session.execute(statement, rows)


def raw_html(session: Session, article_id: int) -> bytes | None:
    """The stored page, decompressed, for re-parsing without refetching."""
    compressed = session.scalar(select(ArticleRaw.html_zlib).where(ArticleRaw.article_id == article_id))
    return zlib.decompress(compressed) if compressed is not None else None


def set_duplicate_of(session: Session, article_id: int, original_id: int | None) -> None:
    session.execute(update(Article).where(Article.id == article_id).values(duplicate_of=original_id))


# --- reads for the CLI and the web -----------------------------------------------------------------


def get(session: Session, article_id: int) -> Article | None:
    return session.get(Article, article_id)


def find_by_url(session: Session, urls: Iterable[str]) -> Article | None:
    """The first stored article whose canonical or fetched URL is one of ``urls`` (lowest id wins)."""
    variants = list(urls)
    statement = select(Article).where(or_(Article.canonical_url.in_(variants), Article.url.in_(variants)))
    return session.scalars(statement.order_by(Article.id).limit(1)).first()


def per_source(session: Session) -> list[tuple[str, int, dt.datetime | None]]:
    """(source, number of articles, newest publication date) for every source with articles."""
    statement = select(Article.source, func.count(), func.max(Article.published_at)).group_by(Article.source)
    return [(source, count, newest) for source, count, newest in session.execute(statement)]


def count_by_source(session: Session) -> dict[str, int]:
    return {source: count for source, count, _newest in per_source(session)}


# id, url, source, title, published_at, published_day, published_precision
RelatedRow = tuple[int, str, str, str, "dt.datetime | None", "dt.date | None", "str | None"]


def same_story(session: Session, article: Article, limit: int) -> tuple[int, list[RelatedRow]]:
    """The story's original id and the other articles reporting it: its duplicates (at most ``limit``),
    plus the original when ``article`` is itself a duplicate.

    Two index lookups: an ``id = x OR duplicate_of = x`` predicate makes SQLite scan the whole table,
    which costs seconds on a million articles.
    """
    original_id = article.duplicate_of or article.id
    columns = (
        Article.id, Article.url, Article.source, Article.title, Article.published_at,
        Article.published_day, Article.published_precision,
    )  # fmt: skip
    is_duplicate = Article.duplicate_of == original_id
    if not is_postgres(session):
        # ANALYZE sees a column that is almost all NULL and estimates every lookup as a full scan;
        # unlikely() tells SQLite the match is rare, so it uses ix_article_duplicate_of.
        is_duplicate = func.unlikely(is_duplicate)
    duplicates = select(*columns).where(is_duplicate, Article.id != article.id)
    rows: list[RelatedRow] = [tuple(row) for row in session.execute(duplicates.limit(limit))]  # type: ignore[misc]
    if article.duplicate_of:
        rows += [tuple(row) for row in session.execute(select(*columns).where(Article.id == original_id))]  # type: ignore[misc]
    return original_id, rows


def newest_published(session: Session, *, not_after: dt.datetime) -> dt.datetime | None:
    return session.scalar(select(func.max(Article.published_at)).where(Article.published_at <= not_after))


def published_per_day(
    session: Session, start: dt.datetime, stop: dt.datetime
) -> list[tuple[str, dt.date, int]]:
    """(source, UTC day, articles published that day) in ``[start, stop)``, counted by the database over
    the indexed date range (so it stays cheap on a large archive)."""
    if is_postgres(session):
        day = func.to_char(func.timezone("UTC", Article.published_at), "YYYY-MM-DD")
    else:
        day = func.strftime("%Y-%m-%d", Article.published_at)
    statement = (
        select(Article.source, day, func.count())
        .where(Article.published_at >= start, Article.published_at < stop)
        .group_by(Article.source, day)
    )
    return [
        (source, dt.date.fromisoformat(text), count) for source, text, count in session.execute(statement)
    ]


def prune_raw_html(session: Session, *, fetched_before: dt.datetime) -> int:
    """Delete stored pages fetched before the cutoff (the articles stay); how many went."""
    result = session.execute(
        delete(ArticleRaw)
        .where(ArticleRaw.fetched_at < fetched_before)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)
