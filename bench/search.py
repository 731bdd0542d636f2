"""Search benchmark: bulk-load N generated articles, then time a fixed set of queries.

Prints the load rate (articles/s, with a no-full-text-index baseline loaded in the same process),
search latency p50/p95 over >= 20 queries (words, phrases, OR, exclusions, prefixes, filters, rare and
common terms, English, Russian and Tajik, browse mode), each query's own median and match count, and
peak memory (ru_maxrss). SQLite always; PostgreSQL too with ``--pg-url``.

Examples::

    .venv/bin/python -m bench.search --n 20000 --db /tmp/nw-bench-20k.db
    .venv/bin/python -m bench.search --n 1000000 --reuse            # /tmp/newswatch-bench-1m.db
    .venv/bin/python -m bench.search --n 100000 --skip-sqlite \\
        --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/nw_bench

The SQLite database is kept (``bench/web.py`` reuses it); ``--reuse`` skips loading when it already
holds N articles. Loading uses executemany in 5,000-row batches or COPY (PostgreSQL, the generated
tsvector computed as in production), never the per-item upsert, and writes explicit ids so a rerun is
deterministic. On SQLite each batch fills ``article_fts`` with one ``INSERT ... SELECT`` over the batch's
ids while the per-row insert trigger is dropped inside the same transaction (and re-created before its
commit, so an interrupted load never leaves the trigger missing): the same index, twice as fast as the
trigger firing for every row. ``--fts-triggers`` measures the per-row trigger path crawls use instead.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from bench.generate import INFLECTIONS, GeneratedArticle, _vocabularies, generate_articles
from storage.db import make_engine
from storage.facets import FACET_SAMPLE, facet_counts
from storage.migrate import upgrade
from storage.models import Article
from storage.search import RANK_WINDOW, SearchFilters, search_articles
from storage.stemming import stem_text
from storage.tags import tag_key

DEFAULT_DB = "/tmp/newswatch-bench-1m.db"
BATCH = 5000
COLUMNS = (
    "id", "canonical_url", "url", "source", "title", "body", "published_at", "first_seen_at", "fetched_at",
    "language", "authors", "tags", "content_hash", "extraction", "relevance_terms", "attachments",
    "first_seen_by_backfill", "extra", "title_stems", "body_stems",
)  # fmt: skip
NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _sqlite_ts(value: dt.datetime | None) -> str | None:
    # The exact text SQLAlchemy's SQLite DateTime writes, so filters compare correctly.
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if value else None


def _row(a: GeneratedArticle, pg: bool) -> tuple[Any, ...]:
    ts = (lambda v: v) if pg else _sqlite_ts
    first_seen = a.published_at or NOW
    return (
        a.seq + 1, a.canonical_url, a.url, a.source, a.title, a.body, ts(a.published_at), ts(first_seen),
        ts(first_seen), a.language, "[]", json.dumps(a.tags), a.content_hash, "bench", "[]", "[]",
        False, "{}", stem_text(a.title, a.language), stem_text(a.body, a.language),
    )  # fmt: skip


def _batches(n: int, seed: int, start: int = 0) -> Iterator[list[GeneratedArticle]]:
    batch: list[GeneratedArticle] = []
    for article in generate_articles(n, seed, start=start):
        batch.append(article)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


class LoadStats:
    def __init__(self) -> None:
        self.db_seconds = 0.0
        self.db_cpu_seconds = 0.0
        self.wall_seconds = 0.0
        self.loaded = 0

    def report(self, label: str) -> str:
        db_rate = self.loaded / self.db_seconds if self.db_seconds else 0
        wall_rate = self.loaded / self.wall_seconds if self.wall_seconds else 0
        cpu_rate = self.loaded / self.db_cpu_seconds if self.db_cpu_seconds else 0
        return (
            f"{label}: loaded {self.loaded:,} articles; database wall time {self.db_seconds:.1f}s = "
            f"{db_rate:,.0f} articles/s (this process's CPU in those calls {self.db_cpu_seconds:.1f}s = "
            f"{cpu_rate:,.0f} articles/s); with generation {self.wall_seconds:.1f}s = {wall_rate:,.0f} articles/s"
        )


def _progress(done: int, n: int, started: float) -> None:
    rate = done / max(time.perf_counter() - started, 1e-9)
    print(f"\r  {done:,}/{n:,} ({rate:,.0f}/s)", end="", file=sys.stderr, flush=True)


FTS_INSERT_TRIGGER = "article_fts_ai"  # migration 0001: indexes each inserted article row


def load_sqlite(path: str, n: int, seed: int, *, fts_triggers: bool = False) -> LoadStats:
    """Bulk insert with executemany; article_fts is filled per batch (or by the trigger per row)."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None, timeout=600)  # readers may hold the lock a while
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")  # a benchmark load; production keeps NORMAL
    conn.execute("PRAGMA cache_size=-262144")
    conn.execute("PRAGMA foreign_keys=OFF")
    start = conn.execute("SELECT coalesce(max(id), 0) FROM article").fetchone()[0]
    insert = f"INSERT INTO article ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    trigger_sql = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (FTS_INSERT_TRIGGER,)
    ).fetchone()[0]
    stats = LoadStats()
    started = time.perf_counter()
    for batch in _batches(n, seed, start=start):
        rows = [_row(a, pg=False) for a in batch]
        tags = [(a.seq + 1, tag_key(tag)) for a in batch for tag in a.tags]
        t0, c0 = time.perf_counter(), time.process_time()
        conn.execute("BEGIN")
        if not fts_triggers:
            conn.execute(f"DROP TRIGGER {FTS_INSERT_TRIGGER}")
        conn.executemany(insert, rows)
        conn.executemany("INSERT INTO article_tag (article_id, tag) VALUES (?, ?)", tags)
        if not fts_triggers:
            conn.execute(
                "INSERT INTO article_fts (rowid, title, body, title_stems, body_stems) "
                "SELECT id, title, body, title_stems, body_stems FROM article WHERE id BETWEEN ? AND ? ORDER BY id",
                (batch[0].seq + 1, batch[-1].seq + 1),
            )
            conn.execute(trigger_sql)
        conn.execute("COMMIT")
        stats.db_seconds += time.perf_counter() - t0
        stats.db_cpu_seconds += time.process_time() - c0
        stats.loaded += len(batch)
        _progress(start + stats.loaded, n, started)
    t0, c0 = time.perf_counter(), time.process_time()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("ANALYZE")
    stats.db_seconds += time.perf_counter() - t0
    stats.db_cpu_seconds += time.process_time() - c0
    stats.wall_seconds = time.perf_counter() - started
    print(file=sys.stderr)
    conn.close()
    return stats


def baseline_sqlite_load(n: int, seed: int) -> LoadStats:
    """The same rows into a plain table with no indexes or FTS: the floor a load could reach."""
    import sqlite3
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        conn = sqlite3.connect(str(Path(tmp) / "baseline.db"), isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute(f"CREATE TABLE article ({', '.join(COLUMNS)})")
        insert = f"INSERT INTO article VALUES ({', '.join('?' * len(COLUMNS))})"
        stats = LoadStats()
        started = time.perf_counter()
        for batch in _batches(n, seed):
            rows = [_row(a, pg=False) for a in batch]
            t0, c0 = time.perf_counter(), time.process_time()
            conn.execute("BEGIN")
            conn.executemany(insert, rows)
            conn.execute("COMMIT")
            stats.db_seconds += time.perf_counter() - t0
            stats.db_cpu_seconds += time.process_time() - c0
            stats.loaded += len(batch)
        stats.wall_seconds = time.perf_counter() - started
        conn.close()
    return stats


def load_postgres(url: str, n: int, seed: int) -> LoadStats:
    """COPY into article (the generated search_vector is computed by the server) and article_tag."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    stats = LoadStats()
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for batch in _batches(n, seed):
            rows = [_row(a, pg=True) for a in batch]
            t0 = time.perf_counter()
            with cur.copy(f"COPY article ({', '.join(COLUMNS)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row(row)
            with cur.copy("COPY article_tag (article_id, tag) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for a in batch:
                    for tag in a.tags:
                        copy.write_row((a.seq + 1, tag_key(tag)))
            raw.commit()
            stats.db_seconds += time.perf_counter() - t0
            stats.loaded += len(batch)
            _progress(stats.loaded, n, started)
        t0 = time.perf_counter()
        cur.execute("SELECT setval('article_id_seq', (SELECT max(id) FROM article))")
        raw.commit()
        raw.driver_connection.autocommit = True  # type: ignore[union-attr]
        cur.execute("VACUUM ANALYZE article")
        cur.execute("VACUUM ANALYZE article_tag")
        stats.db_seconds += time.perf_counter() - t0
    finally:
        raw.close()
        engine.dispose()
    stats.wall_seconds = time.perf_counter() - started
    print(file=sys.stderr)
    return stats


def default_queries() -> list[tuple[str, str | None, SearchFilters, str]]:
    """(label, text, filters, order): >= 20 cases across kinds, languages and match counts."""
    vocab = _vocabularies()
    rare_en = str(vocab["en"].tail[-1])  # the least likely name: a few hundred matches in a million
    mid_en = str(vocab["en"].tail[40])
    rare_ru = str(vocab["ru"].tail[-1])
    since = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    none = SearchFilters()
    return [
        ("common word (en)", "the", none, "relevance"),
        ("common word (ru)", "и", none, "relevance"),
        ("common word newest", "the", none, "newest"),
        ("place (en)", "Dushanbe", none, "relevance"),
        ("place (ru)", "Душанбе", none, "relevance"),
        ("two words", "border management", none, "relevance"),
        ("phrase (en)", '"human rights"', none, "relevance"),
        ("phrase (ru)", '"права человека"', none, "relevance"),
        ("OR", "elections OR parliament", none, "relevance"),
        ("OR across languages", "OSCE OR ОБСЕ", none, "relevance"),
        ("exclusion", "water -energy", none, "relevance"),
        ("phrase exclusion", 'migrants -"labour migration"', none, "relevance"),
        ("prefix (en)", "hydro*", none, "relevance"),
        ("prefix (ru)", "мигра*", none, "relevance"),
        ("Tajik word", "ҳукумат", none, "relevance"),
        ("rare name (en)", rare_en, none, "relevance"),
        ("rare name (ru)", rare_ru, none, "relevance"),
        ("mid-frequency name", mid_en, none, "relevance"),
        ("no match", "zzyzxqwv", none, "relevance"),
        ("rare + common", f"{rare_en} the", none, "relevance"),
        ("source filter", "security", SearchFilters(sources=("osce",)), "relevance"),
        ("date filter", "water", SearchFilters(since=since), "relevance"),
        ("tag filter", "energy", SearchFilters(tags=("energy",)), "relevance"),
        ("language filter", "Khorog", SearchFilters(languages=("en",)), "relevance"),
        ("browse all", None, none, "newest"),
        ("browse source+date", None, SearchFilters(sources=("avesta",), since=since), "newest"),
        ("browse tag", None, SearchFilters(tags=("odihr",)), "newest"),
    ]


def _time_queries(
    session: Session, queries: list[Any], repeats: int
) -> tuple[list[float], list[float], list[str]]:
    timings: list[float] = []
    cpu: list[float] = []
    lines: list[str] = []
    for label, query, filters, order in queries:
        search_articles(session, query, filters, order=order)  # warm the cache for this query
        own: list[float] = []
        own_cpu: list[float] = []
        page = None
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            page = search_articles(session, query, filters, order=order)
            own.append((time.perf_counter() - t0) * 1000)
            own_cpu.append((time.process_time() - c0) * 1000)
        timings.extend(own)
        cpu.extend(own_cpu)
        assert page is not None
        est = "~" if page.total_is_estimate else ""
        lines.append(
            f"  {label:<22} {str(query)[:28]:<28} median {statistics.median(own):7.1f} ms "
            f"(cpu {statistics.median(own_cpu):6.1f})  "
            f"total {est}{page.total:,}{_mode(page)}"
        )
    return timings, cpu, lines


def _mode(page: Any) -> str:
    if any("newest first" in note for note in page.notes):
        return "  (too common: newest first)"
    return f"  (ranked newest {RANK_WINDOW:,})" if page.window_limited else ""


def _baseline_ms(session: Session, repeats: int) -> float:
    """A 20-row primary-key fetch: the floor under any page of results."""
    newest = session.scalar(select(func.max(Article.id))) or 1
    own = []
    for i in range(repeats * 5):
        ids = [max(1, newest - i * 97 - k * 13) for k in range(20)]
        t0 = time.perf_counter()
        session.execute(select(Article.id, Article.title, Article.url).where(Article.id.in_(ids))).all()
        own.append((time.perf_counter() - t0) * 1000)
    return statistics.median(own)


def _time_facets(session: Session, queries: list[Any], repeats: int) -> tuple[list[float], list[float]]:
    """Wall and CPU ms of all four facets for every query (what the search page adds to a search)."""
    wall: list[float] = []
    cpu: list[float] = []
    for _label, query, filters, _order in queries:
        facet_counts(session, query, filters)
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            facet_counts(session, query, filters)
            wall.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
    return wall, cpu


def run_queries(url: str, label: str, queries: list[Any], repeats: int) -> None:
    engine = make_engine(url) if url.startswith("sqlite") else create_engine(url)
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(Article))
        baseline = _baseline_ms(session, repeats)
        timings, cpu, lines = _time_queries(session, queries, repeats)
        facet_wall, facet_cpu = _time_facets(session, queries, max(1, repeats // 2))
    engine.dispose()
    ordered = sorted(timings)
    p50, p95 = statistics.median(ordered), _p95(ordered)
    cpu_p50, cpu_p95 = statistics.median(cpu), _p95(sorted(cpu))
    print(f"{label}: {count:,} articles, {len(queries)} queries x {repeats} runs; load average {_loadavg()}")
    print("\n".join(lines))
    print(
        f"{label}: search wall p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {ordered[-1]:.1f} ms; "
        f"CPU p50 {cpu_p50:.1f} ms, p95 {cpu_p95:.1f} ms; "
        f"baseline 20-row id fetch {baseline:.2f} ms (p50 = {p50 / baseline:.0f}x baseline); "
        f"peak RSS {_peak_mb():,.0f} MB"
    )
    print(
        f"{label}: facets (source, language, topic, month) wall p50 {statistics.median(facet_wall):.1f} ms, "
        f"p95 {_p95(sorted(facet_wall)):.1f} ms; CPU p95 {_p95(sorted(facet_cpu)):.1f} ms "
        f"(newest {FACET_SAMPLE:,} matches counted)"
    )


def recall_report(n: int, seed: int) -> list[str]:
    """Recall of dictionary-form queries: of the articles holding any form of a word, how many are found.

    The corpus is generated afresh (``n`` articles) with the generator's hand-written paradigms
    (``bench.generate.INFLECTIONS``); the truth is read from the text itself (any form as a whole word),
    never from our stemmer. "before" is the exact form as typed (``=word``: what search did before
    stemming), "after" the ordinary query. ``extra`` counts matches holding none of the forms.
    """
    import tempfile

    from storage.search import iter_matching_articles
    from storage.tokens import tokenize

    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "recall.db")
        load_sqlite(path, n, seed)
        engine = make_engine(f"sqlite:///{path}")
        with Session(engine) as session:
            words = {
                id_: set(tokenize(f"{title} {body}"))
                for id_, title, body in session.execute(select(Article.id, Article.title, Article.body))
            }
            totals: dict[str, list[int]] = {}
            for forms in INFLECTIONS.values():
                lemma = forms[0]
                language = "tg" if set("ҳқҷғӣӯ") & set(lemma) else "ru" if lemma[0] >= "\u0400" else "en"
                wanted = {f.lower() for f in forms}
                truth = {id_ for id_, seen in words.items() if seen & wanted}
                before = {row["id"] for row in iter_matching_articles(session, f"={lemma}")}
                after = {row["id"] for row in iter_matching_articles(session, lemma)}
                sums = totals.setdefault(language, [0, 0, 0, 0])
                sums[0] += len(truth)
                sums[1] += len(before & truth)
                sums[2] += len(after & truth)
                sums[3] += len(after - truth)
                lines.append(
                    f"  {lemma:<16} forms {len(forms):>2}  articles with a form {len(truth):>6,}  "
                    f"recall before {len(before & truth) / max(len(truth), 1):.3f}  "
                    f"after {len(after & truth) / max(len(truth), 1):.3f}  extra {len(after - truth):,}"
                )
        engine.dispose()
        lines.append(_index_sizes(path, n))
    for language, (truth_n, before_n, after_n, extra_n) in totals.items():
        lines.append(
            f"recall {language}: before {before_n / max(truth_n, 1):.3f}, after {after_n / max(truth_n, 1):.3f} "
            f"over {truth_n:,} (word, article) pairs; {extra_n:,} extra matches"
        )
    return lines


def _index_sizes(path: str, n: int) -> str:
    """FTS5 index bytes per article with the stem columns (now) and without (an index as before 0005)."""
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE VIRTUAL TABLE fts_before USING fts5(title, body, content='article', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    conn.execute("INSERT INTO fts_before(fts_before) VALUES ('rebuild')")
    conn.commit()

    def size(prefix: str) -> int:
        query = "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE ? AND name NOT LIKE ?"
        return int(
            conn.execute(query, (prefix + "%", "fts_before%" if prefix == "article" else "")).fetchone()[0]
        )

    before, after = size("fts_before"), size("article_fts")
    table = int(conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name = 'article'").fetchone()[0])
    stems = conn.execute("SELECT sum(length(title_stems) + length(body_stems)) FROM article").fetchone()[0]
    conn.close()
    t0 = time.process_time()
    for article in generate_articles(min(n, 2000), 99):
        stem_text(article.title, article.language), stem_text(article.body, article.language)
    stem_us = (time.process_time() - t0) / min(n, 2000) * 1e6
    return (
        f"index size: FTS5 {before / n:,.0f} bytes/article before (title, body), {after / n:,.0f} after "
        f"(+ stem columns) = {after / max(before, 1):.2f}x; the article table holds {stems / n:,.0f} bytes/article "
        f"of stem text (table {table / n:,.0f} bytes/article); stemming costs {stem_us:,.0f} us CPU per article"
    )


def _p95(ordered: list[float]) -> float:
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def _loadavg() -> str:
    """The machine's load: wall-clock figures on a shared machine mean little without it."""
    try:
        import os

        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def _sqlite_count(path: str) -> int:
    import sqlite3

    if not Path(path).exists():
        return -1
    try:
        conn = sqlite3.connect(path)
        value = conn.execute("SELECT max(id) FROM article").fetchone()[0]
        conn.close()
        return int(value or 0)
    except sqlite3.Error:
        return -1


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="articles to generate (default 100,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", default=DEFAULT_DB, help=f"SQLite file to build (default {DEFAULT_DB})")
    parser.add_argument(
        "--reuse", action="store_true", help="skip loading if --db already holds --n articles"
    )
    parser.add_argument("--resume", action="store_true", help="continue an interrupted load of --db")
    parser.add_argument(
        "--pg-reuse", action="store_true", help="skip the PostgreSQL load if it holds --n articles"
    )
    parser.add_argument(
        "--pg-url", help="also benchmark PostgreSQL (its public schema is dropped and rebuilt)"
    )
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--pg-n", type=int, help="articles to load into PostgreSQL (default: --n; COPY with stemming is slow)"
    )
    parser.add_argument(
        "--fts-triggers",
        action="store_true",
        help="SQLite: let the per-row FTS5 trigger index each article (as crawls do) instead of one "
        "INSERT ... SELECT per batch",
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per query")
    parser.add_argument(
        "--baseline-n", type=int, default=20_000, help="articles in the no-index load baseline"
    )
    parser.add_argument("--queries", nargs="*", help="labels of the default queries to run (default: all)")
    parser.add_argument(
        "--recall-n", type=int, default=10_000, help="articles in the recall section's corpus (0: skip it)"
    )
    args = parser.parse_args(argv)

    queries = default_queries()
    if args.queries:
        queries = [q for q in queries if q[0] in set(args.queries)] or queries
    print(
        f"generator: N={args.n:,} seed={args.seed}; {len(queries)} queries; python {sys.version.split()[0]}"
    )
    if args.recall_n:
        print(f"recall of dictionary-form queries ({args.recall_n:,} generated articles, SQLite):")
        print("\n".join(recall_report(args.recall_n, args.seed)))
    if not args.skip_sqlite:
        have = _sqlite_count(args.db)
        if args.reuse and have == args.n:
            print(f"sqlite: reusing {args.db} ({have:,} articles)")
            engine = make_engine(f"sqlite:///{args.db}")
            upgrade(engine)  # a file loaded before the newest migration gets it (e.g. 0007's tag kinds)
            engine.dispose()
        elif args.resume and 0 < have < args.n:
            print(f"sqlite: resuming the load of {args.db} after {have:,} articles")
            stats = load_sqlite(args.db, args.n, args.seed, fts_triggers=args.fts_triggers)
            print(stats.report("sqlite load (resumed part)"))
            print(
                f"sqlite file size {Path(args.db).stat().st_size / 1e9:.2f} GB; peak RSS {_peak_mb():,.0f} MB"
            )
        else:
            if have != -1 and have != args.n:
                for suffix in ("", "-wal", "-shm"):
                    Path(args.db + suffix).unlink(missing_ok=True)
            base = baseline_sqlite_load(min(args.baseline_n, args.n), args.seed)
            print(base.report("sqlite baseline (plain table, no indexes, no FTS)"))
            stats = load_sqlite(args.db, args.n, args.seed, fts_triggers=args.fts_triggers)
            mode = "per-row FTS triggers" if args.fts_triggers else "FTS filled per batch"
            print(stats.report(f"sqlite load ({mode})"))
            if base.db_cpu_seconds and stats.db_cpu_seconds:
                ratio = (stats.loaded / stats.db_cpu_seconds) / (base.loaded / base.db_cpu_seconds)
                print(
                    f"sqlite load rate (CPU) = {ratio:.2f}x the no-index baseline; peak RSS {_peak_mb():,.0f} MB"
                )
            print(f"sqlite file size {Path(args.db).stat().st_size / 1e9:.2f} GB")
        run_queries(f"sqlite:///{args.db}", "sqlite", queries, args.repeats)
    if args.pg_url:
        try:
            pg_n = args.pg_n or args.n
            if args.pg_reuse and _pg_count(args.pg_url) == pg_n:
                print(f"postgresql: reusing {pg_n:,} articles")
            else:
                print(load_postgres(args.pg_url, pg_n, args.seed).report("postgresql load (COPY)"))
        except Exception as exc:  # noqa: BLE001 - unreachable server: report and carry on
            print(f"postgresql: skipped ({exc.__class__.__name__}: {str(exc).splitlines()[0]})")
        else:
            print(_pg_sizes(args.pg_url))
            run_queries(args.pg_url, "postgresql", queries, args.repeats)


def _pg_sizes(url: str) -> str:
    """The GIN index over search_vector (stems + text as written since 0005) and the whole table."""
    engine = create_engine(url)
    with engine.connect() as conn:
        n = int(conn.execute(text("SELECT count(*) FROM article")).scalar() or 1)
        gin = int(conn.execute(text("SELECT pg_relation_size('ix_article_search_vector')")).scalar() or 0)
        total = int(conn.execute(text("SELECT pg_total_relation_size('article')")).scalar() or 0)
        before = conn.execute(
            text(
                "SELECT avg(length(to_tsvector('simple', title)) + length(to_tsvector('simple', body))), "
                "avg(length(search_vector)) FROM (SELECT title, body, search_vector FROM article LIMIT 2000) a"
            )
        ).one()
    engine.dispose()
    return (
        f"postgresql sizes: GIN index {gin / n:,.0f} bytes/article, table with TOAST and indexes "
        f"{total / n:,.0f} bytes/article; lexemes per article {before[0]:.0f} unstemmed (before) vs "
        f"{before[1]:.0f} in search_vector (stems + text as written, after)"
    )


def _pg_count(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT coalesce(max(id), 0) FROM article")).scalar() or 0)
    except Exception:  # noqa: BLE001 - no schema yet
        return -1
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
