"""Search snippets: the passage of an article with the most matches, every matching word form marked.

Computed here rather than by FTS5 ``snippet()`` / PostgreSQL ``ts_headline``: the indexes match stems,
so the engines' highlighters would mark nothing in the text as written (or only the exact form typed).
One Python implementation also gives both backends the same snippets. A page needs at most 100 of them,
each a walk over one body's words with cached stems.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from storage.query import Query
from storage.stemming import normal_form, stem, words

ELLIPSIS = "…"
# Where a snippet is looked for: the first 4,000 characters (a page of text; most matches of a ranked
# article are there), and only if none matches there, up to 20,000. Walking every word of a long body
# in Python was half of a search's CPU time.
FIRST_CHARS = 4_000
MAX_TEXT_CHARS = 20_000


@dataclass(frozen=True)
class Highlighter:
    """What makes a word of an article a match for one query (excluded terms are never marked)."""

    stems: frozenset[str]
    exact: frozenset[str]
    prefixes: tuple[str, ...]
    _seen: dict[tuple[str, str | None], bool] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def for_query(cls, query: Query) -> Highlighter:
        stems: set[str] = set()
        exact: set[str] = set()
        prefixes: list[str] = []
        for term in query.positive_terms():
            if term.stemmed:
                for phrase in term.stem_phrases():
                    stems.update(phrase)
                continue
            *whole, last = term.tokens
            exact.update(whole)
            if term.prefix:
                prefixes.append(last)
            else:
                exact.add(last)
        return cls(frozenset(stems), frozenset(exact), tuple(prefixes))

    def matches(self, token: str, language: str | None) -> bool:
        """Whether a word as written matches (memoised: an article repeats its words)."""
        key = (token, language)
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = self._matches(token, language)
        return found

    def _matches(self, token: str, language: str | None) -> bool:
        word = normal_form(token)
        if word in self.exact or (self.prefixes and word.startswith(self.prefixes)):
            return True
        return bool(self.stems) and stem(word, language) in self.stems

    def _spans(self, text: str, language: str | None) -> list[tuple[int, int, bool]]:
        return [(m.start(), m.end(), self.matches(m.group(), language)) for m in words(text)]

    def snippet(self, text: str, language: str | None, tokens: int, start: str, end: str) -> str:
        """The ``tokens``-word passage of ``text`` with the most matches, matches between start/end."""
        full, whole = text, len(text)
        text = full[:FIRST_CHARS]
        spans = self._spans(text, language)
        if whole > FIRST_CHARS and not any(hit for _, _, hit in spans):
            text = full[:MAX_TEXT_CHARS]
            spans = self._spans(text, language)
        if not spans:
            return ""
        best, best_hits, hits = 0, -1, 0
        for i, (_, _, hit) in enumerate(spans):  # a sliding window over the words
            hits += hit
            if i >= tokens:
                hits -= spans[i - tokens][2]
            if i >= tokens - 1 or i == len(spans) - 1:
                first = max(0, i - tokens + 1)
                if hits > best_hits:
                    best, best_hits = first, hits
        window = spans[best : best + tokens]
        out = [ELLIPSIS] if best > 0 else []
        cursor = window[0][0]
        for begin, finish, hit in window:
            out.append(text[cursor:begin])
            out.append(f"{start}{text[begin:finish]}{end}" if hit else text[begin:finish])
            cursor = finish
        if best + tokens < len(spans) or len(text) < whole:
            out.append(ELLIPSIS)
        else:
            out.append(text[cursor:])
        return "".join(out)
