"""Near-duplicate detection: the same story syndicated by several outlets is stored once as original.

The fingerprint is a 64-bit SimHash of the article BODY only, never of the whole page: two OSCE press
releases share a navigation menu several times longer than either article, and fingerprints of full
pages would call them duplicates. Features are word 3-shingles of the normalised body (Unicode NFKC,
case-folded, punctuation and spacing ignored), so changed paragraph breaks or quotes change nothing and
a rewritten first sentence or an added byline only moves a few bits.

SimHash was chosen over MinHash because one signed BIGINT column holds it (``Article.simhash``) and
it is cheap to compare; ``bench/dedup.py`` measures both on the same pairs. A SimHash match alone is
not trusted: ``link_duplicates`` confirms each candidate by the overlap of the two bodies' shingle sets,
which keeps two press releases on the same topic (same names, same stock phrases) apart.

Candidates come from a publication-date window (``window_days`` either side, via the
``ix_article_published`` / ``ix_article_first_seen`` indexes), fetched once per batch of new articles;
comparing fingerprints is vectorised, so a batch of hundreds costs a few queries, not a scan per article.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from storage import duplicates
from storage.db import Session

SHINGLE = 3  # words per feature
MAX_HAMMING = 18  # SimHash bits that may differ between candidate near-duplicates (of 64)
MIN_RESEMBLANCE = 0.5  # shared shingles / all shingles of both (Jaccard), to confirm a candidate ...
MIN_CONTAINMENT, MIN_TRIMMED_RESEMBLANCE = 0.8, 0.3  # ... or: a trimmed copy (one holds most of the other)
MIN_WORDS = 20  # bodies shorter than this carry too little text to call anything a duplicate
WINDOW_DAYS = 7  # how far apart (publication date) an original and its copy may be

_WORD = re.compile(r"\w+")
# Chinese and Japanese are written without spaces: each of their characters counts as a word.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAS_CJK = re.compile(f"[{_CJK}]")
_CJK_WORD = re.compile(f"[{_CJK}]|[^\\W{_CJK}]+")
_MASK64 = (1 << 64) - 1
_SIGN = 1 << 63


def normalise(body: str) -> list[str]:
    """The body's words, as compared: NFKC, case-folded, punctuation and layout dropped."""
    text = unicodedata.normalize("NFKC", body or "").casefold()
    return (_CJK_WORD if _HAS_CJK.search(text) else _WORD).findall(text)


@lru_cache(maxsize=262_144)
def _word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads combined word hashes over all 64 bits (wraps mod 2**64)."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def features(body: str) -> np.ndarray:
    """Distinct 64-bit hashes of the body's word 3-shingles (of its words, if it has fewer than three)."""
    words = normalise(body)
    if not words:
        return np.zeros(0, dtype=np.uint64)
    vocabulary = dict.fromkeys(words)  # hash each distinct word once, then look up in C (map)
    for word in vocabulary:
        vocabulary[word] = _word_hash(word)
    hashes = np.fromiter(map(vocabulary.__getitem__, words), dtype=np.uint64, count=len(words))
    if len(words) < SHINGLE:
        return np.unique(_mix(hashes))
    combined = hashes[: len(words) - SHINGLE + 1].copy()
    for offset in range(1, SHINGLE):
        combined = _mix(combined) ^ hashes[offset : len(words) - SHINGLE + 1 + offset]
    return np.unique(_mix(combined))


def _fingerprint(feats: np.ndarray) -> int:
    if feats.size == 0:
        return 0
    bits = np.unpackbits(feats.astype("<u8").view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    majority = (bits.sum(axis=0, dtype=np.int64) * 2 > feats.size).astype(np.uint8)
    value = int.from_bytes(np.packbits(majority, bitorder="little").tobytes(), "little")
    return value - (1 << 64) if value & _SIGN else value


def simhash(body: str) -> int:
    """64-bit SimHash of the normalised body, as a signed integer (fits a BIGINT column); 0 if empty."""
    return _fingerprint(features(body))


def hamming(a: int, b: int) -> int:
    """Number of differing bits between two 64-bit fingerprints (signed or unsigned)."""
    return ((a ^ b) & _MASK64).bit_count()


def overlap(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(containment, resemblance) of two shingle sets: shared shingles over the shorter body's (1.0 when
    one body contains the other), and over both bodies' together (Jaccard)."""
    if a.size == 0 or b.size == 0:
        return 0.0, 0.0
    shared = np.intersect1d(a, b, assume_unique=True).size
    return shared / min(a.size, b.size), shared / (a.size + b.size - shared)


def _confirmed(a: np.ndarray, b: np.ndarray, fa: int, fb: int) -> bool:
    """Close fingerprints, and the bodies really share their text: most of it, or nearly all of the
    shorter one (a trimmed copy). A shared stock closing paragraph alone is neither."""
    if min(a.size, b.size) + SHINGLE - 1 < MIN_WORDS or hamming(fa, fb) > MAX_HAMMING:
        return False
    containment, resemblance = overlap(a, b)
    return resemblance >= MIN_RESEMBLANCE or (
        containment >= MIN_CONTAINMENT and resemblance >= MIN_TRIMMED_RESEMBLANCE
    )


def is_near_duplicate(a_body: str, b_body: str) -> bool:
    """Would ``link_duplicates`` link these two bodies? (Same test, without the database.)"""
    a, b = features(a_body), features(b_body)
    return _confirmed(a, b, _fingerprint(a), _fingerprint(b))


def _as_unsigned(values: Sequence[int]) -> np.ndarray:
    return np.array([v & _MASK64 for v in values], dtype=np.uint64)


def _popcount(x: np.ndarray) -> np.ndarray:
    """Bits set per element of a uint64 array (SWAR popcount; numpy < 2 has no bitwise_count)."""
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return (x * np.uint64(0x0101010101010101)) >> np.uint64(56)


def _when(published_at: dt.datetime | None, first_seen_at: dt.datetime) -> dt.datetime:
    return published_at if published_at is not None else first_seen_at


def _date_ranges(whens: Sequence[dt.datetime], window: dt.timedelta) -> list[tuple[dt.datetime, dt.datetime]]:
    """Merge each date's +-window into as few ranges as possible (a back-fill batch may span years)."""
    ranges: list[tuple[dt.datetime, dt.datetime]] = []
    for when in sorted(whens):
        lo, hi = when - window, when + window
        if ranges and lo <= ranges[-1][1]:
            ranges[-1] = (ranges[-1][0], hi)
        else:
            ranges.append((lo, hi))
    return ranges


def link_duplicates(
    session: Session, article_ids: Sequence[int], *, window_days: int = WINDOW_DAYS
) -> dict[int, int]:
    """Mark newly stored articles that repeat an older article; returns ``{duplicate_id: original_id}``.

    The older article (earlier publication date, else earlier first sighting, then lower id) is the
    original; links always point at the first original of a chain. When a new article turns out to be
    older than a stored copy (a back-fill found the original late), the stored copy and anything that
    pointed at it are re-pointed to the new original. Runs in the caller's transaction.
    """
    ids = sorted(set(article_ids))
    if not ids:
        return {}
    new_rows = [r for r in duplicates.fingerprints(session, ids) if r.simhash is not None]
    if not new_rows:
        return {}
    window = dt.timedelta(days=window_days)
    whens = [_when(r.published_at, r.first_seen_at) for r in new_rows]
    candidates: dict[int, Any] = {
        r.id: r for r in duplicates.fingerprints_dated_within(session, _date_ranges(whens, window))
    }
    for r in new_rows:
        candidates[r.id] = r
    cand_ids = list(candidates)
    cand_when = [_when(candidates[i].published_at, candidates[i].first_seen_at) for i in cand_ids]
    cand_hash = _as_unsigned([candidates[i].simhash for i in cand_ids])
    cand_secs = np.array([w.timestamp() for w in cand_when], dtype=np.float64)

    # Pairs (new article, candidate) whose fingerprints are close and dates within the window.
    pairs: set[tuple[int, int]] = set()
    for r, when in zip(new_rows, whens, strict=True):
        distance = _popcount(cand_hash ^ np.uint64(r.simhash & _MASK64))
        near = (distance <= MAX_HAMMING) & (np.abs(cand_secs - when.timestamp()) <= window.total_seconds())
        for j in np.flatnonzero(near):
            other = cand_ids[int(j)]
            if other != r.id:
                pairs.add((min(r.id, other), max(r.id, other)))
    if not pairs:
        return {}

    # Confirm each pair on the actual bodies (one query for all of them).
    involved = sorted({i for pair in pairs for i in pair})
    bodies = duplicates.bodies(session, involved)
    feats = {i: features(bodies.get(i) or "") for i in involved}
    confirmed = [
        (a, b)
        for a, b in sorted(pairs)
        if _confirmed(feats[a], feats[b], candidates[a].simhash, candidates[b].simhash)
    ]
    if not confirmed:
        return {}

    # Groups: every article starts in its current original's group; confirmed pairs merge groups, and
    # the oldest member of a merged group becomes everyone's original.
    roots = {i: candidates[i].duplicate_of or i for i in involved}
    missing = sorted({r for r in roots.values() if r not in candidates})
    if missing:
        for row in duplicates.fingerprints(session, missing):
            candidates[row.id] = row
    roots = {i: r if r in candidates else i for i, r in roots.items()}

    def age(i: int) -> tuple[dt.datetime, dt.datetime, int]:
        row = candidates[i]
        return (_when(row.published_at, row.first_seen_at), row.first_seen_at, i)

    parent: dict[int, int] = {}

    def find(i: int) -> int:
        root = i
        while parent.get(root, root) != root:
            root = parent[root]
        while i != root:  # path compression: a back-fill builds long chains of former originals
            parent[i], i = root, parent[i]
        return root

    for a, b in confirmed:
        ra, rb = find(roots[a]), find(roots[b])
        if ra != rb:
            keep, drop = (ra, rb) if age(ra) <= age(rb) else (rb, ra)
            parent[drop] = keep

    links: dict[int, int] = {}
    for i in involved:
        root = find(roots[i])
        if i != root and candidates[i].duplicate_of != root:
            links[i] = root
    # Former originals that became duplicates take their whole following with them.
    formers = [r for r in parent if r != find(r)]
    for former in formers:
        links[former] = find(former)
    for follower, former in duplicates.followers(session, formers):
        if follower != find(former):
            links[follower] = find(former)
    duplicates.set_originals(session, links)
    return links
