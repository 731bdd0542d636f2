"""How long digest selection and delivery take, and how selection cost grows with a subscription's age.

Builds a SQLite archive of synthetic articles (bench/generate.py), then measures in one process:

* ``idle (young)``  - queue_digests when nothing is new, subscriptions created after the archive (baseline)
* ``queue``         - queue_digests after ``--new`` articles arrived: messages queued, ms per subscription
* ``idle again``    - the same run repeated (nothing new; digest_entry now has rows)
* ``idle (old)``    - nothing new, but subscriptions older than the whole archive, all of it already sent,
                      and no watermark yet: the run anti-joins the subscription's whole history
* ``idle (old) 2``  - the same again, now that the first run set the watermark (subscription.checked_until)
* ``deliver eml``   - writing the queued messages as .eml files
* ``deliver smtp``  - the same messages through aiosmtpd on loopback

Ratios are against the ``idle (young)`` run (selection) and ``deliver eml`` (delivery). Peak RSS at the end.

Usage::

    .venv/bin/python bench/alerts_digest.py                       # 20,000 articles, 60 subscriptions
    .venv/bin/python bench/alerts_digest.py --articles 100000 --subscriptions 200
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from aiosmtpd.controller import Controller  # noqa: E402
from sqlalchemy import insert, select, update  # noqa: E402

from alerts.config import MailConfig  # noqa: E402
from alerts.jobs import deliver_outbox, queue_digests  # noqa: E402
from alerts.subscriptions import add_subscription  # noqa: E402
from bench.generate import generate_articles  # noqa: E402
from storage.db import make_engine, make_session_factory, session_scope  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Article, ArticleTag, DigestEntry, OutboxMessage, Subscription  # noqa: E402

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
QUERIES = ["Dushanbe", '"border management"', "OSCE OR ОБСЕ", "Khujand*", "water -football"]


class _Sink:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        self.count += 1
        return "250 OK"


class _Loopback(Controller):
    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def load(factory, n: int, first: dt.datetime, step: dt.timedelta, offset: int) -> None:  # type: ignore[no-untyped-def]
    rows, tags = [], []
    for i, art in enumerate(generate_articles(offset + n, seed=3, start=offset)):
        rows.append(dict(
            id=offset + i + 1, canonical_url=art.canonical_url, url=art.url, source=art.source, title=art.title,
            body=art.body, summary=None, published_at=art.published_at, first_seen_at=first + i * step,
            fetched_at=first + i * step, language=art.language, tags=art.tags, content_hash=art.content_hash,
            first_seen_by_backfill=False, authors=[], relevance_terms=[], attachments=[], extra={},
            extraction="site",
        ))  # fmt: skip
        tags += [{"article_id": offset + i + 1, "tag": t} for t in art.tags]
    with session_scope(factory) as session:
        for start in range(0, len(rows), 1000):
            session.execute(insert(Article), rows[start : start + 1000])
        if tags:
            session.execute(insert(ArticleTag), tags)


def subscribe(factory, count: int, when: dt.datetime) -> list[int]:  # type: ignore[no-untyped-def]
    ids = []
    with session_scope(factory) as session:
        for k in range(count):
            kind = k % 3
            sub = add_subscription(
                session, email=f"reader{k}@example.org", frequency="immediate", now=when,
                query=QUERIES[k % len(QUERIES)] if kind == 1 else None,
                sources=["osce"] if kind == 2 else (), tags=["Security"] if kind == 2 and k % 2 else (),
            )  # fmt: skip
            ids.append(sub.id)
    return ids


def timed(label: str, fn, results: dict[str, float]):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = fn()
    results[label] = time.perf_counter() - start
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000, help="archive size before the subscriptions")
    parser.add_argument("--new", type=int, default=300, help="articles arriving after them")
    parser.add_argument("--subscriptions", type=int, default=60)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        engine = make_engine(url)
        upgrade(engine)
        factory = make_session_factory(engine)
        step = dt.timedelta(minutes=5)
        hour = dt.timedelta(hours=1)
        load(factory, args.articles, T0, step, 0)
        archive_end = T0 + args.articles * step
        subscribe(factory, args.subscriptions, archive_end)
        mail = MailConfig(outbox_dir=Path(tmp) / "outbox", sender="bench <bench@example.org>")
        t: dict[str, float] = {}
        now = archive_end + dt.timedelta(days=1)

        queue_digests(factory, mail, None, now=now)  # warm-up: imports, caches, SQLite pages
        timed("idle (young)", lambda: queue_digests(factory, mail, None, now=now), t)
        load(factory, args.new, now + step, dt.timedelta(seconds=1), args.articles)  # after the last run
        queued = timed("queue", lambda: queue_digests(factory, mail, None, now=now + 1 * hour), t)
        timed("idle again", lambda: queue_digests(factory, mail, None, now=now + 2 * hour), t)
        report = timed("deliver eml", lambda: deliver_outbox(factory, mail, now=now + 3 * hour), t)
        with session_scope(factory) as session:
            session.execute(
                update(OutboxMessage).values(status="queued", attempts=0, next_attempt_at=now + 3 * hour)
            )
        sink = _Sink()
        controller = _Loopback(sink, hostname="127.0.0.1", port=0)
        controller.start()
        smtp = MailConfig(smtp_host="127.0.0.1", smtp_port=controller.port, smtp_security="none",
                          sender="bench <bench@example.org>")  # fmt: skip
        smtp_report = timed("deliver smtp", lambda: deliver_outbox(factory, smtp, now=now + 4 * hour), t)
        controller.stop()

        # Old subscriptions: created before the archive, everything already sent to them.
        old_ids = subscribe(factory, args.subscriptions, T0 - step)
        with session_scope(factory) as session:
            session.execute(update(Subscription).where(Subscription.id.not_in(old_ids)).values(active=False))
            article_ids = list(session.scalars(select(Article.id)))
            for sub_id in old_ids:
                session.execute(
                    insert(DigestEntry), [{"subscription_id": sub_id, "article_id": a} for a in article_ids]
                )
        timed("idle (old)", lambda: queue_digests(factory, mail, None, now=now + 5 * hour), t)
        timed("idle (old) 2", lambda: queue_digests(factory, mail, None, now=now + 6 * hour), t)
        engine.dispose()

    subs = args.subscriptions
    print(f"archive {args.articles:,} articles, {args.new} new, {subs} subscriptions "
          f"(1/3 no filter, 1/3 query, 1/3 source/tag), SQLite")  # fmt: skip
    base = t["idle (young)"]
    for label in ("idle (young)", "queue", "idle again", "idle (old)", "idle (old) 2"):
        extra = f", {queued} messages" if label == "queue" else ""
        print(f"  {label:<13} {t[label]:7.3f} s  {1000 * t[label] / subs:7.2f} ms/subscription  "
              f"x{t[label] / base:5.1f} vs idle (young){extra}")  # fmt: skip
    eml = t["deliver eml"]
    print(f"  deliver eml   {eml:7.3f} s  {report.sent / eml:7.0f} msg/s  ({report.sent} sent)")
    print(f"  deliver smtp  {t['deliver smtp']:7.3f} s  {smtp_report.sent / t['deliver smtp']:7.0f} msg/s  "
          f"x{t['deliver smtp'] / eml:4.1f} vs eml ({smtp_report.sent} sent, server got {sink.count})")  # fmt: skip
    print(f"  peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
