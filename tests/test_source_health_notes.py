"""The health column of ``newswatch status``: the discovery ladder's line and a failing site parser."""

from __future__ import annotations

import email
import email.policy
import warnings

from sqlalchemy import select

from newswatch.web import create_app
from scheduler.health import degraded_note, fallback_rate, record_outcome, source_health, source_status
from storage.db import session_scope
from storage.models import CrawlRun, OutboxMessage
from storage.records import CrawlSummary
from storage.types import utcnow

with warnings.catch_warnings():
    # Starlette's TestClient touches an alias anyio deprecated, at import (as in tests/test_web_data.py).
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette.testclient import TestClient

LADDER = "degraded: http://x.test/feed/ failed (HTTP 404), used feed http://x.test/rss"
EXCERPT = f"2026-12-02 06:00:00,000 WARNING crawler.spiders.ladder: {LADDER}\n2026-12-02 ERROR other: boom"


def test_degraded_note_is_read_back_from_the_log_excerpt() -> None:
    assert degraded_note(EXCERPT) == LADDER
    assert degraded_note("2026 ERROR crawler: HTTP 500") is None and degraded_note(None) is None


def test_site_parser_failing_needs_most_of_at_least_three_articles() -> None:
    assert fallback_rate(3, 4) == 0.75 and fallback_rate(0, 0) is None
    assert source_health(None, 3, 4) == "site parser failing: generic fallback on 3 of 4 articles"
    assert source_health(None, 2, 4) is None  # half is not most
    assert source_health(None, 2, 2) is None  # too few to call it
    assert (
        source_health(EXCERPT, 4, 4) == f"{LADDER}; site parser failing: generic fallback on 4 of 4 articles"
    )


def test_status_rows_carry_health_and_fallback_rate(session_factory) -> None:  # type: ignore[no-untyped-def]
    now = utcnow()
    with session_scope(session_factory) as session:
        session.add(CrawlRun(source="a", started_at=now, status="ok", items_new=2, log_excerpt=EXCERPT))
        session.add(
            CrawlRun(source="b", started_at=now, status="ok", items_new=4, items_dropped=1, fallbacks=5)
        )
        session.add(CrawlRun(source="c", started_at=now, status="ok", items_new=4, fallbacks=1))
    with session_factory() as session:
        rows = {r.source: r for r in source_status(session, [(k, True, 3600.0) for k in "abc"], now=now)}
    assert (rows["a"].health, rows["a"].fallback_rate) == (LADDER, 0.0)
    assert rows["b"].health == "site parser failing: generic fallback on 5 of 5 articles"
    assert (rows["c"].health, rows["c"].fallback_rate) == (None, 0.25)
    assert rows["b"].as_row()["fallback_rate"] == 1.0


def test_sources_page_and_api_show_the_note(session_factory) -> None:  # type: ignore[no-untyped-def]
    now = utcnow()
    with session_scope(session_factory) as session:
        session.add(
            CrawlRun(source="a", started_at=now, status="ok", items_new=3, fallbacks=3, log_excerpt=EXCERPT)
        )
    app = create_app(session_factory, sources={"a": "Site A"}, page_size=5)
    with TestClient(app) as client:
        page = client.get("/sources").text
        (item,) = client.get("/api/sources").json()["items"]
    row = page[page.index("Site A") :]
    row = row[: row.index("</tr>")]
    assert "degraded: http://x.test/feed/ failed (HTTP 404), used feed http://x.test/rss" in row
    assert "site parser failing: generic fallback on 3 of 3 articles" in row
    assert "(generic fallback on 100 % of articles)" in row
    assert item["note"].startswith("degraded: ") and item["fallback_rate"] == 1.0


def test_the_admin_hears_once_when_a_source_starts_running_on_its_fallback(session_factory) -> None:  # type: ignore[no-untyped-def]
    def run(excerpt: str | None) -> int | None:
        with session_scope(session_factory) as session:
            row = CrawlRun(source="a", started_at=utcnow(), status="ok", items_new=2, log_excerpt=excerpt)
            session.add(row)
            session.flush()
            run_id = row.id
        summary = CrawlSummary("a", "ok", run_id=run_id, exit_code=0, pages_fetched=3, items_new=2)
        return record_outcome(
            session_factory, summary, failure_threshold=3, admin_email="admin@example.org"
        ).degraded_id

    notices = [run(None), run(EXCERPT), run(EXCERPT), run(None), run(EXCERPT)]
    assert [notice is not None for notice in notices] == [False, True, False, False, True]
    with session_factory() as session:
        mails = list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "admin")))
    assert len(mails) == 2
    received = email.message_from_bytes(mails[0].payload, policy=email.policy.default)
    assert received["Subject"].endswith("source a is degraded")
    body = received.get_content()  # type: ignore[attr-defined]
    assert LADDER in body and "you will not be told again" in body
