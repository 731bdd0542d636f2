"""Selection: every new article reaches every matching subscription exactly once (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes
from email.policy import default as default_policy

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from test_alerts_support import T0, add_article, mail_config

import alerts.jobs
from alerts.jobs import queue_digests
from alerts.subscriptions import add_subscription, set_active
from storage.db import session_scope
from storage.models import DigestEntry, OutboxMessage, Subscription

HOUR = dt.timedelta(hours=1)


def texts(factory: sessionmaker[Session]) -> dict[int, str]:
    """Plain-text part of every queued message, by subscription id."""
    with session_scope(factory) as session:
        rows = session.execute(select(OutboxMessage.subscription_id, OutboxMessage.payload)).all()
    out = {}
    for sub_id, payload in rows:
        message = message_from_bytes(payload, policy=default_policy)
        out[sub_id] = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    return out


def subscribe(factory: sessionmaker[Session], when: dt.datetime = T0, **kwargs) -> int:  # type: ignore[no-untyped-def]
    with session_scope(factory) as session:
        return add_subscription(
            session, email=kwargs.pop("email", "reader@example.org"), now=when, **kwargs
        ).id


def test_a_subscription_created_after_the_articles_gets_nothing(session_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with session_scope(session_factory) as session:
        add_article(session, "old", first_seen_at=T0)
    subscribe(session_factory, when=T0 + HOUR, frequency="immediate")
    assert queue_digests(session_factory, mail_config(None, tmp_path), "immediate", now=T0 + 2 * HOUR) == 0
    with session_scope(session_factory) as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_backfill_articles_are_not_alerted_unless_configured(session_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    subscribe(session_factory, frequency="daily")
    with session_scope(session_factory) as session:
        add_article(session, "archive-find", title="Found by backfill", backfill=True)
    assert queue_digests(session_factory, mail_config(None, tmp_path), "daily", now=T0 + 2 * HOUR) == 0
    mail = mail_config(None, tmp_path, alert_backfill=True)
    assert queue_digests(session_factory, mail, "daily", now=T0 + 3 * HOUR) == 1
    assert "Found by backfill" in next(iter(texts(session_factory).values()))


def test_two_subscriptions_of_one_address_each_get_the_article_once(session_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = subscribe(session_factory, frequency="immediate", query="Khujand")
    second = subscribe(session_factory, frequency="immediate", sources=["osce"])
    with session_scope(session_factory) as session:
        add_article(session, "k1", title="Seminar in Khujand")
    mail = mail_config(None, tmp_path)
    assert queue_digests(session_factory, mail, "immediate", now=T0 + 2 * HOUR) == 2
    by_sub = texts(session_factory)
    assert set(by_sub) == {first, second}
    assert all(text.count("Seminar in") == 1 for text in by_sub.values())
    # The job runs again (and again): nothing new, nothing sent.
    assert queue_digests(session_factory, mail, "immediate", now=T0 + 3 * HOUR) == 0
    assert queue_digests(session_factory, mail, None, now=T0 + 4 * HOUR) == 0
    with session_scope(session_factory) as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 2
        assert session.scalar(select(func.count()).select_from(DigestEntry)) == 2


def test_only_new_articles_go_in_the_next_digest(session_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sub = subscribe(session_factory, frequency="daily")
    mail = mail_config(None, tmp_path)
    with session_scope(session_factory) as session:
        add_article(session, "monday", title="Monday story")
    assert queue_digests(session_factory, mail, "daily", now=T0 + 2 * HOUR) == 1
    with session_scope(session_factory) as session:
        add_article(session, "tuesday", title="Tuesday story", first_seen_at=T0 + 20 * HOUR)
        add_article(session, "wednesday", title="Wednesday story", first_seen_at=T0 + 30 * HOUR)
    assert queue_digests(session_factory, mail, "weekly", now=T0 + 40 * HOUR) == 0  # other frequency
    assert queue_digests(session_factory, mail, "daily", now=T0 + 40 * HOUR) == 1
    with session_scope(session_factory) as session:
        payloads = session.scalars(select(OutboxMessage.payload).order_by(OutboxMessage.id)).all()
        entries = session.scalar(
            select(func.count()).select_from(DigestEntry).where(DigestEntry.subscription_id == sub)
        )
    latest = message_from_bytes(payloads[-1], policy=default_policy)
    text = latest.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Tuesday story" in text and "Wednesday story" in text and "Monday story" not in text
    assert latest["Subject"] == "newswatch: 2 new articles on Tajikistan, 24 Nov 2026"
    assert entries == 3


def test_near_duplicates_become_one_entry_naming_the_other_sources(session_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    subscribe(session_factory, frequency="immediate")
    with session_scope(session_factory) as session:
        original = add_article(session, "talks", source="osce", title="Border talks in Dushanbe")
        add_article(session, "talks-2", source="asiaplus", title="Border talks (copy)", duplicate_of=original)
        add_article(
            session, "talks-3", source="tdi", title="Border talks (another copy)", duplicate_of=original
        )
    assert queue_digests(session_factory, mail_config(None, tmp_path), "immediate", now=T0 + 2 * HOUR) == 1
    text = next(iter(texts(session_factory).values()))
    assert "Border talks in Dushanbe" in text and "copy)" not in text
    assert "Also reported by asiaplus, tdi." in text
    assert text.startswith("newswatch: 1 new article on Tajikistan")
    # A late copy of a story already sent is recorded, not sent again.
    with session_scope(session_factory) as session:
        add_article(session, "talks-4", source="avesta", title="Late copy", duplicate_of=original,
                    first_seen_at=T0 + 3 * HOUR)  # fmt: skip
    assert queue_digests(session_factory, mail_config(None, tmp_path), "immediate", now=T0 + 4 * HOUR) == 0
    with session_scope(session_factory) as session:
        assert session.scalar(select(func.count()).select_from(DigestEntry)) == 4


def test_source_language_and_tag_filters(session_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    by_source = subscribe(session_factory, frequency="immediate", sources=["asiaplus"])
    by_lang = subscribe(session_factory, frequency="immediate", languages=["ru"])
    by_tag = subscribe(session_factory, frequency="immediate", tags=["elections"])
    with session_scope(session_factory) as session:
        add_article(session, "a", source="asiaplus", title="Asia-Plus english", language="en")
        add_article(session, "b", source="osce", title="Выборы в Душанбе", language="ru", tags=["elections"])
        add_article(session, "c", source="osce", title="Unrelated OSCE news", language="en", tags=["water"])
    assert queue_digests(session_factory, mail_config(None, tmp_path), "immediate", now=T0 + 2 * HOUR) == 3
    by_sub = texts(session_factory)
    assert "Asia-Plus english" in by_sub[by_source] and "Выборы" not in by_sub[by_source]
    assert "Выборы в Душанбе" in by_sub[by_lang] and "Asia-Plus" not in by_sub[by_lang]
    assert "Выборы в Душанбе" in by_sub[by_tag] and "Unrelated" not in by_sub[by_tag]


def test_query_matching_and_highlighting(session_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sub = subscribe(session_factory, frequency="immediate", query='"border management" -football')
    with session_scope(session_factory) as session:
        add_article(session, "hit", title="OSCE trains officers in border management",
                    body="Officers studied border management in Dushanbe. The course lasted a week.")  # fmt: skip
        add_article(session, "miss", title="Water talks", body="Nothing about borders at all.")
        add_article(session, "excluded", title="Border management and football",
                    body="border management football")  # fmt: skip
    assert queue_digests(session_factory, mail_config(None, tmp_path), "immediate", now=T0 + 2 * HOUR) == 1
    text = texts(session_factory)[sub]
    assert "OSCE trains officers in *border management*" in text
    assert "Water talks" not in text and "Border management and football" not in text


def test_a_paused_subscription_collects_nothing_and_resumes_from_now(session_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sub = subscribe(session_factory, frequency="immediate")
    with session_scope(session_factory) as session:
        set_active(session, sub, False)
        add_article(session, "while-paused", title="While paused")
    mail = mail_config(None, tmp_path)
    assert queue_digests(session_factory, mail, "immediate", now=T0 + 2 * HOUR) == 0
    with session_scope(session_factory) as session:
        set_active(session, sub, True)
    assert queue_digests(session_factory, mail, "immediate", now=T0 + 3 * HOUR) == 0
    with session_scope(session_factory) as session:
        add_article(session, "after", title="After resume", first_seen_at=dt.datetime.now(dt.UTC) + HOUR)
    assert queue_digests(session_factory, mail, "immediate") == 1
    assert "While paused" not in texts(session_factory)[sub]


def test_a_failure_while_queueing_leaves_nothing_selected(session_factory, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    subscribe(session_factory, frequency="immediate")
    with session_scope(session_factory) as session:
        add_article(session, "x", title="Will be retried")

    other = subscribe(session_factory, frequency="immediate", email="other@example.org")
    real_enqueue = alerts.jobs.enqueue

    def broken_for_the_first(session, message, **kwargs):  # type: ignore[no-untyped-def]
        if kwargs["subscription_id"] != other:
            raise RuntimeError("renderer crashed")
        return real_enqueue(session, message, **kwargs)

    monkeypatch.setattr(alerts.jobs, "enqueue", broken_for_the_first)
    # The broken subscription is logged and skipped; the other one still gets its digest.
    assert queue_digests(session_factory, mail_config(None, tmp_path), "immediate", now=T0 + 2 * HOUR) == 1
    with session_scope(session_factory) as session:
        entries = session.execute(select(DigestEntry.subscription_id)).scalars().all()
        assert entries == [other]  # nothing of the failed subscription's selection was kept
    monkeypatch.undo()
    assert queue_digests(session_factory, mail_config(None, tmp_path), "immediate", now=T0 + 3 * HOUR) == 1


def test_the_watermark_keeps_late_commits_within_the_overlap(session_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sub = subscribe(session_factory, frequency="immediate", query="Khujand")
    mail = mail_config(None, tmp_path)
    with session_scope(session_factory) as session:
        add_article(session, "no-match", title="Water talks", body="Nothing to see.", first_seen_at=T0 + HOUR)
    assert queue_digests(session_factory, mail, "immediate", now=T0 + 10 * HOUR) == 0
    with session_scope(session_factory) as session:
        assert session.get(Subscription, sub).checked_until == T0 + 10 * HOUR  # type: ignore[union-attr]
        # A crawl that stamped first_seen_at 1 h before the last run but committed after it: still found.
        add_article(session, "late", title="Khujand fair", first_seen_at=T0 + 9 * HOUR)
        # One stamped long before the watermark (far beyond any crawl's lifetime): outside the scan.
        add_article(session, "ancient", title="Khujand archive", first_seen_at=T0 + 2 * HOUR)
    assert queue_digests(session_factory, mail, "immediate", now=T0 + 11 * HOUR) == 1
    text = texts(session_factory)[sub]
    assert "*Khujand* fair" in text and "archive" not in text
