""" "New" means new: a source's first crawl is a baseline, and only what is published after it is mailed.

A subscriber signs up on a fresh install; the first crawl of Khovar finds its 2024 stories, which are
archived but never mailed. The agency then publishes a story; the next crawl finds it and the digest
carries it, once, through a real SMTP server on loopback (aiosmtpd), read as the receiver gets it.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from test_alerts_support import RecordingHandler, mail_config, smtp_server

from alerts.jobs import deliver_outbox, queue_digests
from alerts.subscriptions import add_subscription
from storage.db import make_engine, make_session_factory, session_scope
from storage.models import Article

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from newswatch.replicas.fresh_news import FRESH_TITLE, publish_fresh_khovar_story  # noqa: E402
from newswatch.replicas.server import ReplicaServer  # noqa: E402

pytestmark = pytest.mark.slow  # two crawls in subprocesses
FAST = {"download_delay": 0, "autothrottle": False, "RETRY_TIMES": 0, "DOWNLOAD_TIMEOUT": 10}
OLD_TITLE = "Пешвои миллат бо Котиби генералии САҲА мулоқот кард"


def crawl(db_url: str, server: ReplicaServer) -> dict[str, Any]:
    overrides = {"khovar": {"base_url": server.base_url, "entry": [{"kind": "feed", "path": "/feed/"}]}}
    command = [sys.executable, "-m", "crawler.runner", db_url, "khovar", "--overrides", json.dumps(overrides),
               "--options", json.dumps(FAST)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    (summary,) = json.loads(done.stdout)
    return summary


def test_baseline_sends_nothing_old_and_a_new_story_is_mailed_once(sqlite_url: str, tmp_path: Path) -> None:
    engine = make_engine(sqlite_url)
    sessions = make_session_factory(engine)
    with session_scope(sessions) as session:
        add_subscription(
            session,
            email="ana@example.org",
            frequency="immediate",
            now=dt.datetime.now(dt.UTC) - dt.timedelta(days=1),
        )
    handler = RecordingHandler()
    with ReplicaServer("khovar") as server, smtp_server(handler) as smtp:
        mail = mail_config(smtp.port, tmp_path)
        first = crawl(sqlite_url, server)
        assert first["status"] == "ok" and first["items_new"] >= 1
        with sessions() as session:
            archived = session.execute(select(Article.title, Article.baseline_archive)).all()
        assert (OLD_TITLE, True) in archived  # the 2024 story is archive, not news
        assert queue_digests(sessions, mail, None) == 0
        assert deliver_outbox(sessions, mail).sent == 0

        publish_fresh_khovar_story(server)
        second = crawl(sqlite_url, server)
        assert second["status"] == "ok" and second["items_new"] == 1
        assert queue_digests(sessions, mail, None) == 1
        assert deliver_outbox(sessions, mail).sent == 1
        assert queue_digests(sessions, mail, None) == 0  # mailed once
        assert deliver_outbox(sessions, mail).sent == 0
    engine.dispose()
    assert len(handler.received) == 1
    message = handler.received[0].message
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert FRESH_TITLE in text and FRESH_TITLE in html
    assert OLD_TITLE not in text and OLD_TITLE not in html
    assert "1 new article" in message["Subject"]
