"""A light suffix stemmer for Tajik nouns: plural, izofat, possessive and object endings.

There is no Snowball stemmer for Tajik, and a search that only matches the dictionary form misses
most of a Tajik archive: a noun such as ``сарҳад`` (border) appears as ``сарҳадҳо`` (borders),
``сарҳади`` (border of ..., izofat), ``сарҳадҳои`` (borders of ...), ``сарҳадро`` (the border, object).

The endings follow the order Tajik grammars give for the noun phrase (e.g. J. R. Perry, *A Tajik
Persian Reference Grammar*, 2005, §§ on number, the ezofe and the object marker): the stem, then the
plural (``-ҳо``; ``-он`` and its variants ``-ён``, ``-гон``, ``-вон`` for people and animates), then
either the izofat (``-и``; ``-йи``/``-и`` after vowels) or a plural possessive enclitic (``-амон``,
``-атон``, ``-ашон``), and last the object marker ``-ро``. We strip from the end in
that order, once per layer, and only while a stem of at least ``MIN_STEM`` letters remains.

Deliberately left alone: the singular enclitics ``-ам``, ``-ат``, ``-аш`` (too many nouns end in them:
``ҳукумат``, ``амният``, ``вазорат`` would lose their last letters while ``ҳукумати`` kept them), verb endings (a light stemmer for search, not a morphological analyser), the
indefinite ``-е`` (it would cut names such as Душанбе), ``ба`` (a preposition written apart; as a
prefix it forms new words), comparative ``-тар``/``-тарин``. Country names in ``-истон`` keep their
``-он``. The same function stems both the archive and the query, so an over-eager cut only merges two
words; it never loses a match.
"""

from __future__ import annotations

MIN_STEM = 3

_OBJECT = ("ро",)
_POSSESSIVE = ("ашон", "атон", "амон")
_IZOFAT = ("йи", "и")
_PLURAL = ("ҳо", "гон", "вон", "ён", "он")
_KEEP_ON = ("истон",)  # Тоҷикистон, Афғонистон: the -он is part of the name


def _strip(word: str, suffixes: tuple[str, ...]) -> str:
    for suffix in suffixes:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            return word[: -len(suffix)]
    return word


def stem_tajik(word: str) -> str:
    """The stem of a lower-case Tajik word (``сарҳадҳоро`` → ``сарҳад``, ``муҳоҷирон`` → ``муҳоҷир``)."""
    word = _strip(word, _OBJECT)
    if word.endswith("ии") and len(word) - 1 >= MIN_STEM:
        return word[:-2] + "ӣ"  # ҷумҳурии (ҷумҳурӣ + izofat) → ҷумҳурӣ
    before = word
    word = _strip(word, _IZOFAT)
    if word == before:
        word = _strip(word, _POSSESSIVE)
    if word.endswith(_KEEP_ON):
        return word
    return _strip(word, _PLURAL)
