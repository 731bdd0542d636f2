"""Word stems: Snowball English/Russian and the light Tajik stemmer, chosen by script and language."""

from __future__ import annotations

import pytest

from storage.stem_tajik import stem_tajik
from storage.stemming import stem_text, stem_variants


@pytest.mark.parametrize(
    ("forms", "stem"),
    [
        # plural -ҳо, izofat -и, both, object marker -ро, plural + object
        (["сарҳад", "сарҳадҳо", "сарҳади", "сарҳадҳои", "сарҳадро", "сарҳадҳоро"], "сарҳад"),
        # plural of people -он, with izofat and object marker
        (["муҳоҷир", "муҳоҷирон", "муҳоҷирони", "муҳоҷиронро"], "муҳоҷир"),
        (["бача", "бачагон"], "бача"),  # -гон after -а
        (["донишҷӯ", "донишҷӯён"], "донишҷӯ"),  # -ён after a vowel
        (["хона", "хонаи", "хонаҳо", "хонаро"], "хона"),
        (["ҷумҳурӣ", "ҷумҳурии"], "ҷумҳурӣ"),  # -ӣ + izofat is written -ии
        (["кишвар", "кишварашон"], "кишвар"),  # plural possessive enclitic
    ],
)
def test_tajik_noun_forms_share_one_stem(forms: list[str], stem: str) -> None:
    assert {stem_tajik(form) for form in forms} == {stem}


@pytest.mark.parametrize(
    "word",
    ["душанбе", "тоҷикистон", "афғонистон", "ҳукумат", "вазорат", "ки", "ба", "аз", "он"],
)
def test_tajik_names_and_short_words_keep_their_letters(word: str) -> None:
    assert stem_tajik(word) == word


def test_arabic_nouns_in_at_keep_it_with_and_without_izofat() -> None:
    assert stem_tajik("ҳукумат") == stem_tajik("ҳукумати") == stem_tajik("ҳукуматҳо") == "ҳукумат"


def test_latin_words_use_english_snowball_in_any_article() -> None:
    assert (
        stem_text("Officers of the OSCE", "ru")
        == stem_text("officer of the OSCE", "en")
        == "offic of the osc"
    )
    assert stem_variants("officers") == stem_variants("officer") == ("offic",)


def test_cyrillic_follows_the_article_language_and_tajik_letters() -> None:
    assert stem_text("границами мигрантов", "ru") == "границ мигрант"
    assert stem_text("сарҳадҳои муҳоҷирон", "tg") == "сарҳад муҳоҷир"
    assert stem_text("сарҳадҳои", "ru") == "сарҳад"  # a letter only Tajik has picks the Tajik stemmer
    assert stem_text("Душанбе", "tg") == "душанбе"


def test_a_query_word_gets_every_stem_it_may_have_in_the_archive() -> None:
    assert stem_variants("границе") == ("границ", "границе")  # Russian, or a Tajik word in Cyrillic
    assert stem_variants("сарҳадҳо") == ("сарҳад",)  # only Tajik writes ҳ
    assert stem_variants("2024") == ("2024",)


def test_stem_text_keeps_word_order_and_folds_case_and_latin_accents() -> None:
    assert stem_text("Café in DUŠANBE, 2024!", "en") == "cafe in dusanb 2024"
    assert stem_text("", "en") == stem_text(None, "ru") == ""


def test_snippet_of_a_long_body_finds_a_late_match_and_marks_every_form() -> None:
    from storage.query import parse_query
    from storage.snippets import Highlighter

    query = parse_query("граница")
    assert query is not None
    marker = Highlighter.for_query(query)
    long_body = "слово " * 2000 + "На границе и за границами. " + "конец " * 100
    snippet = marker.snippet(long_body, "ru", 8, "[", "]")
    assert "[границе]" in snippet and "[границами]" in snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    short = marker.snippet("Граница.", "ru", 8, "[", "]")
    assert short == "[Граница]."
