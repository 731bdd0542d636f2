"""Which words of a subscription's query to highlight in a digest, and where they occur.

The archive's search language has phrases in quotes, bare words, ``OR``/``AND``/``NOT``, ``-word``
exclusions, ``field:value`` filters and ``prefix*``. Highlighting only needs the positive words and
phrases; ``prefix*`` marks every word starting with the prefix.
"""

from __future__ import annotations

import re
from functools import lru_cache

OPERATORS = {"and", "or", "not", "near"}
_TOKEN = re.compile(r'(-?)(?:(\w+):)?("([^"]*)"|[^\s()"]+)')


def query_terms(query: str | None) -> tuple[str, ...]:
    """Positive words and phrases of a query, longest first, without operators, filters or exclusions.

    Uses the archive's own parser (``storage.query``) when present, so highlighting agrees with
    matching; otherwise a lenient reading of the same syntax.
    """
    if not query:
        return ()
    try:
        from storage.query import parse_query
    except ImportError:
        return _lenient_terms(query)
    try:
        parsed = parse_query(query)
    except ValueError:
        return _lenient_terms(query)
    if parsed is None:
        return ()
    terms = [" ".join(term.tokens) + ("*" if term.prefix else "") for term in parsed.positive_terms()]
    return tuple(sorted(dict.fromkeys(terms), key=len, reverse=True))


def _lenient_terms(query: str) -> tuple[str, ...]:
    terms: list[str] = []
    for negated, field, raw, phrase in _TOKEN.findall(query):
        if negated or (field and field.lower() not in {"title", "body", "text"}):
            continue
        term = (phrase if raw.startswith('"') else raw).strip()
        if not term or term.lower() in OPERATORS or term.startswith("-"):
            continue
        if not re.search(r"\w", term):
            continue
        terms.append(term)
    unique = dict.fromkeys(terms)
    return tuple(sorted(unique, key=len, reverse=True))


@lru_cache(maxsize=256)
def _pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    parts: list[str] = []
    for term in terms:
        prefix = term.endswith("*")
        words = re.findall(r"\w+", term)
        if not words:
            continue
        body = r"\W+".join(re.escape(word) for word in words)
        parts.append(rf"(?<!\w){body}\w*" if prefix else rf"(?<!\w){body}(?!\w)")
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def split_matches(text: str, terms: tuple[str, ...]) -> list[tuple[str, bool]]:
    """Cut ``text`` into (segment, is_match) pieces; joining the segments gives back ``text``."""
    pattern = _pattern(terms) if terms else None
    if not text or pattern is None:
        return [(text, False)] if text else []
    pieces: list[tuple[str, bool]] = []
    last = 0
    for match in pattern.finditer(text):
        if match.start() == match.end():
            continue
        if match.start() > last:
            pieces.append((text[last : match.start()], False))
        pieces.append((match.group(0), True))
        last = match.end()
    if last < len(text):
        pieces.append((text[last:], False))
    return pieces
