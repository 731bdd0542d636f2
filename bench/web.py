"""Web latency benchmark: search page, JSON API, article and sources pages on a large SQLite archive.

Requests go in-process to the ASGI app through httpx's ASGITransport (the full stack: middleware,
parameter parsing, read-only session, storage.search, Jinja2 rendering), over the same >= 20 queries as
``bench/search.py``. Prints p50/p95 per kind, each as a ratio to two baselines measured in the same
process: the bare framework (``/favicon.ico``: routing + middleware, no database) and the search call
alone (``storage.search.search_articles`` on the same query), plus peak memory (ru_maxrss).

The archive is built by ``bench/search.py``'s loader from ``bench/generate.py`` and shared with it
(default ``/tmp/newswatch-bench-1m.db`` for a million articles; ``--reuse`` keeps an existing file).

Examples::

    .venv/bin/python -m bench.web --n 20000 --db /tmp/nw-web-bench-20k.db
    .venv/bin/python -m bench.web --n 1000000 --reuse          # /tmp/newswatch-bench-1m.db
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from bench.search import DEFAULT_DB, _sqlite_count, default_queries, load_sqlite
from newswatch.web import create_app, make_readonly_engine
from storage.db import make_session_factory
from storage.models import Article
from storage.search import SearchFilters, search_articles

PAGE_TARGET_MS = 100.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _params(text: str | None, filters: SearchFilters, order: str) -> list[tuple[str, str]]:
    """The URL query string a reader would have for this search."""
    items: list[tuple[str, str]] = [("q", text)] if text else []
    items += [("source", s) for s in filters.sources]
    items += [("language", lang) for lang in filters.languages]
    items += [("tag", t) for t in filters.tags]
    if filters.since:
        items.append(("since", filters.since.date().isoformat()))
    if filters.until:
        items.append(("until", filters.until.date().isoformat()))
    if order != "relevance":
        items.append(("order", order))
    return items


def _percentiles(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95, ordered[-1]


async def _time(client: httpx.AsyncClient, url: str, params: Any, repeats: int) -> tuple[list[float], int]:
    response = await client.get(url, params=params)  # warm: caches, templates, SQLite pages
    if response.status_code != 200:
        raise SystemExit(f"{url} {params} answered {response.status_code}: {response.text[:200]}")
    own = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        response = await client.get(url, params=params)
        own.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
    return own, len(response.content)


def _search_only_ms(sessions: Any, queries: list[Any], repeats: int) -> list[float]:
    timings = []
    with sessions() as session:
        for _label, text, filters, order in queries:
            search_articles(session, text, filters, order=order, limit=20)
            for _ in range(repeats):
                t0 = time.perf_counter()
                search_articles(session, text, filters, order=order, limit=20)
                timings.append((time.perf_counter() - t0) * 1000)
    return timings


async def run(db: str, repeats: int, verbose: bool) -> None:
    engine = make_readonly_engine(f"sqlite:///{db}")
    sessions = make_session_factory(engine)
    app = create_app(sessions, sources={}, page_size=20)
    queries = default_queries()
    with sessions() as session:
        count = session.scalar(select(func.count()).select_from(Article)) or 0
        newest = session.scalar(select(func.max(Article.id))) or 1
    article_ids = [max(1, newest - i * 7919) for i in range(20)]
    transport = httpx.ASGITransport(app=app)
    results: dict[str, list[float]] = {"page": [], "api": [], "article": [], "sources": [], "floor": []}
    lines = []
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        floor, _ = await _time(client, "/favicon.ico", None, repeats * 20)
        results["floor"] = floor
        for label, text, filters, order in queries:
            params = _params(text, filters, order)
            page, size = await _time(client, "/", params, repeats)
            api, _ = await _time(client, "/api/articles", params, repeats)
            results["page"] += page
            results["api"] += api
            lines.append(
                f"  {label:<22} {str(text)[:26]:<26} page {statistics.median(page):7.1f} ms "
                f"({size / 1024:4.0f} kB)  api {statistics.median(api):7.1f} ms"
            )
        for article_id in article_ids:
            own, _ = await _time(client, f"/articles/{article_id}", None, repeats)
            results["article"] += own
        own, _ = await _time(client, "/sources", None, repeats)
        results["sources"] += own
    search_only = _search_only_ms(sessions, queries, repeats)
    engine.dispose()

    floor_p50 = statistics.median(results["floor"])
    search_p50, search_p95, _ = _percentiles(search_only)
    print(f"sqlite {db}: {count:,} articles; {len(queries)} queries x {repeats} timed runs each")
    if verbose:
        print("\n".join(lines))
    print(f"baseline framework floor (/favicon.ico, no database): p50 {floor_p50:.2f} ms")
    print(f"baseline storage.search_articles alone: p50 {search_p50:.1f} ms, p95 {search_p95:.1f} ms")
    for kind, title in (("page", "search page /"), ("api", "JSON API /api/articles"),
                        ("article", "article page"), ("sources", "sources page")):  # fmt: skip
        p50, p95, worst = _percentiles(results[kind])
        extra = f"; p50 = {p50 / search_p50:.2f}x search alone" if kind in ("page", "api") else ""
        print(f"{title:<24} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  max {worst:7.1f} ms  "
              f"(n={len(results[kind])}; p50 = {p50 / floor_p50:.0f}x floor{extra})")  # fmt: skip
    page_p95 = _percentiles(results["page"])[1]
    verdict = "meets" if page_p95 < PAGE_TARGET_MS else "MISSES"
    print(
        f"search page p95 {page_p95:.1f} ms {verdict} the {PAGE_TARGET_MS:.0f} ms target; peak RSS {_peak_mb():,.0f} MB"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20_000, help="articles in the archive (default 20,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--db", help=f"SQLite file (default {DEFAULT_DB} for 1M, else /tmp/nw-web-bench-N.db)"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="(default) use --db as it is if it holds --n articles"
    )
    parser.add_argument("--rebuild", action="store_true", help="replace --db if it holds a different number")
    parser.add_argument("--repeats", type=int, default=5, help="timed requests per query (default 5)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each query's medians")
    args = parser.parse_args(argv)
    db = args.db or (DEFAULT_DB if args.n == 1_000_000 else f"/tmp/nw-web-bench-{args.n}.db")
    have = _sqlite_count(db)
    if have == args.n:
        print(f"reusing {db} ({have:,} articles)")
    elif have != -1 and not args.rebuild:
        raise SystemExit(f"{db} holds {have:,} articles, not {args.n:,}; pass --rebuild to replace it")
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(db + suffix).unlink(missing_ok=True)
        print(f"building {db} with {args.n:,} generated articles (seed {args.seed})", file=sys.stderr)
        print(load_sqlite(db, args.n, args.seed).report("sqlite load"))
    asyncio.run(run(db, args.repeats, args.verbose))


if __name__ == "__main__":
    main()
