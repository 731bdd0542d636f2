"""Crash safety: a worker killed with SIGKILL at each dangerous point loses nothing and sends nothing twice
(except at the one point SMTP cannot close, where the copy carries the same Message-ID).

The worker is a child process running the real jobs against the same database; it stops at a chosen
point (by wrapping one function), tells us, and is killed with ``kill -9``. Then the "restarted
service" (this process) runs the jobs again.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from test_alerts_support import T0, RecordingHandler, add_article, mail_config, smtp_server

from alerts.jobs import deliver_outbox, queue_digests
from alerts.subscriptions import add_subscription
from storage.db import session_scope
from storage.models import DigestEntry, OutboxMessage

HOUR = dt.timedelta(hours=1)

WORKER = textwrap.dedent(
    """
    import datetime as dt, sys, time
    from pathlib import Path
    import alerts.jobs, alerts.outbox, alerts.delivery
    from alerts.config import MailConfig
    from storage.db import make_engine, make_session_factory

    url, port, stop_at, outbox_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    T0 = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.UTC)
    mail = MailConfig(smtp_host="127.0.0.1", smtp_port=port, smtp_security="none", smtp_timeout=5,
                      sender="newswatch <alerts@newswatch.example.org>", outbox_dir=Path(outbox_dir))
    factory = make_session_factory(make_engine(url))

    def stop(point):
        def wrapper(*args, **kwargs):
            result = original(*args, **kwargs) if point == "after" else None
            print("STOPPED", flush=True)
            time.sleep(120)
            return result
        return wrapper

    if stop_at == "mid-selection":        # outbox row and digest entries written, not committed
        original = alerts.jobs.enqueue
        alerts.jobs.enqueue = stop("after")
    elif stop_at == "before-smtp":         # row claimed ('sending' committed), nothing sent yet
        original = alerts.delivery.SmtpTransport.send
        alerts.delivery.SmtpTransport.send = stop("before")
    elif stop_at == "after-smtp":          # the server accepted the message, 'sent' not yet recorded
        original = alerts.outbox.mark_sent
        alerts.outbox.mark_sent = stop("before")
    queued = alerts.jobs.queue_digests(factory, mail, "immediate", now=T0 + dt.timedelta(hours=1))
    if stop_at == "after-selection":       # everything selected and committed, delivery not started
        print("STOPPED", flush=True)
        time.sleep(120)
    alerts.jobs.deliver_outbox(factory, mail, now=T0 + dt.timedelta(hours=1))
    print("FINISHED", flush=True)
    """
)


def prepare(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as session:
        add_subscription(session, email="reader@example.org", frequency="immediate", now=T0)
        add_article(session, "crash", title="Story that must arrive once")


def run_and_kill(db_url: str, port: int, stop_at: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    child = subprocess.Popen(
        [sys.executable, "-c", WORKER, db_url, str(port), stop_at, str(tmp_path / "outbox")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = child.stdout.readline()  # type: ignore[union-attr]
        assert line.strip() == "STOPPED", child.stderr.read()  # type: ignore[union-attr]
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
        child.communicate()


def counts(factory: sessionmaker[Session]) -> tuple[int, int, list[str]]:
    with session_scope(factory) as session:
        outbox = session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
        entries = session.scalar(select(func.count()).select_from(DigestEntry)) or 0
        status = list(session.scalars(select(OutboxMessage.status)))
    return outbox, entries, status


@pytest.mark.slow
@pytest.mark.kill9
@pytest.mark.parametrize("stop_at", ["mid-selection", "after-selection", "before-smtp"])
def test_killed_before_sending_delivers_exactly_once_after_restart(
    stop_at: str, db_url: str, session_factory, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    prepare(session_factory)
    handler = RecordingHandler()
    with smtp_server(handler) as server:
        mail = mail_config(server.port, tmp_path)
        run_and_kill(db_url, server.port, stop_at, tmp_path)
        assert handler.received == []
        if stop_at == "mid-selection":
            assert counts(session_factory) == (0, 0, [])  # the whole selection rolled back
        else:
            assert counts(session_factory)[:2] == (1, 1)
        # The restarted service: queue (again) and deliver, twice, and once more after the lease.
        for now in (T0 + 2 * HOUR, T0 + 2 * HOUR, T0 + 5 * HOUR):
            queue_digests(session_factory, mail, "immediate", now=now)
            deliver_outbox(session_factory, mail, now=now)
    assert len(handler.received) == 1
    assert "Story that must arrive once" in handler.received[0].message.get_body(("plain",)).get_content()
    assert counts(session_factory) == (1, 1, ["sent"])


@pytest.mark.slow
@pytest.mark.kill9
def test_killed_after_the_server_accepted_resends_with_the_same_message_id(
    db_url, session_factory, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    prepare(session_factory)
    handler = RecordingHandler()
    with smtp_server(handler) as server:
        mail = mail_config(server.port, tmp_path)
        run_and_kill(db_url, server.port, "after-smtp", tmp_path)
        assert len(handler.received) == 1 and counts(session_factory)[2] == ["sending"]
        # While the dead sender's lease runs, nobody touches the row (it might still be alive).
        assert deliver_outbox(session_factory, mail, now=T0 + HOUR).sent == 0
        later = T0 + HOUR + dt.timedelta(seconds=mail.send_lease_seconds + 1)
        assert deliver_outbox(session_factory, mail, now=later).sent == 1
        assert deliver_outbox(session_factory, mail, now=later + HOUR).sent == 0
    assert len(handler.received) == 2  # SMTP's unavoidable window: at least once here ...
    assert len(set(handler.message_ids())) == 1  # ... but recognisably the same message
    assert counts(session_factory) == (1, 1, ["sent"])
