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

from alerts.headers import MAIL_POLICY
from storage import outbox as table
from storage.db import Session
from storage.models import OutboxMessage
from storage.outbox import claim, due_ids, mark_failed, mark_retry, mark_sent
from storage.types import utcnow

__all__ = [
    "backoff_seconds",
    "claim",
    "due_ids",
    "enqueue",
    "mark_failed",
    "mark_retry",
    "mark_sent",
    "requeue",
]

MAX_BACKOFF_SECONDS = 6 * 3600


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
    return table.add(
        session, kind=kind, recipient=recipient, subject=str(message["Subject"] or ""),
        message_id=str(message["Message-ID"]), payload=message.as_bytes(policy=MAIL_POLICY),
        subscription_id=subscription_id, now=now or utcnow(),
    )  # fmt: skip


def backoff_seconds(attempts: int, base: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with ±25 % jitter, so many failed messages do not retry in lockstep."""
    delay = min(base * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)
    return delay * (0.75 + 0.5 * (rng or random).random())


def requeue(session: Session, outbox_id: int, now: dt.datetime | None = None) -> bool:
    """Give a failed message another round of attempts (an operator's decision, e.g. after a fix)."""
    return table.requeue(session, outbox_id, now or utcnow())
