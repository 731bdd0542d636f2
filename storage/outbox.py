"""The durable outbox table: rendered messages moved through queued → sending → sent|failed.

Every state change is one compare-and-set UPDATE in the caller's (short) transaction; why the states
are what they are is told in ``alerts.outbox`` and ``alerts.delivery``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.db import rowcount
from storage.models import OutboxMessage

__all__ = ["OutboxMessage", "add", "claim", "count", "due_ids", "mark_failed", "mark_retry", "mark_sent", "newest",
           "requeue"]  # fmt: skip

ERROR_CHARS = 1000


def add(
    session: Session,
    *,
    kind: str,
    recipient: str,
    subject: str,
    message_id: str,
    payload: bytes,
    subscription_id: int | None,
    now: dt.datetime,
) -> OutboxMessage:
    """Store a message, queued for delivery now; the caller's transaction decides whether it exists."""
    row = OutboxMessage(
        kind=kind, recipient=recipient, subscription_id=subscription_id, subject=subject, message_id=message_id,
        payload=payload, status="queued", attempts=0, next_attempt_at=now, created_at=now,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def due_ids(session: Session, now: dt.datetime, limit: int = 500) -> list[int]:
    """Rows to work on: queued and due, or stuck in ``sending`` past their lease."""
    statement = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status.in_(("queued", "sending")), OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    return list(session.scalars(statement))


def claim(session: Session, outbox_id: int, now: dt.datetime, lease_seconds: float) -> OutboxMessage | None:
    """Take the row for sending if nobody else did meanwhile; None if it is no longer ours to send."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == outbox_id,
            OutboxMessage.status.in_(("queued", "sending")),
            OutboxMessage.next_attempt_at <= now,
        )
        .values(
            status="sending",
            attempts=OutboxMessage.attempts + 1,
            next_attempt_at=now + dt.timedelta(seconds=lease_seconds),
        )
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        return None
    return session.scalars(
        select(OutboxMessage).where(OutboxMessage.id == outbox_id).execution_options(populate_existing=True)
    ).one()


def mark_sent(session: Session, outbox_id: int, now: dt.datetime) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id)
        .values(status="sent", sent_at=now, last_error=None)
        .execution_options(synchronize_session=False)
    )


def mark_retry(session: Session, outbox_id: int, error: str, next_attempt_at: dt.datetime) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id, OutboxMessage.status == "sending")
        .values(status="queued", last_error=error[:ERROR_CHARS], next_attempt_at=next_attempt_at)
        .execution_options(synchronize_session=False)
    )


def mark_failed(session: Session, outbox_id: int, error: str) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id, OutboxMessage.status == "sending")
        .values(status="failed", last_error=error[:ERROR_CHARS])
        .execution_options(synchronize_session=False)
    )


def requeue(session: Session, outbox_id: int, now: dt.datetime) -> bool:
    """Give a failed message another round of attempts; False when there is no such failed message."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id, OutboxMessage.status == "failed")
        .values(status="queued", attempts=0, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


def newest(session: Session, *, status: str | None = None, limit: int = 50) -> list[OutboxMessage]:
    """The newest messages first (of one status, when given)."""
    statement = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status is not None:
        statement = statement.where(OutboxMessage.status == status)
    return list(session.scalars(statement))


def count(session: Session, *, kind: str, status: str) -> int:
    return (
        session.scalar(select(func.count()).where(OutboxMessage.kind == kind, OutboxMessage.status == status))
        or 0
    )
