"""Summaries and leads as a reader sees them: no entities, no cut words, no repeats.

Glitches seen in digests and on pages, each fixed here once for every source:

* ``[&#8230;]`` in Khovar summaries: WordPress writes entities inside CDATA, so no XML parser decodes
  them. Text with HTML entities is decoded exactly once, wherever it comes from (feed, meta, body).
* OSCE meta descriptions cut mid-word ("... the Programme Off"): a summary that is a cut-off start of
  the body ends at its last sentence, or its last whole word with an ellipsis.
* Ozodi summaries that equal the title: the first sentences of the body take their place.
* A lead that repeats the first paragraph: the body does not open with the same text twice.
"""

from __future__ import annotations

import html
import re

from crawler.normalize.text import first_sentences

__all__ = ["clean_summary", "decode_entities", "drop_repeated_lead"]

_ENTITY_RE = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_SENTENCE_END = ".!?…\"'”»)]"
_WORD_RE = re.compile(r"\w+")
_MIN_KEPT_SENTENCE = 60  # chars: a shorter first sentence is not worth losing the rest of the text for


def decode_entities(text: str) -> str:
    """``[&#8230;]`` -> ``[…]``, ``&amp;`` -> ``&``: once (``&amp;amp;`` becomes ``&amp;``, as written)."""
    if "&" not in text or not _ENTITY_RE.search(text):
        return text
    return html.unescape(text)


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(text.casefold())


def clean_summary(summary: str, title: str, body: str) -> str:
    """The summary to show: the declared one repaired, or the body's first sentences."""
    if not summary or _words(summary) == _words(title):
        return first_sentences(body) if summary else ""
    return _uncut(summary, body)


def _uncut(summary: str, body: str) -> str:
    """End a summary that stops mid-sentence at a sentence, or at a whole word with an ellipsis.

    Only a summary that is a truncated copy of the body's start is touched: if the body goes on with
    more letters of the same word, the publisher's tool cut it; a summary of its own is left alone.
    """
    text = summary.rstrip()
    if text.endswith(tuple(_SENTENCE_END)) and not text.endswith("..."):
        return text
    bare = text.rstrip(".… ")
    flat_body = " ".join(body.split())
    at = flat_body.find(bare)
    if at < 0 or at > 200:  # not the body's opening: the publisher's own text
        return text
    following = flat_body[at + len(bare) : at + len(bare) + 1]
    if not following or following in ".!?":
        return bare + following if following else bare
    mid_word = following.isalnum() and bare[-1:].isalnum()
    words = bare.split(" ")
    if mid_word and len(words) > 1:
        words = words[:-1]
    cut = " ".join(words).rstrip(",;:—–- ")
    last_end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    if last_end + 1 >= _MIN_KEPT_SENTENCE:
        return cut[: last_end + 1]
    return cut + "…"


def drop_repeated_lead(body: str) -> str:
    """A body whose first paragraph is repeated (or contained) in the second loses the first."""
    paragraphs = body.split("\n\n")
    if len(paragraphs) < 2:
        return body
    first, second = _words(paragraphs[0]), _words(paragraphs[1])
    if len(first) >= 5 and second[: len(first)] == first:
        return "\n\n".join(paragraphs[1:])
    return body
