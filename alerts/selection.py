"""Choosing what a subscription has not been sent yet.

Correctness rests on ``digest_entry``'s unique (subscription, article) pair: an article is a
candidate only while no such row exists, and the rows are written in the same transaction as the
outbox message that carries the articles (see :mod:`alerts.jobs`). Candidates are further limited to
articles first seen after the subscription was created (no flood of old news on the first run) and,
unless ``alert_backfill`` is set, not first seen by a backfill crawl (nor kept as archive by a
source's baseline crawl, see ``crawler.pipelines``). Whatever its first-seen time, an article published
more than ``news_window_days`` (default 7) before today is archive, not news, and is never mailed.

A watermark (``subscription.checked_until``, the time of the last selection) keeps each run from
re-examining the subscription's whole history: articles that did not match a query never get a
digest_entry row, so without it they would be re-checked on every run forever. The scan starts
``WATERMARK_OVERLAP`` before the watermark, because an article's ``first_seen_at`` is stamped when the
crawler inserts it but becomes visible only when the crawl's transaction commits; an article committed
more than that after its stamp would be missed (crawls are killed long before, at
scheduler.crawl_timeout_seconds, 30 minutes by default).

Near-duplicates (``article.duplicate_of``) collapse into one entry that names the other sources
("also reported by"); every member still gets its digest_entry row so none comes back later. A
duplicate whose original was already sent to the subscription is recorded but not shown again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from alerts.render import DigestItem
from storage import subscriptions as table
from storage.db import Session
from storage.published import published_of
from storage.search import SearchFilters, matching_article_ids
from storage.subscriptions import Subscription

SUMMARY_SOURCE_CHARS = 1500
WATERMARK_OVERLAP = dt.timedelta(hours=2)
DEFAULT_NEWS_WINDOW_DAYS = 7  # published longer ago than this is archive, not news


@dataclass(slots=True)
class Selection:
    """What one digest will show (``items``) and every article it accounts for (``article_ids``)."""

    items: list[DigestItem] = field(default_factory=list)
    article_ids: list[int] = field(default_factory=list)


def news_cutoff(news_window_days: int | None, now: dt.datetime | None = None) -> dt.date | None:
    """The oldest publication day still news: ``news_window_days`` before today (UTC), or None."""
    if news_window_days is None:
        return None
    today = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).date()
    return today - dt.timedelta(days=news_window_days)


def candidate_rows(
    session: Session,
    sub: Subscription,
    *,
    alert_backfill: bool,
    news_window_days: int | None = DEFAULT_NEWS_WINDOW_DAYS,
    archive_since: dt.date | None = None,
    now: dt.datetime | None = None,
) -> list[Any]:
    """Articles this subscription could still receive, filtered by source, language and tag.

    ``archive_since`` (``digest preview --since``) asks the archive instead: every article published on
    or after that day that matches the subscription, sent or not, whenever and however it was first seen.
    """
    since = sub.created_at
    if sub.checked_until is not None:
        since = max(since, sub.checked_until - WATERMARK_OVERLAP)
    return table.candidate_rows(
        session, sub, since=since, alert_backfill=alert_backfill, summary_chars=SUMMARY_SOURCE_CHARS,
        news_since=news_cutoff(news_window_days, now), archive_since=archive_since,
    )  # fmt: skip


def select_pending(
    session: Session,
    sub: Subscription,
    *,
    alert_backfill: bool = False,
    news_window_days: int | None = DEFAULT_NEWS_WINDOW_DAYS,
    archive_since: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Selection:
    """Everything new for ``sub`` that it has not been sent, grouped by story. Reads only."""
    candidates = candidate_rows(
        session, sub, alert_backfill=alert_backfill, news_window_days=news_window_days,
        archive_since=archive_since, now=now,
    )  # fmt: skip
    rows = {row[0]: row for row in candidates}
    if sub.query:
        # the archive's own search (same query language as the UI); returns a subset of the candidates
        matched = matching_article_ids(session, sub.query, SearchFilters(), rows)
        rows = {id_: row for id_, row in rows.items() if id_ in matched}
    if not rows:
        return Selection()

    def root(row) -> int:  # type: ignore[no-untyped-def]
        return row[10] if row[10] is not None else row[0]

    groups: dict[int, list] = {}
    for row in rows.values():
        groups.setdefault(root(row), []).append(row)
    outside_roots = {r for r in groups if r not in rows}
    sent_roots = table.already_sent(session, sub.id, outside_roots)
    root_sources = table.sources_of(session, outside_roots - sent_roots)

    selection = Selection()
    for root_id, members in groups.items():
        selection.article_ids.extend(row[0] for row in members)
        if root_id in sent_roots:
            continue
        lead = rows.get(root_id) or members[0]
        others = {row[3] for row in members if row is not lead}
        if root_id not in rows and root_id in root_sources:
            others.add(root_sources[root_id])
        others.discard(lead[3])
        selection.items.append(
            DigestItem(
                article_id=lead[0], title=lead[1], url=lead[2], source=lead[3], published_at=lead[4],
                first_seen_at=lead[5], summary=lead[6] or lead[7] or "", tags=list(lead[8] or []),
                language=lead[9], also_reported_by=sorted(others),
                published=published_of(lead[4], lead[11], lead[12]),
            )
        )  # fmt: skip
    selection.article_ids.sort()
    return selection
