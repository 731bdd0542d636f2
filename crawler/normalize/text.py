"""Whitespace and paragraph shape of article text, and a short summary cut from it.

Every source hands over text with its own line-break habits (``<p>`` per line, ``<br>`` runs, blank
lines, none). The stored body has one canonical shape so that the same article reached through two
parsers gets the same content hash: each non-empty line is a paragraph, paragraphs are separated by
exactly one blank line, spaces inside a line are collapsed. Words are never rewritten.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize_body", "normalize_inline", "first_sentences"]

_SPACES_RE = re.compile(r"[^\S\n]+")


def normalize_body(text: str) -> str:
    """Paragraphs separated by exactly one blank line; spaces collapsed; NFC. Idempotent."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    lines = (_SPACES_RE.sub(" ", line).strip() for line in text.split("\n"))
    return "\n\n".join(line for line in lines if line)


def normalize_inline(text: str | None) -> str:
    """One line of text (a title, an author): every whitespace run becomes one space."""
    if not text:
        return ""
    return " ".join(unicodedata.normalize("NFC", text).split())


# A sentence ends at . ! ? … (optionally followed by a closing quote/bracket) before a space and a
# capital, digit or opening quote. Common abbreviations do not end sentences.
_SENTENCE_END_RE = re.compile(r"(?<=[.!?…])[\"'”»)\]]?\s+(?=[\"'“«(\[]?[A-ZА-ЯЁҲҚӢӮҶҒ0-9])")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st gen col lt sgt rep sen gov jan feb mar apr jun jul aug sep sept oct nov dec "
    "no vs etc inc ltd co corp jr sr u.s u.k u.n e.g i.e approx dept est fig т.е г гг им ул".split()
)


def first_sentences(text: str, *, max_sentences: int = 3, min_chars: int = 160, max_chars: int = 400) -> str:
    """The opening 2-3 sentences of the first paragraph(s): a summary for pages that declare none."""
    flat = " ".join(text.split())
    if not flat:
        return ""
    sentences: list[str] = []
    start = 0
    for m in _SENTENCE_END_RE.finditer(flat):
        end = m.start() + len(m.group(0).rstrip())  # keep a closing quote or bracket with its sentence
        sentence = flat[start:end].strip()
        last_word = sentence.rstrip(".!?…\"'”»)]").rsplit(" ", 1)[-1].lower()
        if last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
            continue  # "Mr. Smith", "U.S. envoy", "J. Doe"
        sentences.append(sentence)
        start = m.end()
        if len(sentences) >= max_sentences or (len(sentences) >= 2 and len(" ".join(sentences)) >= min_chars):
            break
    else:
        sentences.append(flat[start:].strip())
    summary = " ".join(s for s in sentences if s)
    if len(summary) > max_chars:
        cut = summary[:max_chars].rsplit(" ", 1)[0]
        summary = cut.rstrip(",;:—–-") + "…"
    return summary
