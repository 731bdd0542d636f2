"""Helpers for the alerts tests: articles with chosen timestamps, and a real SMTP server on loopback.

The server is aiosmtpd's threaded controller bound to port 0 (the kernel picks a free port), with
handlers that record what arrived or refuse chosen recipients with a 550, as a real server would.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import insert
from sqlalchemy.orm import Session

from alerts.config import MailConfig
from storage.models import Article, ArticleTag

T0 = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.UTC)


def add_article(
    session: Session,
    key: str,
    *,
    title: str | None = None,
    source: str = "osce",
    body: str = "The OSCE Programme Office in Dushanbe supported a seminar. Officials met in Khujand.",
    summary: str | None = None,
    first_seen_at: dt.datetime | None = None,
    published_at: dt.datetime | None = None,
    backfill: bool = False,
    duplicate_of: int | None = None,
    tags: Sequence[str] = (),
    language: str = "en",
    url: str | None = None,
) -> int:
    """Insert one article as the crawler would have stored it; returns its id."""
    article = Article(
        canonical_url=url or f"https://{source}.example.org/news/{key}",
        url=url or f"https://{source}.example.org/news/{key}",
        source=source,
        title=title or f"Article {key}",
        summary=summary,
        body=body,
        published_at=published_at or first_seen_at or T0,
        first_seen_at=first_seen_at or T0 + dt.timedelta(hours=1),
        fetched_at=first_seen_at or T0 + dt.timedelta(hours=1),
        language=language,
        tags=list(tags),
        content_hash=hashlib.sha256(f"{key}{body}".encode()).hexdigest(),
        first_seen_by_backfill=backfill,
        duplicate_of=duplicate_of,
    )
    session.add(article)
    session.flush()
    if tags:
        session.execute(insert(ArticleTag), [{"article_id": article.id, "tag": tag} for tag in tags])
    return article.id


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=default_policy)  # type: ignore[return-value]


@dataclass
class RecordingHandler:
    """Accepts mail and keeps it; refuses RCPT TO for addresses in ``refuse`` with a 550."""

    refuse: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.lower() in self.refuse:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        return [str(r.message["Message-ID"]) for r in self.received]


class LoopbackController(Controller):
    """aiosmtpd's controller, but bound to port 0 and told afterwards which port it got."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@contextmanager
def smtp_server(handler: Any, port: int = 0) -> Iterator[LoopbackController]:
    controller = LoopbackController(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


def free_port() -> int:
    """A port that was free a moment ago (bound and released by a short-lived server)."""
    with smtp_server(RecordingHandler()) as controller:
        return controller.port


def mail_config(port: int | None, tmp_path: Path, **overrides: Any) -> MailConfig:
    values: dict[str, Any] = dict(
        smtp_host="127.0.0.1" if port else None, smtp_port=port or 25, smtp_security="none",
        smtp_timeout=5.0, sender="newswatch <alerts@newswatch.example.org>", outbox_dir=tmp_path / "outbox",
        public_url="https://newswatch.example.org", retry_base_seconds=60.0, max_attempts=5,
    )  # fmt: skip
    values.update(overrides)
    return MailConfig(**values)
