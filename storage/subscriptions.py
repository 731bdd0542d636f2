"""Subscriptions and the digest entries that record what each one was sent.

Validation (addresses, queries, frequencies) belongs to ``alerts.subscriptions``; this module only
stores and finds rows. ``digest_entry``'s unique (subscription, article) pair is what makes "exactly
once" hold (see ``alerts.selection``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import exists, func, insert, or_, select
from sqlalchemy.orm import Session

from storage.models import Article, ArticleTag, DigestEntry, Subscription

__all__ = [
    "Subscription", "active", "active_ids", "add", "already_sent", "by_token", "candidate_rows", "delete", "get",
    "is_paused", "listing", "lock", "record_entries", "sources_of",
]  # fmt: skip


def add(session: Session, **fields: Any) -> Subscription:
    """Store a new subscription (its fields already checked by the caller); its id is set on return."""
    sub = Subscription(**fields)
    session.add(sub)
    session.flush()
    return sub


def get(session: Session, subscription_id: int) -> Subscription | None:
    return session.get(Subscription, subscription_id)


def lock(session: Session, subscription_id: int) -> Subscription | None:
    """The subscription, row-locked for this transaction (two digest runs serialise on it)."""
    statement = select(Subscription).where(Subscription.id == subscription_id).with_for_update()
    return session.scalars(statement).one_or_none()


def delete(session: Session, sub: Subscription) -> None:
    session.delete(sub)
    session.flush()


def listing(session: Session, *, email: str | None = None) -> list[Subscription]:
    """All subscriptions (or one address's), oldest first."""
    statement = select(Subscription).order_by(Subscription.id)
    if email is not None:
        statement = statement.where(Subscription.email == email)
    return list(session.scalars(statement))


def active(session: Session, *, frequency: str | None = None, email: str | None = None) -> list[Subscription]:
    """Active subscriptions (of ``frequency`` / of ``email``, when given), oldest first."""
    statement = select(Subscription).where(Subscription.active.is_(True)).order_by(Subscription.id)
    if frequency is not None:
        statement = statement.where(Subscription.frequency == frequency)
    if email is not None:
        statement = statement.where(Subscription.email == email)
    return list(session.scalars(statement))


def active_ids(session: Session, frequency: str | None = None) -> list[int]:
    statement = select(Subscription.id).where(Subscription.active.is_(True)).order_by(Subscription.id)
    if frequency is not None:
        statement = statement.where(Subscription.frequency == frequency)
    return list(session.scalars(statement))


def by_token(session: Session, token: str) -> Subscription | None:
    return session.scalar(select(Subscription).where(Subscription.unsubscribe_token == token))


def is_paused(session: Session, subscription_id: int | None) -> bool:
    """True only for a subscription that exists and is inactive (a deleted one is not 'paused')."""
    if subscription_id is None:
        return False
    return session.scalar(select(Subscription.active).where(Subscription.id == subscription_id)) is False


# --- what a subscription was sent ------------------------------------------------------------------


def candidate_rows(
    session: Session,
    sub: Subscription,
    *,
    since: dt.datetime,
    alert_backfill: bool,
    summary_chars: int,
    news_since: dt.date | None = None,
    archive_since: dt.date | None = None,
) -> list[Any]:
    """Articles first seen after ``since`` that ``sub`` was not sent, filtered by its sources, languages
    and tags, oldest first. Each row: id, title, url, source, published_at, first_seen_at, summary,
    the body's first ``summary_chars`` characters, tags, language, duplicate_of, published_day,
    published_precision.

    Never a source's baseline archive; nothing published before ``news_since`` (a day). With
    ``archive_since`` (a preview against the archive): every matching article published since that day,
    sent or not, however it was first seen."""
    already = exists().where(DigestEntry.subscription_id == sub.id, DigestEntry.article_id == Article.id)
    statement = select(
        Article.id, Article.title, Article.url, Article.source, Article.published_at,
        Article.first_seen_at, Article.summary, func.substr(Article.body, 1, summary_chars),
        Article.tags, Article.language, Article.duplicate_of,
        Article.published_day, Article.published_precision,
    )  # fmt: skip
    if archive_since is not None:
        statement = statement.where(Article.published_day >= archive_since).order_by(
            Article.published_at, Article.id
        )
    else:
        statement = statement.where(Article.first_seen_at > since, ~already).order_by(
            Article.first_seen_at, Article.id
        )
        if not alert_backfill:
            statement = statement.where(Article.first_seen_by_backfill.is_(False))
        statement = statement.where(Article.baseline_archive.is_(False))
        if news_since is not None:
            statement = statement.where(
                or_(Article.published_day.is_(None), Article.published_day >= news_since)
            )
    if sub.sources:
        statement = statement.where(func.lower(Article.source).in_([s.lower() for s in sub.sources]))
    if sub.languages:
        statement = statement.where(
            func.lower(Article.language).in_([lang.lower() for lang in sub.languages])
        )
    if sub.tags:
        tagged = exists().where(ArticleTag.article_id == Article.id, ArticleTag.tag.in_(list(sub.tags)))
        statement = statement.where(tagged)
    return list(session.execute(statement))


def already_sent(session: Session, subscription_id: int, article_ids: Iterable[int]) -> set[int]:
    """Which of these articles the subscription already has a digest entry for."""
    ids = list(set(article_ids))
    if not ids:
        return set()
    statement = select(DigestEntry.article_id).where(
        DigestEntry.subscription_id == subscription_id, DigestEntry.article_id.in_(ids)
    )
    return set(session.scalars(statement))


def sources_of(session: Session, article_ids: Iterable[int]) -> dict[int, str]:
    ids = list(set(article_ids))
    if not ids:
        return {}
    return {
        i: source
        for i, source in session.execute(select(Article.id, Article.source).where(Article.id.in_(ids)))
    }


def record_entries(
    session: Session, subscription_id: int, article_ids: Sequence[int], outbox_id: int | None
) -> None:
    """Record these articles as accounted for (sent in ``outbox_id``, or deliberately not shown)."""
    if article_ids:
        session.execute(
            insert(DigestEntry),
            [
                {"subscription_id": subscription_id, "article_id": a, "outbox_id": outbox_id}
                for a in article_ids
            ],
        )
