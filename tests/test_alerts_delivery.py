"""Delivery through a real SMTP server (aiosmtpd on loopback): retries, refusals, .eml files, admin alerts."""

from __future__ import annotations

import datetime as dt
import random
from email import message_from_bytes
from email.policy import default as default_policy

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from test_alerts_support import T0, RecordingHandler, add_article, free_port, mail_config, smtp_server

from alerts.admin import queue_admin_alert
from alerts.delivery import deliver_due
from alerts.jobs import deliver_outbox, queue_digests
from alerts.subscriptions import add_subscription
from storage.db import session_scope
from storage.models import OutboxMessage

HOUR = dt.timedelta(hours=1)
READERS = ["ana@example.org", "bakhtiyor@example.org", "carla@example.net"]


def setup_digests(factory: sessionmaker[Session], mail, readers=READERS) -> int:  # type: ignore[no-untyped-def]
    with session_scope(factory) as session:
        for reader in readers:
            add_subscription(session, email=reader, frequency="immediate", now=T0)
        add_article(session, "a1", title="OSCE opens a border post", tags=["border"])
        add_article(session, "a2", title="Water forum in Dushanbe", source="asiaplus")
    return queue_digests(factory, mail, "immediate", now=T0 + HOUR)


def statuses(factory: sessionmaker[Session]) -> dict[str, tuple[str, int, str | None]]:
    with session_scope(factory) as session:
        rows = session.execute(select(OutboxMessage.recipient, OutboxMessage.status, OutboxMessage.attempts,
                                      OutboxMessage.last_error))  # fmt: skip
        return {r: (s, a, e) for r, s, a, e in rows}


def test_digests_are_delivered_end_to_end(session_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    handler = RecordingHandler()
    with smtp_server(handler) as server:
        mail = mail_config(server.port, tmp_path)
        assert setup_digests(session_factory, mail) == 3
        report = deliver_outbox(session_factory, mail, now=T0 + HOUR)
        assert (report.sent, report.retried, report.failed) == (3, 0, 0)
        assert deliver_outbox(session_factory, mail, now=T0 + 5 * HOUR).sent == 0  # sent is never sent again
    assert sorted(r.rcpt_tos[0] for r in handler.received) == READERS
    received = handler.received[0]
    assert received.mail_from == "alerts@newswatch.example.org"
    message = received.message
    assert message["To"] == received.rcpt_tos[0]
    assert message["Subject"] == "newswatch: 2 new articles on Tajikistan, 23 Nov 2026"
    assert message.get_content_type() == "multipart/alternative"
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    for url in ("https://osce.example.org/news/a1", "https://asiaplus.example.org/news/a2"):
        assert f'href="{url}"' in html and url in text
    with session_scope(session_factory) as session:
        sub_token = session.scalar(
            select(OutboxMessage.message_id).where(OutboxMessage.recipient == received.rcpt_tos[0])
        )
    assert message["Message-ID"].strip() == sub_token
    assert "https://newswatch.example.org/unsubscribe/" in message["List-Unsubscribe"]
    assert all(status == ("sent", 1, None) for status in statuses(session_factory).values())


def test_server_down_then_up_delivers_each_message_exactly_once(session_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    mail = mail_config(port, tmp_path, retry_base_seconds=60, max_attempts=10)
    assert setup_digests(session_factory, mail) == 3
    now = T0 + HOUR
    rng = random.Random(7)
    for _ in range(4):  # the port is closed: connection refused, every time
        report = deliver_due(session_factory, mail, now=now, rng=rng)
        assert report.sent == 0 and report.retried == 1 and report.failed == 0
        assert "cannot reach the SMTP server" in report.errors[0]
        now += dt.timedelta(hours=3)
    # Each run tries the most overdue message once and stops: the others would only fail the same way.
    down = statuses(session_factory).values()
    assert {s for s, _, _ in down} == {"queued"} and sum(a for _, a, _ in down) == 4
    assert all("Connection refused" in (e or "") for _, a, e in down if a)
    handler = RecordingHandler()
    with smtp_server(handler, port=port):
        for _ in range(3):
            deliver_due(session_factory, mail, now=now, rng=rng)
            now += dt.timedelta(hours=3)
    assert sorted(r.rcpt_tos[0] for r in handler.received) == READERS
    assert len(set(handler.message_ids())) == 3
    assert {s for s, _, _ in statuses(session_factory).values()} == {"sent"}


def test_backoff_grows_until_max_attempts_then_fails(session_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    mail = mail_config(port, tmp_path, retry_base_seconds=60, max_attempts=3)
    setup_digests(session_factory, mail, readers=["ana@example.org"])
    now = T0 + HOUR
    waits = []
    for _ in range(3):
        deliver_due(session_factory, mail, now=now, rng=random.Random(1))
        with session_scope(session_factory) as session:
            row = session.scalars(select(OutboxMessage)).one()
        waits.append((row.next_attempt_at - now).total_seconds())
        now = row.next_attempt_at
    assert 45 <= waits[0] <= 75 and 90 <= waits[1] <= 150  # 60 s then 120 s, ±25 % jitter
    assert row.status == "failed" and row.attempts == 3
    assert (row.last_error or "").startswith("gave up after 3 attempts: cannot reach the SMTP server")
    assert deliver_due(session_factory, mail, now=now + 100 * HOUR).retried == 0


def test_a_550_for_one_recipient_fails_only_that_message(session_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    handler = RecordingHandler(refuse={"bakhtiyor@example.org"})
    with smtp_server(handler) as server:
        mail = mail_config(server.port, tmp_path)
        setup_digests(session_factory, mail)
        report = deliver_outbox(session_factory, mail, now=T0 + HOUR)
        assert (report.sent, report.retried, report.failed) == (2, 0, 1)
        assert deliver_outbox(session_factory, mail, now=T0 + 50 * HOUR).sent == 0
    assert sorted(r.rcpt_tos[0] for r in handler.received) == ["ana@example.org", "carla@example.net"]
    status, attempts, error = statuses(session_factory)["bakhtiyor@example.org"]
    assert (status, attempts) == ("failed", 1)
    assert error == "recipient refused: 550 5.1.1 <bakhtiyor@example.org>: mailbox unavailable"


def test_without_smtp_host_messages_become_eml_files(session_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    mail = mail_config(None, tmp_path)
    assert setup_digests(session_factory, mail) == 3
    report = deliver_outbox(session_factory, mail, now=T0 + HOUR)
    assert report.sent == 3
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 3
    parsed = [message_from_bytes(f.read_bytes(), policy=default_policy) for f in files]
    assert sorted(m["To"] for m in parsed) == READERS
    assert all(m["Subject"].startswith("newswatch: 2 new articles") for m in parsed)
    assert deliver_outbox(session_factory, mail, now=T0 + 9 * HOUR).sent == 0
    assert len(list((tmp_path / "outbox").iterdir())) == 3  # no temporary files left behind


def test_admin_alerts_go_through_the_outbox_with_the_configured_sender(session_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    handler = RecordingHandler()
    with session_scope(session_factory) as session:
        outbox_id = queue_admin_alert(
            session, to="ops@example.org", subject="source asiaplus failing\r\nBcc: x@example.com",
            body="asiaplus failed 3 times in a row.\nLast error: HTTP 503",
        )  # fmt: skip
    assert isinstance(outbox_id, int)
    with smtp_server(handler) as server:
        report = deliver_outbox(session_factory, mail_config(server.port, tmp_path))
    assert report.sent == 1
    message = handler.received[0].message
    assert message["From"] == "newswatch <alerts@newswatch.example.org>"
    assert message["Subject"] == "[newswatch] source asiaplus failing Bcc: x@example.com"
    assert message["Bcc"] is None
    assert "Last error: HTTP 503" in message.get_content()


def test_admin_alert_to_an_invalid_address_is_refused_clearly(session_factory) -> None:  # type: ignore[no-untyped-def]
    import pytest

    with session_scope(session_factory) as session, pytest.raises(ValueError, match="not a valid email"):
        queue_admin_alert(session, to="not-an-address", subject="x", body="y")


def test_a_digest_queued_before_an_unsubscribe_is_withheld(session_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from alerts.subscriptions import unsubscribe
    from storage.models import Subscription

    mail = mail_config(None, tmp_path)
    setup_digests(session_factory, mail)
    with session_scope(session_factory) as session:
        token = session.scalars(
            select(Subscription.unsubscribe_token).where(Subscription.email == READERS[1])
        ).one()
        assert unsubscribe(session, token) is not None
    report = deliver_outbox(session_factory, mail, now=T0 + HOUR)
    assert (report.sent, report.withheld, report.failed) == (2, 1, 0)
    status, attempts, error = statuses(session_factory)[READERS[1]]
    assert status == "failed" and "unsubscribed after this digest was queued" in (error or "")
