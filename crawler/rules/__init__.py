"""The packaged rule files (relevance.toml, tags.toml) and the small term syntax they share.

Rules are written by people who are not programmers, so the syntax is deliberately tiny instead of raw
regular expressions:

* ``Dushanbe`` - the word itself, case-insensitive, never inside a longer word
  ("Tajikistan's" still matches ``Tajikistan``; "Dushanbeh" does not match ``Dushanbe``).
* ``Таджикистан*`` - a stem: the word plus any ending (Таджикистана, Таджикистане, таджикистанский).
* ``Рахмон(а|у|ом|е)`` - a word with an optional ending from the list (Рахмону, but not Рахмонов).
  Each word of a longer term may carry its own ``*`` or ending list: ``Рустам(а|у|ом) Эмомали``.
* ``Majlisi Oli`` - several words; any run of spaces, line breaks or hyphens between them matches.

Every term is compiled into one alternation per rule set, longest first, so at any position the most
specific term wins ("Таджикистана" is the country, not the demonym stem ``таджик*``).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator
from importlib import resources
from typing import Any

_ENDINGS = re.compile(r"^(?P<stem>[^()]+?)\((?P<endings>[^()]*)\)$")
_SEPARATORS = re.compile(r"[\s\-‐‑–]+")
_JOIN = r"[\s\-‐‑–]+"


class RuleSyntaxError(ValueError):
    """A rule term that cannot be compiled; the message names the term."""


def _word_parts(word: str, term: str) -> tuple[str, str]:
    """(literal stem, regex for its ending) of one word of a term."""
    suffix = ""
    if word.endswith("*"):
        word, suffix = word[:-1], r"\w*"
    else:
        found = _ENDINGS.match(word)
        if found:
            endings = [e.strip() for e in found["endings"].split("|") if e.strip()]
            if not endings:
                raise RuleSyntaxError(f"rule term {term!r} has an empty ending list")
            word = found["stem"]
            suffix = "(?:" + "|".join(re.escape(e) for e in sorted(endings, key=len, reverse=True)) + ")?"
    if not word or any(ch in word for ch in "*()|"):
        raise RuleSyntaxError(
            f"rule term {term!r}: '*' may only end a word and '(a|b)' may only list a word's endings"
        )
    return word, suffix


def term_parts(term: str) -> tuple[str, str]:
    """Split a term into its literal start (the first word's stem) and a regex for the rest."""
    words = [w for w in _SEPARATORS.split(term.strip()) if w]
    if not words:
        raise RuleSyntaxError(f"empty rule term {term!r}")
    stem, suffix = _word_parts(words[0], term)
    rest = [suffix] + [_JOIN + re.escape(w) + e for w, e in (_word_parts(w, term) for w in words[1:])]
    return stem, "".join(rest)


def term_regex(term: str) -> str:
    """Translate one rule term into a regular-expression fragment (without the outer word boundaries).

    Each word of the term may carry its own ``*`` or ``(endings)``; words are joined by any run of
    whitespace or hyphens.
    """
    stem, rest = term_parts(term)
    return re.escape(stem) + rest


def _trie_regex(items: list[tuple[str, str]]) -> str:
    """An alternation of (literal, rest) items factored into a prefix tree.

    Equivalent to ``literal1 rest1 | literal2 rest2 | ...`` with longer literals tried first, but the
    engine only descends into branches whose next letter matches: one pass over the text costs about
    the same for 200 terms as for 5.
    """
    by_char: dict[str, list[tuple[str, str]]] = {}
    ends: list[str] = []
    for literal, rest in items:
        if literal:
            by_char.setdefault(literal[0], []).append((literal[1:], rest))
        else:
            ends.append(rest)
    alternatives = [re.escape(ch) + _trie_regex(sub) for ch, sub in sorted(by_char.items())]
    alternatives += sorted(set(ends), key=lambda r: (-len(r), r))
    if len(alternatives) == 1 and "|" not in alternatives[0]:
        return alternatives[0]
    return "(?:" + "|".join(alternatives) + ")"


class TermSet:
    """Many (key, term) rules compiled into one regex, most specific term first.

    ``scan(text)`` yields ``(key, term, start, end)`` per occurrence, where ``key`` is whatever the rule
    file attached to the term (a canonical label, a tag) and ``term`` is the rule as written; a term
    listed under several keys yields once per key. Offsets are into ``text.lower()`` (the same length
    as ``text`` for all but a few exotic characters).

    Speed matters (every crawled article is scanned by the relevance rules and by the tagger), so the
    text is lower-cased once instead of matching case-insensitively, the alternation is a prefix tree
    (see ``_trie_regex``) and the word-start check comes first, so most positions fail in one step.
    Which term matched is worked out once per distinct matched string and cached.
    """

    def __init__(self, rules: Iterable[tuple[Any, str]]) -> None:
        entries: dict[tuple[str, str], list[tuple[Any, str]]] = {}
        for key, term in rules:
            stem, rest = term_parts(term)  # errors name the term as written
            found = entries.setdefault((stem.lower(), rest.lower()), [])
            if all(key is not k for k, _ in found):
                found.append((key, term))
        # Most specific first: a longer literal start, then a longer rest, wins when both match.
        order = sorted(entries, key=lambda parts: (-len(parts[0]), -len(parts[1]), parts))
        self._entries = [entries[parts] for parts in order]
        self._anchored = [re.compile(re.escape(stem) + rest + r"\Z") for stem, rest in order]
        self._which: dict[str, int] = {}
        self.pattern: re.Pattern[str] | None = None
        if order:
            self.pattern = re.compile(r"(?<!\w)" + _trie_regex(order) + r"(?!\w)")

    def __bool__(self) -> bool:
        return self.pattern is not None

    def scan(self, text: str) -> Iterator[tuple[Any, str, int, int]]:
        """Every mention in ``text``, left to right, as ``(key, term, start, end)``."""
        if self.pattern is None or not text:
            return
        for found in self.pattern.finditer(text.lower()):
            index = self._term_index(found.group())
            if index is not None:  # always: the alternation and the anchored terms agree
                for key, term in self._entries[index]:  # one term may serve several keys
                    yield key, term, found.start(), found.end()

    def _term_index(self, matched: str) -> int | None:
        index = self._which.get(matched)
        if index is None:
            index = next((i for i, rx in enumerate(self._anchored) if rx.match(matched)), None)
            if index is not None and len(self._which) < 100_000:
                self._which[matched] = index
        return index


def load_packaged(name: str) -> dict[str, Any]:
    """Read one of the TOML files shipped in this package."""
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return tomllib.loads(text)
