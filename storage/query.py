"""The archive's query language, parsed once into a small AST and compiled per backend.

Users type the same language everywhere (CLI, web page, JSON API, subscriptions)::

    words              every word must match (AND)
    "quoted phrase"    the words in this order
    a OR b             either term (OR in capitals; binds tighter than the implicit AND)
    -word  -"phrase"   must not match
    prefix*            any word starting with ``prefix`` (at least 2 letters)

Why parse it ourselves instead of handing the text to FTS5 / ``websearch_to_tsquery``: FTS5's own syntax
(``NEAR(``, ``col:``, ``^``, bare ``*``) turns ordinary typing into syntax errors, and the two backends
tokenise differently. Here every word is cut into tokens by one rule (runs of Unicode letters, digits and
combining marks: the same cut SQLite's ``unicode61`` tokenizer makes, and that migration 0002 makes
PostgreSQL see), and each backend gets a query built only from those tokens: double-quoted strings for
FTS5 and single-quoted lexemes for ``to_tsquery`` passed as a bound parameter. Nothing a user types can
reach either engine as syntax. The parser is lenient: an unbalanced quote closes at the end, stray
``OR``/``-``/``*`` are ignored. It only refuses queries it cannot run, with a message for the user.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

MAX_QUERY_CHARS = 2000
MAX_TERMS = 32
MAX_TOKEN_CHARS = 100
MIN_PREFIX_CHARS = 2


class QueryError(ValueError):
    """A query we cannot run; ``str(exc)`` is a sentence for the person who typed it."""


@dataclass(frozen=True)
class Term:
    """A word or a phrase: one or more tokens in order; ``prefix`` applies to the last token."""

    tokens: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class AnyOf:
    """Terms joined by OR: at least one must match."""

    terms: tuple[Term, ...]


@dataclass(frozen=True)
class Query:
    """All of ``required`` must match (each a Term or AnyOf) and none of ``excluded``."""

    required: tuple[Term | AnyOf, ...]
    excluded: tuple[Term, ...] = ()

    def positive_terms(self) -> list[Term]:
        """Every term that can make an article match (for highlighting)."""
        out: list[Term] = []
        for node in self.required:
            out.extend(node.terms if isinstance(node, AnyOf) else (node,))
        return out


def _is_token_char(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return cat[0] in "LNM" or cat == "Co"


def tokenize(text: str) -> list[str]:
    """Cut text into lower-cased word tokens the way the full-text indexes do."""
    tokens: list[str] = []
    current: list[str] = []
    for ch in text:
        if _is_token_char(ch):
            current.append(ch)
        elif current:
            tokens.append("".join(current).lower())
            current = []
    if current:
        tokens.append("".join(current).lower())
    return tokens


_FTS5_KEEPS = frozenset("\u01e0\u01e1")  # Ǡ ǡ: letters SQLite's remove_diacritics leaves alone


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    if ch.isascii():
        return ch
    base = unicodedata.normalize("NFD", ch)[0]
    latin = "\u00c0" <= ch <= "\u024f" or "\u1e00" <= ch <= "\u1eff"
    if ch in _FTS5_KEEPS:
        return ch
    return base if latin and base.isascii() and base.isalpha() else ch


def fold(text: str) -> str:
    """Drop diacritics from Latin letters (Dušanbe → Dusanbe), as FTS5's ``remove_diacritics 2`` does.

    Cyrillic and Tajik letters (ё, ӣ, ӯ, ҳ, қ, ҷ, ғ) are distinct letters and stay as they are.
    """
    return "".join(_fold_char(ch) for ch in text)


def fold_table() -> tuple[str, str]:
    """The (from, to) strings of ``fold`` for PostgreSQL ``translate()`` (used by migration 0002)."""
    src, dst = [], []
    for code in list(range(0x00C0, 0x0250)) + list(range(0x1E00, 0x1F00)):
        ch = chr(code)
        folded = _fold_char(ch)
        if folded != ch:
            src.append(ch)
            dst.append(folded)
    return "".join(src), "".join(dst)


def _lex(text: str) -> list[tuple[str, str, bool]]:
    """Split into (kind, raw, negated) items: kind is 'word', 'phrase' or 'or'."""
    items: list[tuple[str, str, bool]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        negated = False
        if ch == "-":
            negated = True
            i += 1
            if i >= n or text[i].isspace():
                continue  # a lone '-' means nothing
            ch = text[i]
        if ch == '"':
            end = text.find('"', i + 1)
            if end == -1:
                end = n  # unbalanced quote: the phrase runs to the end
            raw = text[i + 1 : end]
            i = end + 1
            if i < n and text[i] == "*":
                raw += "*"
                i += 1
            items.append(("phrase", raw, negated))
            continue
        start = i
        while i < n and not text[i].isspace() and text[i] != '"':
            i += 1
        raw = text[start:i]
        if raw == "OR" and not negated:
            items.append(("or", raw, False))
        else:
            items.append(("word", raw, negated))
    return items


def _term(raw: str) -> Term | None:
    prefix = raw.rstrip().endswith("*")
    tokens = tuple(fold(tok) for tok in tokenize(raw))
    if not tokens:
        return None
    for tok in tokens:
        if len(tok) > MAX_TOKEN_CHARS:
            raise QueryError(
                f"a word in the query is too long ({len(tok)} letters; at most {MAX_TOKEN_CHARS})"
            )
    if prefix and len(tokens[-1]) < MIN_PREFIX_CHARS:
        prefix = False  # 'a*' would match most of the archive; search the word itself
    return Term(tokens, prefix)


def parse_query(text: str | None) -> Query | None:
    """Parse user text; ``None`` for a blank query (browse mode). Raises QueryError if it cannot run."""
    if text is None or not text.strip():
        return None
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is too long ({len(text)} characters; at most {MAX_QUERY_CHARS})")
    required: list[Term | AnyOf] = []
    excluded: list[Term] = []
    pending_or = False
    for kind, raw, negated in _lex(text.replace("\x00", " ")):
        if kind == "or":
            pending_or = bool(required)
            continue
        term = _term(raw)
        if term is None:
            continue
        if negated:
            excluded.append(term)
            pending_or = False
            continue
        if pending_or and required:
            last = required.pop()
            previous = last.terms if isinstance(last, AnyOf) else (last,)
            required.append(AnyOf((*previous, term)))
        else:
            required.append(term)
        pending_or = False
    count = sum(len(n.terms) if isinstance(n, AnyOf) else 1 for n in required) + len(excluded)
    if count > MAX_TERMS:
        raise QueryError(f"the query has too many terms ({count}; at most {MAX_TERMS})")
    if not required:
        if excluded:
            raise QueryError("the query only excludes words; add at least one word to look for")
        raise QueryError("the query has no words to search for (letters or digits)")
    return Query(tuple(required), tuple(excluded))


# --- compilers -----------------------------------------------------------------------------------


def _fts_term(term: Term) -> str:
    # Tokens contain only letters, digits and marks, so they never hold '"'; quoting anyway keeps
    # words like NEAR, AND, OR from being read as FTS5 operators.
    quoted = '"' + " ".join(term.tokens) + '"'
    return quoted + "*" if term.prefix else quoted


def to_fts5(query: Query) -> str:
    """FTS5 MATCH expression: every term double-quoted, explicit parentheses, NOT for exclusions."""
    parts = []
    for node in query.required:
        if isinstance(node, AnyOf):
            parts.append("(" + " OR ".join(_fts_term(t) for t in node.terms) + ")")
        else:
            parts.append(_fts_term(node))
    expression = "(" + " AND ".join(parts) + ")"
    for term in query.excluded:
        expression = f"({expression} NOT {_fts_term(term)})"
    return expression


def _ts_term(term: Term) -> str:
    lexemes = [f"'{tok}'" for tok in term.tokens]
    if term.prefix:
        lexemes[-1] += ":*"
    return lexemes[0] if len(lexemes) == 1 else "(" + " <-> ".join(lexemes) + ")"


def to_tsquery(query: Query) -> str:
    """Text for PostgreSQL ``to_tsquery('simple', :q)``, always sent as a bound parameter."""
    parts = []
    for node in query.required:
        if isinstance(node, AnyOf):
            parts.append("(" + " | ".join(_ts_term(t) for t in node.terms) + ")")
        else:
            parts.append(_ts_term(node))
    parts += ["!" + _ts_term(term) for term in query.excluded]
    return " & ".join(parts)
