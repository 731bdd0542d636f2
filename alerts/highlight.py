"""Which words of a subscription's query to highlight in a digest, and where they occur.

The query is parsed by ``storage.query`` (the search's own parser) so highlighting agrees with
matching. Only positive words and phrases are marked; ``prefix*`` marks every word starting with the
prefix. Matching here is case-insensitive on the raw text.
"""

from __future__ import annotations

import re
from functools import lru_cache

from storage.query import QueryError, parse_query


def query_terms(query: str | None) -> tuple[str, ...]:
    """Positive words and phrases of a query, longest first, parsed by the archive's own parser.

    Excluded words are not highlighted; a query the parser refuses highlights nothing.
    """
    try:
        parsed = parse_query(query)
    except QueryError:
        return ()
    if parsed is None:
        return ()
    terms = [" ".join(term.tokens) + ("*" if term.prefix else "") for term in parsed.positive_terms()]
    return tuple(sorted(dict.fromkeys(terms), key=len, reverse=True))


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
