"""Messages to the operator (a source failing or recovering) through the same durable outbox.

They are plain text and carry no From header until delivery, because the scheduler that queues them
passes plain values only; the sender adds the configured From when it sends.
"""

from __future__ import annotations

import datetime as dt

from alerts.outbox import enqueue
from alerts.render import header_text, new_message
from alerts.subscriptions import SubscriptionError, normalise_email
from storage.db import Session
from storage.types import utcnow


def queue_admin_alert(
    session: Session, *, to: str, subject: str, body: str, now: dt.datetime | None = None
) -> int:
    """Queue a plain-text message to ``to``; returns the outbox id. The caller owns the transaction.

    Raises ValueError for an address that is not valid.
    """
    try:
        address = normalise_email(to)
    except SubscriptionError as exc:
        raise ValueError(f"admin alert not queued: {exc}") from None
    now = now or utcnow()
    message = new_message(None, to=address, subject=f"[newswatch] {header_text(subject)}", now=now,
                          idstring="admin")  # fmt: skip
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body or "", subtype="plain", charset="utf-8")
    return enqueue(session, message, kind="admin", recipient=address, now=now).id
