"""Who wants which news, how often: creating, listing, pausing and removing subscriptions.

Addresses are checked with ``email-validator`` (syntax only: no DNS look-ups, which would make the
command slow and flaky offline). One address may hold several subscriptions with different filters.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from email_validator import EmailNotValidError
from email_validator import validate_email as _validate_email

from storage import subscriptions as table
from storage.db import Session
from storage.query import QueryError, parse_query
from storage.subscriptions import Subscription
from storage.types import utcnow

FREQUENCIES = ("immediate", "daily", "weekly")


class SubscriptionError(ValueError):
    """A subscription request that cannot be honoured, worded for the person who typed it."""


@dataclass(frozen=True, slots=True)
class SubscriptionView:
    """A subscription as plain values, for printing and JSON."""

    id: int
    email: str
    frequency: str
    query: str | None
    sources: list[str]
    languages: list[str]
    tags: list[str]
    active: bool
    created_at: dt.datetime
    last_sent_at: dt.datetime | None

    @classmethod
    def of(cls, sub: Subscription) -> SubscriptionView:
        return cls(
            id=sub.id, email=sub.email, frequency=sub.frequency, query=sub.query,
            sources=list(sub.sources or []), languages=list(sub.languages or []), tags=list(sub.tags or []),
            active=sub.active, created_at=sub.created_at, last_sent_at=sub.last_sent_at,
        )  # fmt: skip


def normalise_email(address: str) -> str:
    """Return the address in canonical ASCII form, or raise SubscriptionError saying what is wrong.

    Non-ASCII local parts are refused (they need SMTPUTF8, which many relays lack); internationalised
    domains are kept in their IDNA (xn--) form so every SMTP server accepts the envelope.
    """
    text = (address or "").strip()
    if not text:
        raise SubscriptionError("an email address is required")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise SubscriptionError(f"{text!r} is not a valid email address: it contains control characters")
    try:
        result = _validate_email(text, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise SubscriptionError(f"{text!r} is not a valid email address: {exc}") from None
    return result.ascii_email or result.normalized


def check_query(query: str) -> None:
    """Refuse a query the archive's search could not run, with the search's own explanation."""
    if len(query) > 2000:
        raise SubscriptionError("the query is longer than 2000 characters")
    try:
        parse_query(query)
    except QueryError as exc:
        raise SubscriptionError(f"the query cannot be used: {exc}") from None


def _clean_list(values: Iterable[str] | None, what: str, *, lower: bool = False) -> list[str]:
    cleaned: list[str] = []
    for value in values or ():
        item = value.strip()
        if not item:
            raise SubscriptionError(f"empty {what} given")
        if len(item) > 64:
            raise SubscriptionError(f"{what} {item[:20]!r}… is longer than 64 characters")
        cleaned.append(item.lower() if lower else item)
    return list(dict.fromkeys(cleaned))


def add_subscription(
    session: Session,
    *,
    email: str,
    frequency: str = "daily",
    query: str | None = None,
    sources: Sequence[str] = (),
    languages: Sequence[str] = (),
    tags: Sequence[str] = (),
    now: dt.datetime | None = None,
) -> Subscription:
    """Create an active subscription; only articles first seen after ``now`` will be sent to it."""
    if frequency not in FREQUENCIES:
        raise SubscriptionError(f"frequency must be one of {', '.join(FREQUENCIES)} (got {frequency!r})")
    query = (query or "").strip() or None
    if query is not None:
        check_query(query)
    email = normalise_email(email)
    wanted = (frequency, query, _clean_list(sources, "source", lower=True),
              _clean_list(languages, "language", lower=True), _clean_list(tags, "tag"))  # fmt: skip
    for existing in list_subscriptions(session, email=email):
        if (
            existing.frequency,
            existing.query,
            existing.sources,
            existing.languages,
            existing.tags,
        ) == wanted:
            state = "active" if existing.active else "paused"
            raise SubscriptionError(
                f"{email} already has this alert (subscription {existing.id}, {state}): "
                "change or resume that one instead"
            )
    return table.add(
        session,
        email=email,
        frequency=frequency,
        query=query,
        sources=wanted[2],
        languages=wanted[3],
        tags=wanted[4],
        active=True,
        created_at=now or utcnow(),
        unsubscribe_token=secrets.token_urlsafe(32),
    )


def list_subscriptions(session: Session, *, email: str | None = None) -> list[Subscription]:
    """All subscriptions (or one address's), oldest first."""
    return table.listing(session, email=normalise_email(email) if email is not None else None)


def get_subscription(session: Session, subscription_id: int) -> Subscription:
    sub = table.get(session, subscription_id)
    if sub is None:
        raise SubscriptionError(f"there is no subscription with id {subscription_id}")
    return sub


def remove_subscription(session: Session, subscription_id: int) -> Subscription:
    """Delete it; its digest entries go with it, queued messages stay (they are already promised)."""
    sub = get_subscription(session, subscription_id)
    table.delete(session, sub)
    return sub


def set_active(session: Session, subscription_id: int, active: bool) -> Subscription:
    """Pause or resume. A paused subscription collects nothing; on resume it starts from now.

    Articles first seen while paused are recorded as never wanted by moving ``created_at`` forward,
    so resuming after a month does not flood the inbox.
    """
    sub = get_subscription(session, subscription_id)
    if active and not sub.active:
        sub.created_at = max(sub.created_at, utcnow())
    sub.active = active
    session.flush()
    return sub


def unsubscribe(session: Session, token: str) -> Subscription | None:
    """One-click unsubscribe (RFC 8058): deactivate the subscription holding this token, if any."""
    if not token or len(token) > 64:
        return None
    sub = table.by_token(session, token)
    if sub is not None:
        sub.active = False
        session.flush()
    return sub
