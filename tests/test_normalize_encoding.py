"""Decoding bytes and repairing encoding damage (seeds/004: invisible characters turned into mojibake)."""

from __future__ import annotations

import codecs
import gzip
import json
import random
import re
from pathlib import Path

import pytest

from crawler.normalize import decode_html, repair_text

SHARED = Path(__file__).parents[1] / "../shared"
SEEDS = SHARED / "seeds"
REALDATA = SHARED / "realdata"
DAMAGED_SEED = SEEDS / "004_389954f3aa60489e.txt"
CLEAN_TITLE = "Khujand Declaration and Diplomacy in Central Asia: Shaping the Future of regional Cooperation"

needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed documents not found at {SEEDS}")
needs_realdata = pytest.mark.skipif(not REALDATA.is_dir(), reason=f"realdata corpus not found at {REALDATA}")

# The mojibake family: UTF-8 of U+2000-U+206F / U+FExx read as windows-1252 (+ second-round damage).
GARBAGE_RE = re.compile("â€|â[¢£¤¡¦§¨©ª«¬®¯]|ï»¿|ï¸|[\u2800-\u2bff]|\u2020(?=\\w)")
INVISIBLES = [
    "\u200b",
    "\u200c",
    "\u200d",
    "\u200e",
    "\u200f",
    "\u2060",
    "\u2061",
    "\u2062",
    "\u2063",
    "\u2064",
    "\ufeff",
]


def squash(text: str) -> str:
    return " ".join(text.split())


# ------------------------------------------------------------------------------------- the damaged seed


@needs_seeds
def test_damaged_seed_comes_out_clean() -> None:
    repaired = repair_text(DAMAGED_SEED.read_text(encoding="utf-8"))
    assert GARBAGE_RE.search(repaired) is None, GARBAGE_RE.findall(repaired)[:10]
    assert repaired.splitlines()[0] == CLEAN_TITLE
    assert "In a historic milestone for Central Asian diplomacy, the recent Khujand Declaration" in repaired
    # The one legitimate non-ASCII character of the seed survives.
    assert "the region’s future" in repaired
    assert all(c.isascii() or c == "’" for c in repaired)


@needs_seeds
def test_other_seeds_unchanged_apart_from_whitespace() -> None:
    for path in sorted(SEEDS.glob("00[0-3]_*.txt")):
        text = path.read_text(encoding="utf-8")
        repaired = repair_text(text)
        assert squash(repaired) == squash(text), path.name
        assert repaired.count("\n") == text.strip().count("\n"), f"{path.name}: line breaks kept"


# ------------------------------------------------------------------------------------- fine text


@pytest.mark.parametrize(
    "text",
    [
        "Le pâté de campagne et le château.",
        "Constantin Brâncuși a sculpté « La Colonne sans fin ».",
        "Ele não é âncora; a lâmpada está acesa.",
        "Премьер сказал: «Мы готовы к диалогу» — и ушёл. Ёлка, ёж.",
        "Дар шаҳри Душанбе ҷаласаи Созмони амният ва ҳамкорӣ баргузор гардид.",
        "He said “it’s done” – twice… • 5 € • § 3 • © OSCE 2024 • 20 °C • ½ • † 1923",
        "Emoji stay: 👍🏽 and flags 🇹🇯",
        'Literal markup stays: 5 < 6 & "AT&amp;T" <b>',
    ],
)
def test_fine_text_is_left_alone(text: str) -> None:
    assert repair_text(text) == text


def test_whitespace_is_tidied_but_lines_kept() -> None:
    assert repair_text("  a\u00a0 b\t\tc \n  d\u2009e  ") == "a b c\nd e"
    assert repair_text("") == ""


@needs_realdata
def test_realdata_gold_bodies_unchanged_apart_from_whitespace() -> None:
    bodies = []
    for gold in sorted((REALDATA / "regional_proxies").glob("*.gold.json")):
        data = json.loads(gold.read_text(encoding="utf-8"))
        body = data.get("articleBody") or "\n".join(
            p for s in (data.get("body") or {}).get("sections", []) for p in s.get("paragraphs", [])
        )
        bodies.append((gold.name, body))
    assert any(re.search("[а-я]", body) for _, body in bodies), "a Russian gold body is among them"
    for name, body in bodies:
        assert squash(repair_text(body)) == squash(body), name


# ------------------------------------------------------------------------------------- generality


def _damage_char(char: str, errors: str) -> str:
    """One invisible character UTF-8-encoded and read back as windows-1252, the way seed 004 was hurt."""
    data = char.encode("utf-8")
    if errors == "sloppy":  # undefined bytes kept as C1 controls (WHATWG decoders)
        return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in data)
    return data.decode("cp1252", errors=errors)


def _glue_to_nbsp(mojibake: str) -> str | None:
    """Second-round damage: mojibake + no-break space re-read as UTF-8 (seed 004's '⣠', '†')."""
    try:
        return (mojibake + "\xa0").encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None


def _clean_texts() -> list[tuple[str, str]]:
    texts = [
        (
            "russian",
            "Президент Таджикистана встретился с делегацией ОБСЕ в Душанбе. «Мы ценим сотрудничество», — сказал он.",
        ),
        ("tajik", "Дар Душанбе вохӯрии намояндагони САҲА ва ҳукумати Тоҷикистон баргузор гардид."),
        ("french", "Le pâté et le château de Brâncuși sont à côté de l’hôtel."),
    ]
    if SEEDS.is_dir():
        texts += [(p.name, p.read_text(encoding="utf-8")[:3000]) for p in sorted(SEEDS.glob("00[0-3]_*.txt"))]
    if REALDATA.is_dir():
        for gold in sorted((REALDATA / "regional_proxies").glob("*.gold.json"))[:5]:
            data = json.loads(gold.read_text(encoding="utf-8"))
            body = data.get("articleBody") or "\n".join(
                p for s in (data.get("body") or {}).get("sections", []) for p in s.get("paragraphs", [])
            )
            texts.append((gold.name, body[:3000]))
    return texts


@pytest.mark.parametrize("errors", ["ignore", "replace", "sloppy"])
def test_invisible_character_damage_is_undone_on_any_text(errors: str) -> None:
    rng = random.Random(4)
    for name, clean in _clean_texts():
        words = clean.split(" ")
        damaged_words = []
        for i, word in enumerate(words):
            roll = rng.random()
            char = rng.choice(INVISIBLES)
            mojibake = _damage_char(char, errors)
            if roll < 0.15 and i:  # before a word, after its space: " â£the"
                word = mojibake + word
            elif roll < 0.25 and i + 1 < len(words):  # glued to the end of a word: "stage⣠"
                word = word + mojibake
            elif roll < 0.32 and i and errors == "ignore" and (glued := _glue_to_nbsp(mojibake)):
                damaged_words[-1] += glued + word  # replaced the space: "Declaration†and"
                continue
            damaged_words.append(word)
        damaged = " ".join(damaged_words)
        assert damaged != clean
        repaired = repair_text(damaged)
        assert squash(repaired) == squash(clean), f"{name} ({errors})"


def test_visible_characters_of_the_family_are_restored() -> None:
    for char in "–—‘’“•…\u2009\u202f":  # ” loses its last byte: see test_closing_quote_with_lost_byte
        damaged = f"a{char.encode('utf-8').decode('cp1252', errors='ignore')}b c"
        expected = f"a{char}b c" if not char.isspace() else "a b c"
        assert repair_text(damaged) == expected, repr(damaged)


def test_whole_text_mojibake_is_fixed_by_ftfy() -> None:
    clean = "Президент «ОБСЕ» — it’s fine"
    assert repair_text(clean.encode("utf-8").decode("latin-1")) == clean
    assert repair_text("He said â€œhelloâ€\x9d and left") == "He said “hello” and left"


def test_closing_quote_with_lost_byte() -> None:
    # U+201D is E2 80 9D; 9D is undefined in windows-1252 and gets dropped.
    assert repair_text("He said “hello, friendsâ€ and left") == "He said “hello, friends” and left"
    assert repair_text("no quote hereâ€ at all") == "no quote here at all"


# ------------------------------------------------------------------------------------- decoding bytes


def test_decode_windows_1251_by_meta_charset() -> None:
    page = (
        '<html><head><meta charset="windows-1251"></head><body>Душанбе, 23 сентября — встреча</body></html>'
    )
    text, encoding = decode_html(page.encode("cp1251"))
    assert "Душанбе, 23 сентября — встреча" in text
    assert encoding == "cp1251"


def test_decode_declared_encoding_wins_over_default() -> None:
    text, encoding = decode_html("<p>Ҳукумати Тоҷикистон</p>".encode(), "utf-8")
    assert text == "<p>Ҳукумати Тоҷикистон</p>" and encoding == "utf-8"
    text, _ = decode_html("<p>Привет</p>".encode("koi8-r"), "koi8-r")
    assert text == "<p>Привет</p>"


@pytest.mark.parametrize("bom,codec", [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le")])
def test_decode_bom(bom: bytes, codec: str) -> None:
    text, _ = decode_html(bom + "<p>Тоҷикистон — OSCE</p>".encode(codec), "iso-8859-1")
    assert text.lstrip("\ufeff") == "<p>Тоҷикистон — OSCE</p>"


def test_decode_wrong_declaration_is_distrusted() -> None:
    body = (
        "<html><body><p>"
        + "В Душанбе прошла встреча представителей ОБСЕ и правительства. " * 20
        + "</p></body></html>"
    )
    text, encoding = decode_html(body.encode("cp1251"), "utf-8")
    assert "В Душанбе прошла встреча" in text
    assert "\ufffd" not in text


def test_decode_undeclared_is_detected() -> None:
    body = "<p>" + "Программный офис ОБСЕ в Душанбе провёл семинар для журналистов. " * 10 + "</p>"
    text, _ = decode_html(body.encode("cp1251"))
    assert "Программный офис ОБСЕ" in text


@needs_realdata
def test_decode_real_windows_1251_feed() -> None:
    path = REALDATA / "feeds/miniflux/internal/reader/parser/testdata/encoding_WINDOWS-1251.xml"
    text, encoding = decode_html(path.read_bytes())
    assert "Новый цитатник Рунета" in text
    assert encoding == "cp1251"


@needs_realdata
def test_decode_real_gzipped_page() -> None:
    data = gzip.decompress((REALDATA / "regional_proxies/ru_Kommersant_2025_05_14.html.gz").read_bytes())
    text, encoding = decode_html(data)
    assert "Путин" in text and encoding == "utf-8"


@needs_realdata
@pytest.mark.slow  # the whole fundus corpus
def test_fundus_gold_texts_only_lose_invisible_characters() -> None:
    """258 real articles in 40 languages: repair changes nothing but invisible characters and NFC."""
    import unicodedata

    from crawler.normalize.encoding import INVISIBLE_CHARS

    root = REALDATA / "fundus/tests/resources/parser/test_data"
    checked = 0
    for gold_path in sorted(root.glob("*/*.json")):
        for entry in json.loads(gold_path.read_text(encoding="utf-8")).values():
            body = entry.get("body") or {}
            texts = [entry.get("title") or "", *body.get("summary", [])]
            texts += [
                p
                for s in body.get("sections", [])
                for p in [*s.get("headline", []), *s.get("paragraphs", [])]
            ]
            for text in texts:
                expected = unicodedata.normalize("NFC", "".join(c for c in text if c not in INVISIBLE_CHARS))
                assert squash(repair_text(text)) == squash(expected), f"{gold_path.name}: {text[:80]!r}"
                checked += 1
    assert checked > 1000


@needs_seeds
def test_repair_is_idempotent() -> None:
    once = repair_text(DAMAGED_SEED.read_text(encoding="utf-8"))
    assert repair_text(once) == once


def test_utf8_bytes_beat_a_stale_single_byte_label() -> None:
    page = '<html><head><meta charset="windows-1251"></head><body><p>Ҳукумати Тоҷикистон ва САҲА</p></body></html>'
    text, encoding = decode_html(page.encode("utf-8"))
    assert "Ҳукумати Тоҷикистон ва САҲА" in text and encoding == "utf-8"
    text, encoding = decode_html(page.encode("utf-8"), "windows-1251")
    assert "Ҳукумати Тоҷикистон ва САҲА" in text and encoding == "utf-8"
    # A genuine windows-1251 page is not valid UTF-8 and keeps its label.
    russian = page.replace("Ҳукумати Тоҷикистон ва САҲА", "Правительство Таджикистана и ОБСЕ")
    text, encoding = decode_html(russian.encode("cp1251"))
    assert "Правительство Таджикистана и ОБСЕ" in text and encoding == "cp1251"


def _real_texts() -> list[str]:
    """Article texts of every language in the fundus corpus, plus the same texts damaged as mojibake."""
    root = REALDATA / "fundus/tests/resources/parser/test_data"
    texts: list[str] = []
    for gold_path in sorted(root.glob("*/*.json")):
        for entry in json.loads(gold_path.read_text(encoding="utf-8")).values():
            body = entry.get("body") or {}
            paragraphs = [p for s in body.get("sections", []) for p in s.get("paragraphs", [])]
            texts.append("\n".join([entry.get("title") or "", *paragraphs]))
    damaged = [t.encode("utf-8").decode("cp1252", "replace") for t in texts[::7]]
    damaged += [t.encode("utf-8").decode("latin-1") for t in texts[3::7]]
    return (
        texts
        + damaged
        + ["ﬁnal\r\nline", "bell\x07", "esc\x1b[31mred", "NFC: A\u0303 + €", "caf\u00c3\u00a9"]
    )


@needs_realdata
@pytest.mark.slow  # ftfy over the whole corpus
def test_skipping_ftfy_where_it_has_no_work_changes_no_text() -> None:
    """The cheap pre-check (issue 15) gives exactly what ftfy gives, on clean and on damaged text."""
    import ftfy

    from crawler.normalize.encoding import _FTFY, _fix_text, _ftfy_has_work

    texts = _real_texts()
    skipped = 0
    for text in texts:
        assert _fix_text(text) == ftfy.fix_text(text, _FTFY), text[:80]
        skipped += not _ftfy_has_work(text)
    assert 0 < skipped < len(texts)  # both paths were taken
