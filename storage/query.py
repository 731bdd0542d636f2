"""The archive's query language, parsed once into a small AST and compiled per backend.

Users type the same language everywhere (CLI, web page, JSON API, subscriptions)::

    words              every word must match (AND)
    "quoted phrase"    the words in this order
    a OR b             either term (OR in capitals; binds tighter than the implicit AND)
    -word  -"phrase"   must not match
    prefix*            any word starting with ``prefix`` (at least 2 letters)
    =word  ="phrase"   this exact form only (no other word forms)

Words match every form of the same word: ``officer`` finds "officers", ``граница`` finds "границами"
(``storage.stemming``: Snowball English and Russian, a light Tajik stemmer). The query's words are stemmed
by the function that stemmed the archive and looked up in the stem columns; exact (``=``) and prefix
terms are looked up in the unstemmed columns, as typed.

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

from dataclasses import dataclass

from storage.stemming import stem_variants
from storage.tokens import fold, fold_table, tokenize

__all__ = [
    "AnyOf", "Query", "QueryError", "Term", "fold", "fold_table", "parse_query", "to_fts5", "to_tsquery",
    "tokenize",
]  # fmt: skip

MAX_QUERY_CHARS = 2000
MAX_TERMS = 32
MAX_TOKEN_CHARS = 100
MIN_PREFIX_CHARS = 2


class QueryError(ValueError):
    """A query we cannot run; ``str(exc)`` is a sentence for the person who typed it."""


@dataclass(frozen=True)
class Term:
    """A word or a phrase: one or more tokens in order; ``prefix`` applies to the last token.

    ``exact`` terms (typed ``=word``) match only the form typed; others match any form of the words.
    """

    tokens: tuple[str, ...]
    prefix: bool = False
    exact: bool = False

    @property
    def stemmed(self) -> bool:
        """Looked up by stems (the stem columns) rather than as typed."""
        return not (self.prefix or self.exact)

    def stem_phrases(self) -> list[tuple[str, ...]]:
        """The term as stems: one phrase, or two when a Cyrillic word may be Russian or Tajik."""
        variants = [stem_variants(token) for token in self.tokens]
        width = max(len(v) for v in variants)
        phrases = [tuple(v[min(i, len(v) - 1)] for v in variants) for i in range(width)]
        return list(dict.fromkeys(phrases))


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


def _lex(text: str) -> list[tuple[str, str, bool, bool]]:
    """Split into (kind, raw, negated, exact) items: kind is 'word', 'phrase' or 'or'."""
    items: list[tuple[str, str, bool, bool]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        negated = exact = False
        if ch == "-":
            negated = True
            i += 1
            if i >= n or text[i].isspace():
                continue  # a lone '-' means nothing
            ch = text[i]
        if ch == "=":
            exact = True
            i += 1
            if i >= n or text[i].isspace():
                continue  # a lone '=' means nothing
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
            items.append(("phrase", raw, negated, exact))
            continue
        start = i
        while i < n and not text[i].isspace() and text[i] != '"':
            i += 1
        raw = text[start:i]
        if raw == "OR" and not negated and not exact:
            items.append(("or", raw, False, False))
        else:
            items.append(("word", raw, negated, exact))
    return items


def _term(raw: str, exact: bool = False) -> Term | None:
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
    return Term(tokens, prefix, exact)


def parse_query(text: str | None) -> Query | None:
    """Parse user text; ``None`` for a blank query (browse mode). Raises QueryError if it cannot run."""
    if text is None or not text.strip():
        return None
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is too long ({len(text)} characters; at most {MAX_QUERY_CHARS})")
    required: list[Term | AnyOf] = []
    excluded: list[Term] = []
    pending_or = False
    for kind, raw, negated, exact in _lex(text.replace("\x00", " ")):
        if kind == "or":
            pending_or = bool(required)
            continue
        term = _term(raw, exact)
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

# FTS5 columns (migration 0005): the text as written, and the same text as stems.
FTS_EXACT_COLUMNS = "{title body}"
FTS_STEM_COLUMNS = "{title_stems body_stems}"


def _fts_phrase(tokens: tuple[str, ...], prefix: bool = False) -> str:
    # Tokens contain only letters, digits and marks, so they never hold '"'; quoting anyway keeps
    # words like NEAR, AND, OR from being read as FTS5 operators.
    quoted = '"' + " ".join(tokens) + '"'
    return quoted + "*" if prefix else quoted


def _fts_term(term: Term) -> str:
    if not term.stemmed:
        return f"{FTS_EXACT_COLUMNS} : {_fts_phrase(term.tokens, term.prefix)}"
    phrases = [f"{FTS_STEM_COLUMNS} : {_fts_phrase(p)}" for p in term.stem_phrases()]
    return phrases[0] if len(phrases) == 1 else "(" + " OR ".join(phrases) + ")"


def to_fts5(query: Query) -> str:
    """FTS5 MATCH expression: every term double-quoted and column-filtered, NOT for exclusions."""
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


# tsvector weights (migration 0005): A title stems, B body stems, C title as written, D body as written.
TS_STEM_WEIGHTS = "AB"
TS_EXACT_WEIGHTS = "CD"


def _ts_phrase(tokens: tuple[str, ...], weights: str, prefix: bool = False) -> str:
    lexemes = [f"'{tok}':{weights}" for tok in tokens]
    if prefix:
        lexemes[-1] = f"'{tokens[-1]}':*{weights}"
    return lexemes[0] if len(lexemes) == 1 else "(" + " <-> ".join(lexemes) + ")"


def _ts_term(term: Term) -> str:
    if not term.stemmed:
        return _ts_phrase(term.tokens, TS_EXACT_WEIGHTS, term.prefix)
    phrases = [_ts_phrase(p, TS_STEM_WEIGHTS) for p in term.stem_phrases()]
    return phrases[0] if len(phrases) == 1 else "(" + " | ".join(phrases) + ")"


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
