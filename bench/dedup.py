"""Near-duplicate benchmark: precision/recall on real-text pairs, and the cost of linking a batch.

1. Quality. Originals are real article bodies: the seeds (osce.org releases cut to their body), the
   regional-proxy gold bodies (RFE/RL's CMS, VOA, Sputnik, Kommersant ...) and the fundus gold bodies
   (258 pages, many publishers and languages; identical copies dropped). Positive pairs are each original against syndicated
   copies made with the light edits outlets really make (new first sentence, agency byline, other
   paragraph breaks, a trailing "Read more", a few words changed, the last paragraph cut). Negative
   pairs are every two different originals (same-publisher pairs share boilerplate and topics; the
   osce.org pair and the Tajikistan-OSCE seeds are same-topic stories) and every copy against every
   other original. Methods compared on the same pairs: SimHash alone at several thresholds, MinHash
   (datasketch, 128 permutations, Jaccard >= 0.5), and what ``is_near_duplicate`` does (SimHash
   distance plus shingle resemblance/containment).
2. Speed. ``simhash`` per body; ``link_duplicates`` for a batch of 200 new articles (100 copies, 100
   new stories) against N stored articles (bodies assembled from real sentences, one year of dates),
   against a baseline in the same process: the same batch compared one article at a time against
   every stored fingerprint (a full scan per article). SQLite always, PostgreSQL with ``--pg-url``.
3. Rule speed (for crawler/relevance.py and crawler/tagging.py): microseconds per article.

Usage::

    .venv/bin/python -m bench.dedup                      # quality + SQLite, 5,000 stored
    .venv/bin/python -m bench.dedup --stored 5000 --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import hashlib
import itertools
import json
import random
import re
import resource
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
from datasketch import MinHash
from sqlalchemy import create_engine, select, text

from crawler.dedup import MAX_HAMMING, _confirmed, _fingerprint, features, hamming, link_duplicates, normalise
from crawler.relevance import RelevanceRules
from crawler.rules import term_regex
from crawler.tagging import Tagger
from storage.articles import upsert_articles
from storage.db import make_engine, make_session_factory, session_scope
from storage.migrate import upgrade
from storage.models import Article
from storage.records import ArticleRecord

SHARED = Path(__file__).resolve().parents[1] / "../shared"
DAY0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ------------------------------------------------------------------------------------------- corpus


def _fundus_text(body: dict) -> str:
    parts = list(body.get("summary", []))
    for section in body.get("sections", []):
        parts += section.get("headline", []) + section.get("paragraphs", [])
    return "\n\n".join(parts)


def load_originals() -> dict[str, str]:
    """Real article bodies by name; osce.org seeds cut to the article (no navigation menu)."""
    texts: dict[str, str] = {}
    for path in sorted((SHARED / "seeds").glob("00*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        start = next((i for i, line in enumerate(lines) if line.startswith("DUSHANBE,")), 0)
        texts[f"seed/{path.stem[:3]}"] = "\n\n".join(lines[start:])
    for path in sorted((SHARED / "realdata/regional_proxies").glob("*.gold.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        body = data.get("articleBody") or _fundus_text(
            data["body"] if isinstance(data["body"], dict) else ast.literal_eval(data["body"])
        )
        texts[f"proxy/{path.name.removesuffix('.gold.json')}"] = body
    for path in sorted((SHARED / "realdata/fundus/tests/resources/parser/test_data").glob("*/*.json")):
        if path.name == "meta.info":
            continue
        for version, entry in json.loads(path.read_text(encoding="utf-8")).items():
            if not isinstance(entry, dict) or "body" not in entry:
                continue
            try:
                body = entry["body"] if isinstance(entry["body"], dict) else ast.literal_eval(entry["body"])
            except (ValueError, SyntaxError):
                continue
            texts[f"fundus/{path.parent.name}/{path.stem}/{version}"] = _fundus_text(body)
    # The proxy folder holds copies of three fundus pages: keep one of each identical body.
    unique: dict[tuple[str, ...], str] = {}
    for name, body in texts.items():
        words = tuple(normalise(body))
        if len(words) >= 40:
            unique.setdefault(words, name)
    return {name: texts[name] for name in unique.values()}


# Pairs of corpus bodies that really are one article (two captured versions): positives, not negatives.
KNOWN_SAME = {("fundus/de/Taz/V1", "fundus/de/Taz/V2")}


def syndicate(body: str, rng: random.Random, edits: str) -> str:
    """A copy with the named light edits: first, byline, breaks, readmore, words, cut."""
    paragraphs = [p.strip() for p in body.split("\n") if p.strip()]
    if "cut" in edits and len(paragraphs) > 3:
        paragraphs = paragraphs[:-1]
    if "first" in edits:
        sentences = paragraphs[0].split(". ")
        sentences[0] = "Officials confirmed on Monday that talks had gone well"
        paragraphs[0] = ". ".join(sentences)
    text_ = "\n\n".join(paragraphs)
    if "words" in edits:
        words = text_.split(" ")
        for i in rng.sample(range(len(words)), max(1, len(words) // 50)):  # 2 % of the words
            words[i] = rng.choice(["reportedly", "also", "the", "officials", "said"])
        text_ = " ".join(words)
    if "breaks" in edits:
        words = text_.split()
        text_ = "\n\n".join(" ".join(words[i : i + 37]) for i in range(0, len(words), 37))
    if "byline" in edits:
        text_ = "By Staff Reporter (Asia-Plus / Interfax)\n\n" + text_
    if "readmore" in edits:
        text_ += "\n\nRead more: Follow us on Telegram for the latest news"
    return text_


EDIT_SETS = [
    "first",
    "byline",
    "breaks",
    "readmore",
    "first byline breaks readmore",
    "words readmore",
    "cut byline",
]


# ------------------------------------------------------------------------------------------ quality


def _minhash(feats: np.ndarray) -> MinHash:
    m = MinHash(num_perm=128, seed=1)
    m.update_batch([int(f).to_bytes(8, "little") for f in feats])
    return m


def quality(originals: dict[str, str]) -> None:
    rng = random.Random(7)
    names = list(originals)
    docs: dict[str, str] = dict(originals)
    positives: list[tuple[str, str]] = []
    for name in names:
        for edits in EDIT_SETS:
            copy = f"{name}~{edits}"
            docs[copy] = syndicate(originals[name], rng, edits)
            positives.append((name, copy))
    same = KNOWN_SAME | {(b, a) for a, b in KNOWN_SAME}
    negatives = [pair for pair in itertools.combinations(names, 2) if pair not in same]
    positives += [pair for pair in KNOWN_SAME if pair[0] in docs and pair[1] in docs]
    copies_of = {name: f"{name}~first byline breaks readmore" for name in names}
    negatives += [(copies_of[a], b) for a, b in itertools.permutations(names, 2) if (a, b) not in same][
        : 4 * len(negatives)
    ]
    t0 = time.perf_counter()
    feats = {k: features(v) for k, v in docs.items()}
    prints = {k: _fingerprint(f) for k, f in feats.items()}
    per_doc_us = (time.perf_counter() - t0) / len(docs) * 1e6
    words = sum(len(normalise(v)) for v in docs.values()) / len(docs)
    minhashes = {k: _minhash(f) for k, f in feats.items()}
    print(
        f"corpus: {len(names)} distinct real bodies, {len(positives)} positive pairs, {len(negatives)} negative pairs"
    )
    print(f"simhash: {per_doc_us:.0f} us per body (mean {words:.0f} words)")

    def score(label: str, decide) -> None:  # type: ignore[no-untyped-def]
        tp = sum(1 for a, b in positives if decide(a, b))
        fp = sum(1 for a, b in negatives if decide(a, b))
        fn = len(positives) - tp
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn)
        print(f"  {label:38s} precision {precision:.4f}  recall {recall:.4f}  (fp {fp}, fn {fn})")

    print("method on the same pairs:")
    for threshold in (3, 6, 10, 14, MAX_HAMMING):
        score(
            f"SimHash alone, hamming <= {threshold}",
            lambda a, b, t=threshold: hamming(prints[a], prints[b]) <= t,
        )
    score("MinHash 128, Jaccard >= 0.5", lambda a, b: minhashes[a].jaccard(minhashes[b]) >= 0.5)
    score(
        "is_near_duplicate (SimHash + shingles)",
        lambda a, b: _confirmed(feats[a], feats[b], prints[a], prints[b]),
    )
    pos_d = [hamming(prints[a], prints[b]) for a, b in positives]
    neg_d = [hamming(prints[a], prints[b]) for a, b in negatives]
    print(
        f"hamming: positives median {np.median(pos_d):.0f}, p99 {np.percentile(pos_d, 99):.0f}, max {max(pos_d)}; "
        f"negatives min {min(neg_d)}, p1 {np.percentile(neg_d, 1):.0f}, median {np.median(neg_d):.0f}"
    )
    misses = [(a, b) for a, b in positives if not _confirmed(feats[a], feats[b], prints[a], prints[b])]
    for a, b in misses[:5]:
        print(f"  missed: {b} (hamming {hamming(prints[a], prints[b])}, {len(normalise(docs[a]))} words)")


# ------------------------------------------------------------------------------------------- speed


def _sentences(originals: dict[str, str]) -> list[str]:
    pool = [s.strip() for body in originals.values() for s in body.replace("\n", " ").split(". ")]
    return [s + "." for s in pool if len(s.split()) >= 6]


def _record(url: str, body: str, source: str, published: dt.datetime) -> ArticleRecord:
    from crawler.dedup import simhash

    return ArticleRecord(
        canonical_url=url, url=url, source=source, title=url.rsplit("/", 1)[-1], body=body,
        content_hash=hashlib.sha256(body.encode()).hexdigest(), published_at=published, simhash=simhash(body),
    )  # fmt: skip


def _baseline(session, new_ids: list[int]) -> dict[int, int]:  # type: ignore[no-untyped-def]
    """The naive way: per new article, read every stored fingerprint and compare one by one."""
    found: dict[int, int] = {}
    for new_id in new_ids:
        mine = session.scalar(select(Article.simhash).where(Article.id == new_id))
        for other, value in session.execute(select(Article.id, Article.simhash).where(Article.id != new_id)):
            if value is not None and other < new_id and hamming(mine, value) <= MAX_HAMMING:
                found.setdefault(new_id, other)
    return found


def speed(url: str, label: str, stored: int, originals: dict[str, str]) -> None:
    rng = random.Random(11)
    pool = _sentences(originals)
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    bodies = ["\n\n".join(" ".join(rng.sample(pool, 4)) for _ in range(4)) for _ in range(stored)]
    dates = [DAY0 + dt.timedelta(minutes=105 * i) for i in range(stored)]  # one year for 5,000
    records = [_record(f"https://a.example/{i}", b, f"s{i % 9}", dates[i]) for i, b in enumerate(bodies)]
    t0 = time.perf_counter()
    ids: list[int] = []
    for start in range(0, stored, 1000):
        with session_scope(factory) as session:
            ids += upsert_articles(session, records[start : start + 1000]).new
    load_s = time.perf_counter() - t0
    copied = rng.sample(range(stored), 100)
    fresh = [
        _record(
            f"https://copy.example/{i}",
            syndicate(bodies[i], rng, "first byline breaks readmore"),
            "copier",
            dates[i] + dt.timedelta(hours=20),
        )
        for i in copied
    ]
    fresh += [
        _record(f"https://new.example/{k}", "\n\n".join(" ".join(rng.sample(pool, 4)) for _ in range(4)), "new",
                DAY0 + dt.timedelta(days=3.6 * k))
        for k in range(100)
    ]  # fmt: skip
    with session_scope(factory) as session:
        new_ids = upsert_articles(session, fresh).new
    expected = {new_ids[k]: ids[i] for k, i in enumerate(copied)}

    with factory() as session:
        t0 = time.perf_counter()
        naive = _baseline(session, new_ids)
        base_s = time.perf_counter() - t0
    with session_scope(factory) as session:
        t0 = time.perf_counter()
        links = link_duplicates(session, new_ids)
        link_s = time.perf_counter() - t0
    correct = sum(1 for k, v in links.items() if expected.get(k) == v)
    print(
        f"{label}: {stored} stored (loaded in {load_s:.1f} s), batch of {len(new_ids)}: link_duplicates "
        f"{link_s * 1000:.0f} ms = {link_s / len(new_ids) * 1000:.2f} ms per article; "
        f"baseline full scan per article {base_s / len(new_ids) * 1000:.2f} ms per article "
        f"(x{base_s / link_s:.1f} slower); linked {len(links)} (correct {correct}/100, "
        f"baseline SimHash-only found {len(naive)}); peak RSS {_peak_mb():.0f} MB"
    )
    engine.dispose()


def rule_speed(originals: dict[str, str]) -> None:
    """Microseconds per article for the relevance rules and the tagger, against a baseline in the same
    process: the same terms as one case-insensitive regex each, searched one after another."""
    rules, tagger = RelevanceRules.default(), Tagger.default()
    texts = list(originals.values())
    chars = sum(map(len, texts)) / len(texts)
    naive = [
        re.compile(r"(?<!\w)" + term_regex(term) + r"(?!\w)", re.IGNORECASE)
        for _, _, terms in rules.term_groups
        for term in terms
    ]

    def timed(call) -> float:  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        for _ in range(3):
            for t in texts:
                call(t)
        return (time.perf_counter() - t0) / (3 * len(texts)) * 1e6

    base = timed(lambda t: [rx.search(t) for rx in naive])
    for label, call in (
        ("RelevanceRules.match", lambda t: rules.match("", t)),
        ("Tagger.tags", lambda t: tagger.tags("", t)),
    ):
        per = timed(call)
        print(
            f"{label}: {per:.0f} us per article (mean {chars:.0f} characters; {per / chars * 1000:.0f} us per 1,000)"
        )
    print(f"  baseline, one regex per relevance term ({len(naive)} terms): {base:.0f} us per article")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stored", type=int, default=5000, help="articles already in the archive")
    parser.add_argument("--pg-url", help="PostgreSQL server URL; a throw-away database is created on it")
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args()
    if not (SHARED / "seeds").is_dir():
        raise SystemExit(f"shared data not found at {SHARED}")
    originals = load_originals()
    if not args.skip_quality:
        quality(originals)
    rule_speed(originals)
    with tempfile.TemporaryDirectory() as tmp:
        speed(f"sqlite:///{tmp}/dedup.db", "SQLite", args.stored, originals)
    if args.pg_url:
        name = f"nw_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            speed(args.pg_url.rsplit("/", 1)[0] + "/" + name, "PostgreSQL", args.stored, originals)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
