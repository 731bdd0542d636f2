"""The archive's tables, as a typed SQLAlchemy 2.x model.

Schema changes go through Alembic (``storage/migrations``); the full-text index lives only in the
migrations because it differs per backend (FTS5 table on SQLite, a generated tsvector on PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.published import Published, published_of
from storage.stemming import stem_text
from storage.types import UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime(), dict[str, Any]: JSON, list[str]: JSON}


def _stems_of(column: str) -> Any:
    """A column default that stems ``column`` of the row being inserted (any INSERT, ORM or Core)."""

    def default(context: DefaultExecutionContext) -> str:
        params = context.get_current_parameters()
        return stem_text(params.get(column), params.get("language"))

    return default


class Article(Base):
    """One news article, keyed by its canonical URL.

    ``title_stems`` / ``body_stems`` are the title and body as word stems (``storage.stemming``), the text
    both full-text indexes search for ordinary words; they are filled on insert by the column default and
    kept in step on update by ``storage.articles`` and the ``before_update`` hook below.
    """

    __tablename__ = "article"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    canonical_url: Mapped[str] = mapped_column(String(2048), unique=True)
    url: Mapped[str] = mapped_column(String(2048))
    source: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text, default="")
    # ordering instant; for a day-only date the first instant of that day in the source's zone
    published_at: Mapped[dt.datetime | None]
    published_day: Mapped[dt.date | None] = mapped_column(Date)  # publisher's calendar day: filters, lists
    published_precision: Mapped[str | None] = mapped_column(String(8))  # "day" | "minute" (migration 0008)
    modified_at: Mapped[dt.datetime | None]
    first_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    fetched_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    language: Mapped[str | None] = mapped_column(String(8))
    authors: Mapped[list[str]] = mapped_column(default=list)
    tags: Mapped[list[str]] = mapped_column(default=list)
    dateline: Mapped[str | None] = mapped_column(String(128))
    content_type: Mapped[str | None] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    previous_content_hash: Mapped[str | None] = mapped_column(String(64))
    extraction: Mapped[str] = mapped_column(String(32), default="site")
    relevance_terms: Mapped[list[str]] = mapped_column(default=list)
    attachments: Mapped[list[str]] = mapped_column(default=list)
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("article.id", ondelete="SET NULL"))
    # 64-bit SimHash of the body, stored signed so it fits BIGINT on PostgreSQL.
    simhash: Mapped[int | None] = mapped_column(BigInteger)
    first_seen_by_backfill: Mapped[bool] = mapped_column(Boolean, default=False)
    # first seen by a source's baseline crawl and not recent: archived, never mailed (storage.baseline)
    baseline_archive: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_run.id", ondelete="SET NULL"))
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    title_stems: Mapped[str] = mapped_column(Text, default=_stems_of("title"), server_default="")
    body_stems: Mapped[str] = mapped_column(Text, default=_stems_of("body"), server_default="")

    raw: Mapped[ArticleRaw | None] = relationship(back_populates="article", cascade="all, delete-orphan")

    @property
    def published(self) -> Published | None:
        """The publication date as precise as the publisher gave it (storage.published)."""
        return published_of(self.published_at, self.published_day, self.published_precision)

    __table_args__ = (
        Index("ix_article_source_published", "source", "published_at"),
        Index("ix_article_published", "published_at"),
        Index("ix_article_published_day", "published_day"),
        Index("ix_article_first_seen", "first_seen_at"),
        Index("ix_article_language", "language"),
        Index("ix_article_duplicate_of", "duplicate_of"),
    )


@event.listens_for(Article, "before_update")
def _restem(mapper: Any, connection: Any, target: Article) -> None:
    """An ORM update that changes the title, body or language re-stems them (a new index entry)."""
    state = inspect(target)
    if any(state.attrs[name].history.has_changes() for name in ("title", "body", "language")):
        target.title_stems = stem_text(target.title, target.language)
        target.body_stems = stem_text(target.body, target.language)


class ArticleTag(Base):
    """One row per (article, tag), so tag filters use an index instead of scanning JSON.

    ``tag`` is the folded key (``storage.tags.tag_key``); ``kind`` is ``topic`` (an OSCE field of work) or
    ``section`` (the site's own category), migration 0007.
    """

    __tablename__ = "article_tag"

    article_id: Mapped[int] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="topic", server_default="topic")

    __table_args__ = (Index("ix_article_tag_tag", "tag", "article_id"),)


class ArticleRaw(Base):
    """The fetched HTML, zlib-compressed, kept apart so searches never read it."""

    __tablename__ = "article_raw"

    article_id: Mapped[int] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"), primary_key=True)
    html_zlib: Mapped[bytes] = mapped_column(LargeBinary)
    encoding: Mapped[str | None] = mapped_column(String(32))
    fetched_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    article: Mapped[Article] = relationship(back_populates="raw")


class CrawlRun(Base):
    """One crawl of one source: what it fetched, stored and dropped, and how it ended."""

    __tablename__ = "crawl_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|ok|failed|timeout|killed
    backfill: Mapped[bool] = mapped_column(Boolean, default=False)
    pages_fetched: Mapped[int] = mapped_column(default=0)
    items_new: Mapped[int] = mapped_column(default=0)
    items_updated: Mapped[int] = mapped_column(default=0)
    items_unchanged: Mapped[int] = mapped_column(default=0)
    items_dropped: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    fallbacks: Mapped[int] = mapped_column(default=0)
    # URLs refused by the crawler's guard (other hosts, private addresses, non-http schemes)
    refused_urls: Mapped[int] = mapped_column(default=0, server_default="0")
    log_excerpt: Mapped[str | None] = mapped_column(Text)
    pid: Mapped[int | None]

    __table_args__ = (Index("ix_crawl_run_source_started", "source", "started_at"),)


class HttpValidator(Base):
    """ETag / Last-Modified per listing URL, for conditional GET."""

    __tablename__ = "http_validator"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    etag: Mapped[str | None] = mapped_column(String(256))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SourceState(Base):
    """Per-source health that must survive restarts (failure streaks, whether the admin was told)."""

    __tablename__ = "source_state"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    failing_alert_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    last_success_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ServiceLease(Base):
    """A lease row: only the holder of the ``scheduler`` lease runs jobs."""

    __tablename__ = "service_lease"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    acquired_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]


class Subscription(Base):
    """What one address wants to hear about, and how often."""

    __tablename__ = "subscription"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    frequency: Mapped[str] = mapped_column(String(16))  # immediate|daily|weekly
    query: Mapped[str | None] = mapped_column(Text)
    sources: Mapped[list[str]] = mapped_column(default=list)
    languages: Mapped[list[str]] = mapped_column(default=list)
    tags: Mapped[list[str]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_sent_at: Mapped[dt.datetime | None]
    checked_until: Mapped[dt.datetime | None]  # selection watermark of alerts (migration 0004)
    unsubscribe_token: Mapped[str] = mapped_column(String(64), unique=True)

    __table_args__ = (Index("ix_subscription_email", "email"),)


class OutboxMessage(Base):
    """A rendered message waiting to be delivered; written in the transaction that chose its articles."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # digest|admin
    recipient: Mapped[str] = mapped_column(String(320))
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscription.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(256), unique=True)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued|sending|sent|failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]

    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)


class DigestEntry(Base):
    """(subscription, article) pairs already put in a message: the guarantee of 'exactly once'."""

    __tablename__ = "digest_entry"

    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscription.id", ondelete="CASCADE"), primary_key=True
    )
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"), primary_key=True)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_message.id", ondelete="SET NULL"))

    __table_args__ = (UniqueConstraint("subscription_id", "article_id", name="uq_digest_entry_pair"),)


class ClusterWorker(Base):
    """A ``newswatch worker`` process of a cluster, as its last heartbeat described it."""

    __tablename__ = "cluster_worker"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)  # host:pid
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    current_jobs: Mapped[str] = mapped_column(Text, default="")  # source keys being crawled, comma-separated
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CrawlJob(Base):
    """A crawl job the leader put on the broker and no worker has finished yet: one per source at most."""

    __tablename__ = "crawl_job"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    enqueued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    worker: Mapped[str | None] = mapped_column(String(200))
