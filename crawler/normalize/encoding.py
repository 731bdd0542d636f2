"""Bytes to text, and text back from encoding damage.

Pages arrive as bytes in whatever encoding their server (or CMS) chose: UTF-8, windows-1251 for older
Russian/Tajik sites, with or without a BOM, sometimes with a wrong HTTP header. ``decode_html`` picks the
encoding the way browsers do (BOM, then the declared header, then ``<meta charset>``), and falls back to
detection when the declared encoding plainly does not fit the bytes.

``repair_text`` fixes damage that is already inside decoded text. ftfy handles whole mojibake runs, but
one family survives it: *invisible* characters (zero-width spaces, word joiners, U+2062-U+2064 invisible
operators, BOMs, variation selectors) whose UTF-8 bytes (``E2 80 xx``, ``E2 81 xx``, ``EF BB BF``,
``EF B8 xx``) were decoded as windows-1252 one character at a time, often losing a byte that windows-1252
leaves undefined (``81``, ``8D``, ``8F``, ``90``, ``9D``). What remains is ``â€``, ``â¢``, ``â£``, ``â¤``
between words, or, after a second round of damage that glued the mojibake to a no-break space and
re-read it as UTF-8, ``†``, ``⢠``, ``⣠``, ``⤠``. Such fragments are not valid UTF-8 any more, so ftfy
cannot decode them; this module maps them back from the mechanism instead of from a list of strings.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

import ftfy
from ftfy import chardata
from ftfy.badness import is_bad
from w3lib.encoding import html_to_unicode, resolve_encoding

__all__ = ["decode_html", "repair_text", "INVISIBLE_CHARS"]

# ftfy, but without its opinions about fine text: keep curly quotes, HTML-looking text, full-width forms.
# ``replace_lossy_sequences`` would turn "â€\ufffd" into a bare U+FFFD and lose what we can still infer;
# ``restore_byte_a0`` guesses that "â€ " was "â€\xa0" (a dagger) where it is usually a lost ZWJ.
_FTFY = ftfy.TextFixerConfig(
    unescape_html=False,
    uncurl_quotes=False,
    fix_character_width=False,
    fix_latin_ligatures=True,
    replace_lossy_sequences=False,
    restore_byte_a0=False,
    explain=False,
    normalization="NFC",
)

# ftfy costs milliseconds per article even when it changes nothing, which is nearly always. With the
# options above it can only act on text that (a) its own mojibake detectors flag (``is_bad``, the UTF-8
# detector) or (b) holds a character one of its enabled fixers rewrites: ligatures, control and C1
# characters, odd line breaks, surrogates, terminal escapes. Text with neither is only NFC-normalised.
_FTFY_REWRITES = (
    set(chardata.LIGATURES) | set(chardata.CONTROL_CHARS) | {ord(c) for c in "\r\u2028\u2029\x1b"}
)
_FTFY_WORK_RE = re.compile(
    "[" + "".join(re.escape(chr(c)) for c in sorted(_FTFY_REWRITES)) + "\x80-\x9f\ud800-\udfff]"
)


def _ftfy_has_work(text: str) -> bool:
    return (
        _FTFY_WORK_RE.search(text) is not None
        or chardata.UTF8_DETECTOR_RE.search(text) is not None
        or is_bad(text)
    )


def _fix_text(text: str) -> str:
    """``ftfy.fix_text(text, _FTFY)``, skipped where it provably has nothing to do.

    ftfy repeats its steps until the text stops changing, and its last step is NFC, so the NFC form is
    checked too. tests/test_normalize_encoding.py compares both paths on the real-page corpora.
    """
    if _ftfy_has_work(text):
        return ftfy.fix_text(text, _FTFY)
    normal = unicodedata.normalize("NFC", text)
    if normal != text and _ftfy_has_work(normal):
        return ftfy.fix_text(text, _FTFY)
    return normal


# Characters that carry no visible content and are dropped outright.
INVISIBLE_CHARS = frozenset(
    [chr(c) for c in range(0x200B, 0x2010)]  # ZWSP, ZWNJ, ZWJ, LRM, RLM
    + [chr(c) for c in range(0x202A, 0x202F)]  # bidi embeddings and overrides
    + [chr(c) for c in range(0x2060, 0x2065)]  # word joiner, invisible operators
    + [chr(c) for c in range(0x2066, 0x2070)]  # bidi isolates, deprecated format chars
    + [chr(c) for c in range(0xFE00, 0xFE10)]  # variation selectors
    + ["\ufeff", "\u00ad", "\u180e", "\ufffe"]
)
_ZWNJ = "\u200c"  # meaningful inside Persian/Arabic-script words: kept there
_INVISIBLE_RE = re.compile("[" + "".join(sorted(INVISIBLE_CHARS)) + "]")
_LINE_SEPARATORS = {"\u2028": "\n", "\u2029": "\n\n"}

# The windows-1252 rendering of every byte 0x80-0xBF (a UTF-8 continuation byte) -> that byte.
# Undefined bytes (81 8D 8F 90 9D) show up as C1 controls when a "sloppy" decoder kept them.
_CONT_CHAR_TO_BYTE: dict[str, int] = {}
for _b in range(0x80, 0xC0):
    try:
        _CONT_CHAR_TO_BYTE[bytes([_b]).decode("cp1252")] = _b
    except UnicodeDecodeError:
        pass
    _CONT_CHAR_TO_BYTE.setdefault(chr(_b), _b)
_CONT_CLASS = "".join(re.escape(c) for c in sorted(_CONT_CHAR_TO_BYTE))
_LOST = "\ufffd\x81\x8d\x8f\x90\x9d"  # what a lost/undefined byte can leave behind (or nothing)

# "â€" + third byte (E2 80 xx: U+2000-U+203F). The third byte may be gone.
_E2_80_RE = re.compile(f"â€(?:(?P<third>[{_CONT_CLASS}])|\ufffd)?")
_E2_80_LOSSY_RE = re.compile("â€(?P<third>)\ufffd")
_E2_80_GUILLEMET_RE = re.compile("â€(?P<third>[«»])")
# "â" + (lost 0x81) + third byte A0-AF or 9F (E2 81 xx: word joiner, invisible operators, MMSP).
_E2_81_THIRDS = "".join(
    re.escape(bytes([b]).decode("cp1252")) + re.escape(chr(b)) for b in [0x9F, *range(0xA1, 0xB0)]
)
_E2_81_RE = re.compile(f"â[{_LOST}]?(?P<third>[{_E2_81_THIRDS}])")
# Word joiner (E2 81 A0) shows as "â" + no-break space. Languages with a word-final "â" put that space
# before French-style punctuation (« » ; : ! ?), which is left alone.
_E2_81_A0_RE = re.compile(r"â[\ufffd\x81]?\xa0(?![;:!?»])")
# BOM (EF BB BF) and variation selectors (EF B8 8x), whole or with the last byte lost.
_EF_RE = re.compile(f"ï»¿|ï¸[€‚ƒ„…†‡ˆ‰Š‹ŒŽ\x80-\x8f{_LOST}]?")
# Second-round damage: a mojibake "â" + X followed by one more character (a no-break space, or the next
# mojibake's first character) re-read as UTF-8 is one character E2 yy zz. With yy from the E2 81 family
# (NBSP, ¡-¯) that is U+2800-U+2BFF (Braille, arrows, math symbols); with yy = 80 ("€") and zz = A0 it is
# U+2020, the dagger. The last byte zz is what followed the invisible character: a space, or text.
_GLUED_RE = re.compile("(?P<before>.)?(?P<glued>[\u2800-\u2bff\u2020])(?P<after>.)?", re.DOTALL)
# Evidence that a text carries this damage at all; without it, rare symbols are left alone.
_EVIDENCE_RE = re.compile(
    f"â€|â[{_LOST}]?[\xa0{_E2_81_THIRDS}]|ï»¿|ï¸|(?<=[^\\W\\d_])[\u2800-\u2bff\u2020](?=[^\\W\\d_])"
)
_QUOTE_WINDOW = 400


def decode_html(data: bytes, declared_encoding: str | None = None) -> tuple[str, str]:
    """Decode a page: BOM, then the declared (HTTP) encoding, then ``<meta charset>``, then detection.

    Returns ``(text, encoding used)``. A declared encoding that leaves replacement characters in the
    text is distrusted and the bytes are re-detected (servers lie; ``<meta>`` tags lie more often).
    """
    header = f"text/html; charset={declared_encoding}" if declared_encoding else None
    encoding, text = html_to_unicode(header, data, default_encoding="utf-8", auto_detect_fun=_detect)
    if _is_multibyte_utf8(data) and resolve_encoding(encoding) not in _UTF8_NAMES:
        # A migrated CMS still declaring windows-1251: multi-byte UTF-8 that decodes cleanly is never an
        # accident in a single-byte encoding, so the bytes win over the label.
        return data.decode("utf-8"), "utf-8"
    if "\ufffd" in text and text.count("\ufffd") > 2 and not data.startswith(codecs.BOM_UTF8):
        detected = _detect(data)
        if detected and resolve_encoding(detected) != resolve_encoding(encoding):
            try:
                better = data.decode(detected)
            except (UnicodeDecodeError, LookupError):
                better = None
            if better is not None and better.count("\ufffd") < text.count("\ufffd"):
                return better, resolve_encoding(detected) or detected
    return text, encoding


_UTF8_NAMES = frozenset({"utf-8", "utf8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"})


def _is_multibyte_utf8(data: bytes) -> bool:
    """Valid UTF-8 with enough multi-byte sequences to rule out chance (and no UTF-16 BOM)."""
    if data.isascii() or data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    # Count non-ASCII characters in C (a Python loop over a 20 KB page cost ~4 ms per crawled page).
    return len(text) - len(text.encode("ascii", "ignore")) >= 8


def _detect(data: bytes) -> str | None:
    """Guess an encoding for undeclared bytes: valid UTF-8 first, then charset-normalizer."""
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    return best.encoding if best is not None else None


def repair_text(text: str) -> str:
    """Undo encoding damage, drop invisible characters and NFC-normalise; fine text keeps its characters.

    Whitespace is the only thing fine text may see changed: Unicode spaces become plain spaces and runs
    of spaces collapse (line breaks are kept; paragraphs are ``normalize_body``'s job).
    """
    if not text:
        return ""
    if not text.isascii():
        damaged = _EVIDENCE_RE.search(text) is not None
        if damaged:  # what ftfy would mangle or flatten to U+FFFD: lossy fragments, glued characters
            text = _E2_80_LOSSY_RE.sub(_fix_e2_80, text)
            text = _E2_80_GUILLEMET_RE.sub(_fix_e2_80, text)
            text = _E2_81_RE.sub(_fix_e2_81, text)
            text = text.replace("â\ufffd\xa0", "\u2060")
            text = _GLUED_RE.sub(lambda m: _fix_glued(m, damaged), text)
        text = _fix_text(text)
        text = _repair_invisible_mojibake(text, damaged)
        text = unicodedata.normalize("NFC", text)
    return _tidy_spaces(text)


def _repair_invisible_mojibake(text: str, damaged: bool) -> str:
    """Map the surviving fragments of E2 80 xx / E2 81 xx / EF xx xx mojibake back to characters."""
    if "â" in text:
        text = _E2_81_RE.sub(_fix_e2_81, text)
        text = _E2_81_A0_RE.sub("\u2060", text)
        text = _E2_80_RE.sub(_fix_e2_80, text)
    if "ï" in text:
        text = _EF_RE.sub("", text)
    text = _drop_invisible(text)  # before un-gluing: "†\u2063word" is still a glued separator
    text = _GLUED_RE.sub(lambda m: _fix_glued(m, damaged), text)
    for sep, repl in _LINE_SEPARATORS.items():
        text = text.replace(sep, repl)
    return text


def _fix_e2_81(m: re.Match[str]) -> str:
    return chr(0x2040 + (_CONT_CHAR_TO_BYTE[m["third"]] & 0x3F))


def _fix_e2_80(m: re.Match[str]) -> str:
    third = m["third"]
    if third in ("«", "»"):
        # U+202B (RLE) / U+203B (※) are implausible outside Arabic/Hebrew script; a lost byte followed
        # by a real guillemet is not.
        near = m.string[max(0, m.start() - 40) : m.end() + 40]
        if not re.search("[\u0590-\u06ff]", near):
            return third
    if third and third not in "\x8d\x8f\x90\x9d":
        return chr(0x2000 + (_CONT_CHAR_TO_BYTE[third] & 0x3F))
    # The third byte is lost: U+200D ZWJ, U+200F RLM, U+2010 hyphen or U+201D right double quote.
    text, start, end = m.string, m.start(), m.end()
    after = text[end] if end < len(text) else ""
    if (not after or after.isspace() or after in ".,;:!?)]") and _closes_quote(text, start, end):
        return "\u201d"
    return ""


_OPEN_QUOTE_RE = re.compile("\u201c|â€œ")
_CLOSE_QUOTE_RE = re.compile("\u201d|â€\x9d")


def _closes_quote(text: str, start: int, end: int) -> bool:
    """Does the span [start, end) close an open “...” on its line, with no other closer following?

    Decides what a lost-byte "â€" was: a closing quote there, an invisible character anywhere else.
    """
    before = text[start - 1] if start else ""
    if not before or before.isspace():
        return False
    line_start = text.rfind("\n", 0, start) + 1
    window = text[max(line_start, start - _QUOTE_WINDOW) : start]
    if len(_OPEN_QUOTE_RE.findall(window)) <= len(_CLOSE_QUOTE_RE.findall(window)):
        return False
    line_end = text.find("\n", end)
    ahead = text[end : line_end if line_end >= 0 else len(text)][:_QUOTE_WINDOW]
    next_open, next_close = _OPEN_QUOTE_RE.search(ahead), _CLOSE_QUOTE_RE.search(ahead)
    return next_close is None or (next_open is not None and next_open.start() < next_close.start())


def _fix_glued(m: re.Match[str], damaged: bool) -> str:
    """E2 yy zz read as one character: an invisible character's mojibake glued to what followed it."""
    before, glued, after = m["before"] or "", m["glued"], m["after"] or ""
    if glued == "\u2020":
        # A legitimate dagger (footnote, obituary) stands after a space or before a space/punctuation.
        # A damaged one is "â€" + (no-break) space glued between words, and "â€" may have been a quote.
        glued_between = before and not before.isspace() and after and not after.isspace()
        if not (after.isalpha() or (glued_between and after not in ".,;:!?)]}*")):
            return m.group(0)
        return (
            before + ("\u201d " if _closes_quote(m.string, m.start("glued"), m.end("glued")) else " ") + after
        )
    if not (damaged or before.isalpha() or after.isalpha()):
        return m.group(0)
    last = glued.encode("utf-8")[-1]  # what followed the invisible character
    tail = " " if last in (0xA0, 0x86) else _byte_to_cp1252(last)  # NBSP, or a glued dagger: a space
    return before + tail + after


def _byte_to_cp1252(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return ""


def _drop_invisible(text: str) -> str:
    if _ZWNJ in text:
        text = re.sub(r"(?<![\u0600-\u06ff])\u200c|\u200c(?![\u0600-\u06ff])", "", text)
        return re.sub("[" + "".join(sorted(INVISIBLE_CHARS - {_ZWNJ})) + "]", "", text)
    return _INVISIBLE_RE.sub("", text)


_SPACES_RE = re.compile(r"[^\S\n]+")
_SPACE_AROUND_NL_RE = re.compile(r" *\n *")


def _tidy_spaces(text: str) -> str:
    """Unicode spaces -> ' ', runs collapsed, no spaces around line breaks, ends stripped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACES_RE.sub(" ", text)
    return _SPACE_AROUND_NL_RE.sub("\n", text).strip()
