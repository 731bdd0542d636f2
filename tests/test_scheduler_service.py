"""The scheduler service in-process: catch-up plan, isolation of slow sources, streak alerts, lease.

Crawls run in real child processes, but the child is the small stand-in from
test_scheduler_crawl_job.py (it writes a CrawlRun row like ``run_crawl`` and then works, hangs or
crashes), so these tests exercise the scheduling without Scrapy; the real crawler runs in
test_scheduler_reliability.py.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from test_scheduler_crawl_job import FAKE_CHILD

from alerts.config import MailConfig
from crawler.sources import load_registry
from scheduler.config import ServiceConfig
from scheduler.lease import LeaseHeldError
from scheduler.service import Service
from storage.db import session_scope
from storage.models import CrawlRun, OutboxMessage
from storage.types import utcnow


def fake_source(key: str, interval: int | None = None) -> dict:
    table = {"name": key, "base_url": "http://127.0.0.1:9", "entry": [{"kind": "feed", "path": "/feed"}]}
    if interval:
        table["interval_minutes"] = interval
    return table


def config(db_url: str, keys: list[str], **values) -> ServiceConfig:
    overrides: dict[str, dict] = {key: {"enabled": False} for key in load_registry().keys()}
    overrides.update({key: fake_source(key) for key in keys})
    defaults = dict(
        database_url=db_url, source_overrides=overrides, crawl_child_command=(sys.executable, "-c", FAKE_CHILD),
        jitter_seconds=0, catch_up_stagger_seconds=0.1, shutdown_timeout_seconds=5, lease_seconds=30,
        heartbeat_seconds=1, mail=MailConfig(outbox_dir=Path("unused")),
    )  # fmt: skip
    defaults.update(values)
    return ServiceConfig(**defaults)


def test_catch_up_runs_overdue_sources_at_once_staggered(db_url, session_factory) -> None:
    now = utcnow()
    with session_scope(session_factory) as session:
        session.add(CrawlRun(source="fresh", status="ok", started_at=now - dt.timedelta(minutes=10)))
        session.add(CrawlRun(source="stale", status="ok", started_at=now - dt.timedelta(minutes=45)))
        session.add(CrawlRun(source="stale", status="failed", started_at=now - dt.timedelta(minutes=5)))
    service = Service(config(db_url, ["fresh", "stale", "never"], crawl_interval_minutes=30,
                             catch_up_stagger_seconds=5))  # fmt: skip
    try:
        plan = {source.key: first for source, first in service.first_runs(now)}
    finally:
        service.engine.dispose()
    assert plan["fresh"] == now + dt.timedelta(minutes=20)  # last good run + interval
    # a failed run does not count as caught up; overdue sources start now, 5 s apart
    assert sorted([plan["stale"], plan["never"]]) == [now, now + dt.timedelta(seconds=5)]


@pytest.mark.slow  # waits out real crawl timeouts
def test_a_hanging_source_does_not_delay_the_others_and_streaks_alert_once(db_url, session_factory) -> None:
    mail = MailConfig(outbox_dir=Path("unused"), admin_email="admin@example.org")
    service = Service(config(db_url, ["works", "hangs", "crashes"], crawl_interval_seconds=1,
                             crawl_timeout_seconds=60, failure_threshold=2, mail=mail))  # fmt: skip
    service.start()
    try:
        assert service.wait_for_jobs(lambda done: done["crawl:works"] >= 3 and done["crawl:crashes"] >= 3, 90)
        assert "hangs" in service.runner.running()  # still hanging while the others ran 3 times
    finally:
        service.stop()
    with session_factory() as session:
        statuses = dict(
            session.execute(select(CrawlRun.source, func.count()).group_by(CrawlRun.source)).all()
        )
        assert statuses["works"] >= 3 and statuses["crashes"] >= 3 and statuses["hangs"] == 1
        assert session.scalar(select(func.count()).where(CrawlRun.status == "running")) == 0
        hanging = session.scalars(select(CrawlRun).where(CrawlRun.source == "hangs")).one()
        assert hanging.status == "killed"  # terminated at shutdown, row closed by the parent
        alerts = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "admin")).all()
        assert [a.subject for a in alerts] == ["[newswatch] source crashes is failing"]


def test_a_second_instance_refuses_to_start(db_url) -> None:
    first = Service(config(db_url, ["works"], crawl_interval_minutes=60), holder="first:1")
    second = Service(config(db_url, ["works"], crawl_interval_minutes=60), holder="second:2")
    first.start()
    try:
        with pytest.raises(LeaseHeldError, match="first:1"):
            second.start()
    finally:
        first.stop()
        second.engine.dispose()
    third = Service(config(db_url, ["works"], crawl_interval_minutes=60), holder="third:3")
    third.start()  # a clean stop released the lease: no waiting for the expiry
    third.stop()
