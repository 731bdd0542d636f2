"""Body shape, content hash, canonical URLs and language detection."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crawler.normalize import canonical_url, content_hash, detect_language, normalize_body
from crawler.normalize.text import first_sentences, normalize_inline

SEEDS = Path(__file__).parents[1] / "../shared/seeds"


# ------------------------------------------------------------------------------------- body and hash


def test_paragraphs_separated_by_exactly_one_blank_line() -> None:
    raw = "  First  paragraph.\r\nSecond\tline.\n\n\n\n  Third\u00a0one.  \n \n"
    assert normalize_body(raw) == "First paragraph.\n\nSecond line.\n\nThird one."


def test_normalize_body_keeps_every_word_and_is_idempotent() -> None:
    raw = "Tajikistan adn OSCE Discuss Cooperation\nThe talks,held against the backdrop — «ёлочки»."
    once = normalize_body(raw)
    assert once.split() == raw.split()
    assert normalize_body(once) == once


def test_normalize_body_composes_unicode() -> None:
    assert normalize_body("Cafe\u0301 and e\u0308") == "Café and ë"
    assert normalize_body("") == ""


def test_same_text_with_other_line_breaks_hashes_the_same() -> None:
    a = "One paragraph.\nAnother paragraph."
    b = "One   paragraph.\n\n\nAnother paragraph.\n"
    assert content_hash(a) == content_hash(b)
    assert content_hash(a) != content_hash("One paragraph.\n\nAnother paragraph!")
    assert re.fullmatch(r"[0-9a-f]{64}", content_hash(a))  # SHA-256 as lowercase hex


def test_inline_text_is_one_line() -> None:
    assert normalize_inline("  Khujand\n Declaration \t 2024 ") == "Khujand Declaration 2024"
    assert normalize_inline(None) == ""


def test_first_sentences_make_a_summary() -> None:
    body = (
        "Mr. Smith arrived in Dushanbe on 5 May. He met the U.S. envoy there. "
        "“It was useful,” he said. A fourth sentence follows. And a fifth."
    )
    summary = first_sentences(body)
    assert summary.startswith("Mr. Smith arrived in Dushanbe on 5 May. He met the U.S. envoy there.")
    assert "fifth" not in summary
    assert first_sentences("Одно. Два! Три? Четыре.") == "Одно. Два! Три?"
    assert first_sentences("no full stop at all") == "no full stop at all"
    assert len(first_sentences("word " * 500)) <= 401


# ------------------------------------------------------------------------------------- URLs


@pytest.mark.parametrize(
    "url,expected",
    [
        ("HTTP://WWW.OSCE.ORG:80/Press/Release?b=2&a=1#top", "http://www.osce.org/Press/Release?a=1&b=2"),
        ("https://osce.org:443/x?utm_source=fb&utm_medium=social&id=7", "https://osce.org/x?id=7"),
        ("https://osce.org/x?fbclid=abc&gclid=def", "https://osce.org/x"),
        ("https://osce.org:8443/x", "https://osce.org:8443/x"),
        ("https://osce.org", "https://osce.org/"),
        (
            "https://asiaplus.tj/ru/news/Таджикистан",
            "https://asiaplus.tj/ru/news/%D0%A2%D0%B0%D0%B4%D0%B6%D0%B8%D0%BA%D0%B8%D1%81%D1%82%D0%B0%D0%BD",
        ),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_canonical_url_is_idempotent_and_keeps_path_case() -> None:
    url = canonical_url("https://Example.com/Path/To/Article?z=1&a=2&utm_campaign=x")
    assert canonical_url(url) == url
    assert "/Path/To/Article" in url


# ------------------------------------------------------------------------------------- language

TAJIK = "Дар шаҳри Душанбе ҷаласаи навбатии Созмони амният ва ҳамкорӣ дар Аврупо баргузор гардид."
RUSSIAN = "В Душанбе прошло очередное заседание Организации по безопасности и сотрудничеству в Европе."


def test_tajik_is_not_russian() -> None:
    assert detect_language(TAJIK) == "tg"
    assert detect_language(TAJIK, declared="ru") == "tg"
    assert detect_language(RUSSIAN) == "ru"
    assert detect_language(RUSSIAN * 5, declared="tg") == "ru"


def test_english_and_declared_hints() -> None:
    assert detect_language("The OSCE Programme Office in Dushanbe held a seminar for journalists.") == "en"
    assert detect_language("OK", declared="en-GB") == "en"
    assert detect_language("", declared="ru_RU") == "ru"
    assert detect_language("12345 !!!") is None
    assert detect_language("Short", declared="tg") == "tg"


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed documents not found at {SEEDS}")
def test_seeds_are_english() -> None:
    for path in sorted(SEEDS.glob("00*.txt")):
        assert detect_language(path.read_text(encoding="utf-8")) == "en", path.name
