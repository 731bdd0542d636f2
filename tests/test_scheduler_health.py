"""Failure streaks: one admin alert at the threshold, one recovery notice, never a mail per failed run."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from scheduler.health import record_outcome, run_was_bad, run_was_inconclusive, source_status
from storage.db import session_scope
from storage.models import CrawlRun, OutboxMessage, SourceState
from storage.records import CrawlSummary
from storage.types import utcnow

ADMIN = "admin@example.org"


def failed(source: str = "osce") -> CrawlSummary:
    return CrawlSummary(source, "failed", exit_code=1, log_tail="HTTP 500 on the listing page")


def healthy(source: str = "osce") -> CrawlSummary:
    return CrawlSummary(source, "ok", exit_code=0, pages_fetched=3, items_new=2, items_unchanged=5)


def admin_messages(session_factory) -> list[OutboxMessage]:
    with session_factory() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "admin")))


def test_a_streak_sends_exactly_one_alert_and_recovery_one_notice(session_factory) -> None:
    changes = [
        record_outcome(session_factory, failed(), failure_threshold=3, admin_email=ADMIN) for _ in range(6)
    ]
    assert [c.consecutive_failures for c in changes] == [1, 2, 3, 4, 5, 6]
    assert [c.alert_id is not None for c in changes] == [False, False, True, False, False, False]
    messages = admin_messages(session_factory)
    assert len(messages) == 1
    assert messages[0].recipient == ADMIN
    assert "osce is failing" in messages[0].subject

    recovered = record_outcome(session_factory, healthy(), failure_threshold=3, admin_email=ADMIN)
    assert recovered.recovery_id is not None and recovered.consecutive_failures == 0
    again = record_outcome(session_factory, healthy(), failure_threshold=3, admin_email=ADMIN)
    assert again.recovery_id is None
    subjects = sorted(m.subject for m in admin_messages(session_factory))
    assert len(subjects) == 2 and "recovered" in subjects[1]


def test_short_streaks_and_other_sources_do_not_alert(session_factory) -> None:
    for _ in range(2):
        record_outcome(session_factory, failed(), failure_threshold=3, admin_email=ADMIN)
    record_outcome(session_factory, healthy(), failure_threshold=3, admin_email=ADMIN)  # streak broken
    for _ in range(2):
        record_outcome(session_factory, failed(), failure_threshold=3, admin_email=ADMIN)
    record_outcome(session_factory, failed("asiaplus"), failure_threshold=3, admin_email=ADMIN)
    record_outcome(session_factory, healthy(), failure_threshold=3, admin_email=ADMIN)
    assert admin_messages(session_factory) == []  # and no recovery notice for an unannounced failure


def test_without_an_admin_address_the_state_still_records_the_streak(session_factory) -> None:
    for _ in range(3):
        record_outcome(session_factory, failed(), failure_threshold=3, admin_email=None)
    with session_factory() as session:
        state = session.get(SourceState, "osce")
        assert state.consecutive_failures == 3 and state.failing_alert_sent is True
    assert admin_messages(session_factory) == []


def test_a_run_whose_listing_shows_no_links_counts_as_bad() -> None:
    empty = CrawlSummary("osce", "ok", exit_code=0, pages_fetched=1, links_found=0)
    assert "no article links" in (run_was_bad(empty) or "")
    known = CrawlSummary("osce", "ok", exit_code=0, pages_fetched=1, links_found=20)
    assert run_was_bad(known) is None  # an incremental run that found only archived links
    unknown = CrawlSummary("osce", "ok", exit_code=0, pages_fetched=1, links_found=None)
    assert run_was_bad(unknown) is None
    assert run_was_bad(CrawlSummary("osce", "skipped")) is None
    assert "timeout" in (run_was_bad(CrawlSummary("osce", "timeout")) or "")


def test_status_shows_last_run_streak_and_next_run(session_factory) -> None:
    now = utcnow()
    with session_scope(session_factory) as session:
        session.add(CrawlRun(source="osce", started_at=now - dt.timedelta(minutes=70), status="ok", items_new=4,
                             finished_at=now - dt.timedelta(minutes=69)))  # fmt: skip
        session.add(CrawlRun(source="osce", started_at=now - dt.timedelta(minutes=10), status="failed",
                             finished_at=now - dt.timedelta(minutes=9)))  # fmt: skip
        session.add(
            CrawlRun(source="timesca", started_at=now - dt.timedelta(minutes=5), status="ok", items_new=7)
        )
    record_outcome(session_factory, failed(), failure_threshold=3, admin_email=None)
    with session_factory() as session:
        rows = {r.source: r for r in source_status(session, [("osce", True, 3600), ("timesca", True, 1800),
                                                              ("tdi", True, 1800), ("old", False, 1800)], now=now)}  # fmt: skip
    assert rows["osce"].last_status == "failed" and rows["osce"].consecutive_failures == 1
    assert rows["osce"].next_run_at == now + dt.timedelta(minutes=50)
    assert rows["timesca"].last_new_items == 7
    assert rows["timesca"].next_run_at == now + dt.timedelta(minutes=25)
    assert rows["tdi"].last_run_at is None and rows["tdi"].next_run_at == now  # never ran: due at once
    assert rows["old"].next_run_at is None
    assert rows["osce"].as_row()["last_run_at"].endswith("+00:00")


def test_not_modified_runs_neither_extend_nor_end_a_streak(session_factory) -> None:
    empty = CrawlSummary("osce", "ok", exit_code=0, pages_fetched=2, links_found=0)
    not_modified = CrawlSummary("osce", "ok", exit_code=0, pages_fetched=2, links_found=None)
    assert run_was_inconclusive(not_modified) and not run_was_inconclusive(empty)
    record = [record_outcome(session_factory, o, failure_threshold=2, admin_email=ADMIN).consecutive_failures
              for o in (empty, not_modified, not_modified, empty)]  # fmt: skip
    assert record == [1, 1, 1, 2]
    assert len(admin_messages(session_factory)) == 1
    assert record_outcome(session_factory, healthy(), failure_threshold=2, admin_email=ADMIN).recovery_id
