"""Word tokens as both full-text indexes see them: the cut, case and Latin-accent folding.

Kept apart from the query parser because the stemmer (``storage.stemming``) cuts article text with the
same rule and the parser compiles stems: both depend on this module, neither on the other.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import regex

# A token is a run of letters, digits, combining marks and private-use characters: the characters
# SQLite's unicode61 tokenizer keeps in a token. ``regex`` has the Unicode classes ``re`` lacks.
TOKEN = regex.compile(r"[\p{L}\p{N}\p{M}\p{Co}]+")
_LATIN_ACCENTED = regex.compile(r"[\u00c0-\u024f\u1e00-\u1eff]")


def tokenize(text: str) -> list[str]:
    """Cut text into lower-cased word tokens the way the full-text indexes do."""
    return [token.lower() for token in TOKEN.findall(text)]


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
    if not _LATIN_ACCENTED.search(text):
        return text  # most text: nothing to fold, and no per-character walk
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
