"""What the scheduler (and ``newswatch digest send``) calls: queue digests, deliver the outbox.

``queue_digests`` works one subscription per transaction: lock the subscription, select what it has
not been sent, render the message, store the outbox row and the digest_entry rows, commit. A crash
anywhere before the commit leaves nothing selected; after it, everything is selected and waiting in
the outbox. Two runs racing on one subscription serialise on the row lock (and, failing that, on
digest_entry's unique pair), so an article is never put in two messages for the same subscription.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from alerts.config import MailConfig
from alerts.delivery import DeliveryReport, deliver_due
from alerts.outbox import enqueue
from alerts.render import Recipient, build_digest_message, render_parts
from alerts.selection import Selection, select_pending
from alerts.subscriptions import FREQUENCIES, normalise_email
from storage import subscriptions as table
from storage.db import Session, SessionFactory, session_scope
from storage.errors import DatabaseError, IntegrityError
from storage.subscriptions import Subscription
from storage.types import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Preview:
    """A digest that would be sent now, rendered but not stored."""

    subscription_id: int
    frequency: str
    count: int
    subject: str
    text: str
    html: str


def recipient_of(sub: Subscription) -> Recipient:
    return Recipient(
        email=sub.email, subscription_id=sub.id, unsubscribe_token=sub.unsubscribe_token,
        frequency=sub.frequency, query=sub.query, sources=list(sub.sources or []),
        languages=list(sub.languages or []), tags=list(sub.tags or []),
    )  # fmt: skip


def active_subscriptions(session: Session, frequency: str | None) -> list[Subscription]:
    """Active subscriptions of ``frequency`` (None: all), oldest first."""
    return table.active(session, frequency=frequency)


def queue_one(session: Session, subscription_id: int, mail: MailConfig, now: dt.datetime) -> int | None:
    """Select and queue one subscription's digest inside the caller's transaction; the outbox id or None."""
    sub = table.lock(session, subscription_id)
    if sub is None or not sub.active:
        return None
    selection = select_pending(
        session, sub, alert_backfill=mail.alert_backfill, news_window_days=mail.news_window_days, now=now
    )
    outbox_id: int | None = None
    if selection.items:
        message = build_digest_message(selection.items, recipient_of(sub), mail, now)
        outbox_id = enqueue(session, message, kind="digest", recipient=sub.email, subscription_id=sub.id,
                            now=now).id  # fmt: skip
        sub.last_sent_at = now
    sub.checked_until = max(now, sub.checked_until or now)
    # also records duplicates of stories already sent, so they are not re-examined
    table.record_entries(session, sub.id, selection.article_ids, outbox_id)
    return outbox_id


def queue_digests(
    session_factory: SessionFactory,
    mail: MailConfig,
    frequency: str | None,
    *,
    now: dt.datetime | None = None,
) -> int:
    """Queue a digest for every active subscription of ``frequency`` (None: all) that has news.

    Returns the number of messages queued. Empty digests are not queued. A subscription whose digest
    cannot be built is logged and skipped (nothing of it is written; it is tried again next run).
    """
    if frequency is not None and frequency not in FREQUENCIES:
        raise ValueError(f"frequency must be one of {', '.join(FREQUENCIES)} (got {frequency!r})")
    now = now or utcnow()
    with session_scope(session_factory) as session:
        ids = table.active_ids(session, frequency)
    queued = 0
    for subscription_id in ids:
        try:
            with session_scope(session_factory) as session:
                if queue_one(session, subscription_id, mail, now) is not None:
                    queued += 1
        except IntegrityError:  # a concurrent run took these articles first: nothing of ours was written
            log.info("subscription %s was queued concurrently; skipped", subscription_id)
        except DatabaseError:
            raise  # the database itself is in trouble: let the caller see it
        except Exception:  # one broken subscription (say, a stored query the parser now refuses) must not
            # block everyone else's digest; its transaction rolled back, so it is retried next run.
            log.exception("digest for subscription %s not queued", subscription_id)
    return queued


def deliver_outbox(
    session_factory: SessionFactory, mail: MailConfig, *, now: dt.datetime | None = None
) -> DeliveryReport:
    """Send (or write as .eml) every due outbox message; sent/retried/failed counts."""
    return deliver_due(session_factory, mail, now=now)


def preview_digests(
    session: Session,
    email: str,
    mail: MailConfig,
    *,
    now: dt.datetime | None = None,
    since: dt.date | None = None,
) -> list[Preview]:
    """What each active subscription of ``email`` would get now; writes nothing.

    With ``since``, what it would get from the archive: every matching article published since that day.
    """
    now = now or utcnow()
    address = normalise_email(email)
    previews: list[Preview] = []
    for sub in table.active(session, email=address):
        selection: Selection = select_pending(
            session, sub, alert_backfill=mail.alert_backfill, news_window_days=mail.news_window_days,
            archive_since=since, now=now,
        )  # fmt: skip
        if not selection.items:
            continue
        subject, text, html = render_parts(selection.items, recipient_of(sub), mail, now)
        previews.append(Preview(sub.id, sub.frequency, len(selection.items), subject, text, html))
    return previews
