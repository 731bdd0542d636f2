"""Lines of an extracted body that are the site talking, not the story.

Structural rules first: a short line repeated in the body is a widget (consent placeholder, "Advertisement",
a caption credit on every picture), not prose, unless such lines make up most of the body. Then known phrases, in English and Russian (the languages of
most sources we follow), that open tip lines, newsletter and follow-us footers, tag lists and "read also"
teasers. Only short lines are judged: a phrase inside a long paragraph is quoted speech, not boilerplate.
"""

from __future__ import annotations

import re
from collections import Counter

__all__ = ["drop_boilerplate_lines"]

_MAX_BOILERPLATE_CHARS = 250  # longer lines are paragraphs, whatever they start with
_MAX_REPEATED_CHARS = 300

_OPENERS_RE = re.compile(
    r"^(?:"
    # English
    r"tags?\s*:|topics?\s*:|filed under\s*:|related(?: articles| stories| coverage| topics)?\s*:|"
    r"read (?:more|also|next)\s*:|see also\s*:|more (?:from|on this)\b.{0,60}:|recommended\s*:|"
    r"advertisement$|sponsored(?: content)?$|share (?:this|on)\b|follow (?:us|\w+(?:\.\w+)* on)\b|"
    r"sign up (?:for|to)\b|subscribe to\b|get (?:our|the) .{0,40}newsletter|"
    r"(?:got|have|do you have) a (?:story|tip|news tip)\b|send (?:us )?(?:your )?(?:tips|news tips)\b|"
    r"all rights reserved|click here to\b|copyright\b|©|also on \w+(?:\.\w+)+\b|"
    # Russian
    r"теги\s*:|метки\s*:|тэги\s*:|читайте также|читать также|смотрите также|см\. также|"
    r"подписывайтесь|подпишитесь|реклама$|поделиться|следите за (?:нами|новостями)|"
    r"новости по теме|по теме\s*:|материалы по теме|все права защищены|"
    r"при (?:использовании|цитировании|перепечатке)|перепечатка"
    r")",
    re.IGNORECASE,
)
# A sentence asking the reader to subscribe or write in, anywhere in a short line.
_CALLS_RE = re.compile(
    r"\bnewsletters?\b.*\b(?:sign up|subscribe)\b|\b(?:sign up|subscribe)\b.*\bnewsletters?\b|"
    r"\bget in touch with our news team\b|\bin your inbox\b|"
    r"\baffiliate (?:commission|links?)\b|\bearn (?:us )?(?:a|an) (?:small )?commission\b|"
    r"подпис\w+ на наш\w* (?:канал|телеграм|рассылк)",
    re.IGNORECASE,
)


def _widget_like(line: str) -> bool:
    """Short words-only prose: what a widget says. Code, tables, list items and figures repeat legitimately."""
    if (
        len(line) > _MAX_REPEATED_CHARS
        or line.startswith(("- ", "* ", "|"))
        or any(c.isdigit() for c in line)
    ):
        return False
    visible = [c for c in line if not c.isspace()]
    letters = sum(c.isalpha() for c in visible)
    words = sum(word.strip(".,:;!?'\"()").isalpha() for word in line.split())
    return words >= 2 and letters >= 0.8 * len(visible)


def drop_boilerplate_lines(lines: list[str]) -> list[str]:
    """``lines`` without repeated widget lines and without known boilerplate lines."""
    counts = Counter(line.casefold() for line in lines if _widget_like(line))
    repeated = {line for line, n in counts.items() if n > 1}
    repeated_chars = sum(len(line) for line in lines if line.casefold() in repeated)
    if repeated_chars * 2 > sum(len(line) for line in lines):
        repeated = set()  # the page is built of them (a list, a poem, a test page): not widgets
    kept = []
    for line in lines:
        if line.casefold() in repeated:
            continue
        if len(line) <= _MAX_BOILERPLATE_CHARS and (_OPENERS_RE.match(line) or _CALLS_RE.search(line)):
            continue
        kept.append(line)
    return kept
