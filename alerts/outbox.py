"""The durable outbox: rendered messages in the database, moved through queued → sending → sent|failed.

Every state change is its own short transaction. A sender *claims* a row with a compare-and-set
UPDATE (status ``sending``, attempts + 1, ``next_attempt_at`` pushed out by a lease) and commits
before it talks SMTP, then marks it ``sent`` right after the server accepted it. A row left in
``sending`` by a sender that died becomes due again when its lease runs out, so it is retried; only
a crash in the instant between the server's "250 OK" and our commit can send a message twice, and
the copy carries the same Message-ID, which mail clients use to fold duplicates.
"""

from __future__ import annotations

import datetime as dt
import random
from email.message import EmailMessage
from email.policy import SMTP

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import OutboxMessage
from storage.types import utcnow

MAX_BACKOFF_SECONDS = 6 * 3600
ERROR_CHARS = 1000


def enqueue(
    session: Session,
    message: EmailMessage,
    *,
    kind: str,
    recipient: str,
    subscription_id: int | None = None,
    now: dt.datetime | None = None,
) -> OutboxMessage:
    """Store a rendered message for delivery; the caller's transaction decides whether it exists."""
    now = now or utcnow()
    row = OutboxMessage(
        kind=kind,
        recipient=recipient,
        subscription_id=subscription_id,
        subject=str(message["Subject"] or ""),
        message_id=str(message["Message-ID"]),
        payload=message.as_bytes(policy=SMTP),
        status="queued",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
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
    if result.rowcount != 1:  # type: ignore[attr-defined]
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


def backoff_seconds(attempts: int, base: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with ±25 % jitter, so many failed messages do not retry in lockstep."""
    delay = min(base * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)
    return delay * (0.75 + 0.5 * (rng or random).random())


def requeue(session: Session, outbox_id: int, now: dt.datetime | None = None) -> bool:
    """Give a failed message another round of attempts (an operator's decision, e.g. after a fix)."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id, OutboxMessage.status == "failed")
        .values(status="queued", attempts=0, next_attempt_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]
