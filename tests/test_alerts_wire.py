"""Digest headers as the receiving server gets them: the raw bytes aiosmtpd received, never re-parsed.

Reading a header back through Python's email package decodes RFC 2047 for us, which is how a
``List-Unsubscribe: =?utf-8?q?=3Chttps...`` header (that mail clients do not decode, so one-click
unsubscribe did not work) passed every earlier test. Here the bytes are read as a mail client would.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from test_alerts_support import T0, RecordingHandler, add_article, mail_config, smtp_server

from alerts.headers import MAIL_POLICY
from alerts.jobs import deliver_outbox, queue_digests
from alerts.render import new_message
from alerts.subscriptions import add_subscription
from storage.db import session_scope

HOUR = dt.timedelta(hours=1)
PUBLIC_URL = "https://newswatch.example-monitoring-service.org/archives/central-asia"  # a realistic length


def raw_headers(data: bytes) -> dict[str, list[bytes]]:
    """Header name (lower case) -> its physical lines, as sent (continuation lines included)."""
    head = data.split(b"\r\n\r\n", 1)[0]
    headers: dict[str, list[bytes]] = {}
    name = ""
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t"):
            headers[name].append(line)
        else:
            name = line.split(b":", 1)[0].decode("ascii").lower()
            headers.setdefault(name, []).append(line)
    return headers


def unfolded(lines: list[bytes]) -> str:
    return b"".join(lines).decode("ascii").split(":", 1)[1].strip()


@pytest.fixture
def received(session_factory, tmp_path) -> bytes:  # type: ignore[no-untyped-def]
    handler = RecordingHandler()
    with smtp_server(handler) as server:
        mail = mail_config(server.port, tmp_path, public_url=PUBLIC_URL, topic="Таджикистан и Душанбе")
        with session_scope(session_factory) as session:
            add_subscription(session, email="ana@example.org", frequency="immediate", now=T0)
            add_article(session, "a1", title="OSCE opens a border post")
        assert queue_digests(session_factory, mail, "immediate", now=T0 + HOUR) == 1
        assert deliver_outbox(session_factory, mail, now=T0 + HOUR).sent == 1
    (message,) = handler.received
    return message.data


def test_list_unsubscribe_is_plain_ascii_folded_between_its_two_links(received: bytes) -> None:
    headers = raw_headers(received)
    lines = headers["list-unsubscribe"]
    assert not any(b"=?" in line for line in lines)  # no RFC 2047 encoded word
    assert len(lines) == 2  # folded at ", " ...
    assert lines[0].endswith(b">,") and lines[1].startswith(b" <mailto:")  # ... and only there
    value = unfolded(lines)
    links = re.fullmatch(r"<(https://[^>]+)>, <(mailto:[^>]+)>", value)
    assert links is not None, value
    assert links.group(1).startswith(f"{PUBLIC_URL}/unsubscribe/")
    assert links.group(2).startswith("mailto:alerts@newswatch.example.org?subject=unsubscribe%20")
    assert all(len(line) <= 998 for line in lines)


def test_the_other_identifying_headers_are_plain_ascii(received: bytes) -> None:
    headers = raw_headers(received)
    assert headers["list-unsubscribe-post"] == [b"List-Unsubscribe-Post: List-Unsubscribe=One-Click"]
    assert unfolded(headers["list-id"]) == "newswatch digests <digests.newswatch.example.org>"
    message_id = unfolded(headers["message-id"])
    assert re.fullmatch(r"<[0-9a-f]{20}\.digest\d+@newswatch\.example\.org>", message_id), message_id
    for name in ("list-id", "message-id"):
        assert not any(b"=?" in line for line in headers[name])


def test_a_non_ascii_subject_is_encoded_and_folded_within_78(received: bytes) -> None:
    lines = raw_headers(received)["subject"]
    assert all(line.isascii() and len(line) <= 78 for line in lines)
    assert b"=?utf-8?" in b"".join(lines)
    from email.header import decode_header, make_header

    subject = str(make_header(decode_header(unfolded(lines))))
    assert subject == "newswatch: 1 new article on Таджикистан и Душанбе, 23 Nov 2026"


def test_an_ascii_list_header_refuses_anything_but_ascii() -> None:
    message = new_message(None, to="a@example.org", subject="s", now=T0, idstring="x")
    message["List-Id"] = "Дайджест <digests.example.org>"
    with pytest.raises(ValueError, match="List-Id must be one line of ASCII"):
        message.as_bytes(policy=MAIL_POLICY)
