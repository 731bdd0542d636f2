"""Word stems for search: one implementation that feeds both full-text indexes and every query.

Russian and Tajik are inflected: ``граница`` is written ``границами``, ``границе``; ``выборы``
``выборах``. A search for the dictionary form must find them, on SQLite and PostgreSQL alike. Neither
engine has a Tajik stemmer and their Russian/English ones differ, so we stem in Python and hand both
engines the same pre-stemmed text (``article.title_stems`` / ``article.body_stems``): FTS5 indexes it as
plain tokens, PostgreSQL through ``to_tsvector('simple', ...)``. A query word is stemmed by the same
function, so both backends see the same tokens and return the same articles.

Which stemmer: Latin-script words use Snowball English (Porter2), whatever the article's language
(names and English quotes in Russian text stem the same way). Cyrillic words use Snowball Russian, or the
Tajik stemmer (``storage.stem_tajik``) when the article is Tajik or the word has a letter only Tajik uses
(ғ ӣ қ ӯ ҳ ҷ). A Cyrillic query word without such a letter could be either language, so the query asks
for both stems (``stem_variants``). Digits and other scripts are kept as they are.

Tokens are cut by ``storage.tokens`` (runs of letters, digits and combining marks, as FTS5's unicode61
cuts them), lower-cased and folded (Latin accents dropped), exactly as query words are.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

import regex
import Stemmer

from storage.stem_tajik import stem_tajik
from storage.tokens import TOKEN, fold

_TAJIK_ONLY = frozenset("ғӣқӯҳҷ")
_LATIN_END = "\u024f"

_english = Stemmer.Stemmer("english")
_russian = Stemmer.Stemmer("russian")


def _is_cyrillic(word: str) -> bool:
    return "\u0400" <= word[0] <= "\u04ff"


def _is_latin(word: str) -> bool:
    return word[0] <= _LATIN_END and word[0].isalpha()


@lru_cache(maxsize=200_000)
def _stem(word: str, language: str) -> str:
    if language == "en":
        return str(_english.stemWord(word))
    if language == "ru":
        return str(_russian.stemWord(word))
    return stem_tajik(word)


def _language_of(word: str, article_language: str | None) -> str | None:
    """Which stemmer a word of an article in ``article_language`` gets (None: keep as is)."""
    if _is_latin(word):
        return "en"
    if _is_cyrillic(word):
        if article_language == "tg" or not _TAJIK_ONLY.isdisjoint(word):
            return "tg"
        return "ru"
    return None


def words(text: str) -> Iterator[regex.Match[str]]:
    """The word tokens of ``text`` with their positions (lower-casing and folding left to the caller)."""
    return TOKEN.finditer(text)


def normal_form(token: str) -> str:
    """A token as the indexes compare it: lower-cased, Latin accents folded."""
    return fold(token.lower())


def stem(token: str, article_language: str | None) -> str:
    """The stem of one normal-form token of an article written in ``article_language``."""
    language = _language_of(token, article_language)
    return token if language is None else _stem(token, language)


_CACHE_LIMIT = 300_000
_text_caches: dict[str | None, dict[str, str]] = {}


def stem_text(text: str | None, article_language: str | None) -> str:
    """Text for the stem columns: every word stemmed, joined by single spaces (word order kept).

    Stems are cached per article language by the word as written: an archive repeats a few thousand
    words, and a dictionary lookup is ~20x cheaper than lower-casing, folding and stemming again
    (bench/search.py loads a million articles with this).
    """
    if not text:
        return ""
    cache = _text_caches.setdefault(article_language, {})
    if len(cache) > _CACHE_LIMIT:
        cache.clear()
    out = []
    for token in TOKEN.findall(text):
        found = cache.get(token)
        if found is None:
            found = cache[token] = stem(normal_form(token), article_language)
        out.append(found)
    return " ".join(out)


def stem_variants(token: str) -> tuple[str, ...]:
    """The stems a query token may have in the archive: one, or two for Cyrillic without Tajik letters."""
    if _is_latin(token):
        return (_stem(token, "en"),)
    if _is_cyrillic(token):
        if not _TAJIK_ONLY.isdisjoint(token):
            return (_stem(token, "tg"),)
        return tuple(dict.fromkeys((_stem(token, "ru"), _stem(token, "tg"))))
    return (token,)
