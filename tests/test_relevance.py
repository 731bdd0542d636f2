"""Relevance rules: which articles are about Tajikistan, in English, Russian and Tajik."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.relevance import RelevanceConfigError, RelevanceRules
from crawler.rules import RuleSyntaxError, term_regex

SEEDS = Path(__file__).parents[1] / "../shared/seeds"
RULES = RelevanceRules.default()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # English, with possessives, hyphenated compounds and an all-caps dateline
        ("Tajikistan's president met the OSCE Secretary General.", ["Tajikistan"]),
        ("DUSHANBE, 19 May 2010 - The OSCE Chairperson-in-Office", ["Dushanbe"]),
        ("The Dushanbe-based agency Asia-Plus reported", ["Dushanbe", "Asia-Plus"]),
        ("Tajik migrants and Tajikistani officials", ["Tajik", "Tajikistan"]),
        ("A court in Khujand and another in Kulyab", ["Khujand", "Kulob"]),
        ("President Emomali Rahmon signed the law; Rustam Emomali chairs the Majlisi Milli.",
         ["Emomali Rahmon", "Rustam Emomali", "Majlisi Oli"]),
        # an English article that writes the capital in Cyrillic
        ("Protesters gathered outside the embassy (Душанбе), local media said.", ["Dushanbe"]),
        # Russian: case endings and adjectives
        ("Президент Таджикистана Эмомали Рахмон провёл встречу", ["Tajikistan", "Emomali Rahmon"]),
        ("В Таджикистане и в Душанбе прошли учения", ["Tajikistan", "Dushanbe"]),
        ("таджикистанские пограничники задержали", ["Tajikistan"]),
        ("Мигранты из Хорога, Куляба и Худжанда в ГБАО", ["Khorog", "Kulob", "Khujand", "GBAO"]),
        ("Рахмону вручили награду; встреча с Рахмоном", ["Emomali Rahmon"]),
        ("Депутаты Маджлиси Оли одобрили закон", ["Majlisi Oli"]),
        # Tajik
        ("Ҷумҳурии Тоҷикистон ва шаҳри Хуҷанд", ["Tajikistan", "Khujand"]),
        ("Маҷлиси Олӣ дар вилояти Суғд", ["Majlisi Oli", "Sughd"]),
        ("тоҷикон дар Хатлон", ["Tajik", "Khatlon"]),
    ],
)  # fmt: skip
def test_mentions_in_three_languages(text: str, expected: list[str]) -> None:
    assert RULES.match(text) == expected


def test_the_country_is_one_mention_not_also_the_demonym() -> None:
    assert RULES.match("Tajikistan") == ["Tajikistan"]
    assert RULES.match("Таджикистана") == ["Tajikistan"]
    assert RULES.match("Тоҷикистонро") == ["Tajikistan"]


def test_dushanbe_without_tajikistan_is_still_relevant() -> None:
    assert RULES.match("Talks in Dushanbe", "The delegation arrived on Monday.") == ["Dushanbe"]


@pytest.mark.parametrize(
    "text",
    [
        "Kyrgyzstan's parliament in Bishkek approved the budget for Osh and Jalal-Abad.",
        "Uzbekistan President Shavkat Mirziyoyev visited Samarkand and Bukhara.",
        "Президент Кыргызстана Садыр Жапаров посетил Бишкек и Нарын.",
        "Президент Узбекистана Шавкат Мирзиёев встретился с хокимом Ташкента.",
        "Kazakhstan's Foreign Minister met his counterpart in Astana.",
        "Uzbek midfielder Rahmonov scored twice.",  # a common surname, not the president
        "Памятник открыли по согласию сторон.",  # not Памир, not Согд
        "Rashtrapati Bhavan hosted the ceremony.",  # not Rasht
        "The Tajikfilmfestival? No: Tajikfilms.",  # a longer word is not a mention
        "",
    ],
)
def test_irrelevant_news_does_not_match(text: str) -> None:
    assert RULES.match(text) == []
    assert not RULES.is_relevant(text)


def test_ambiguous_places_need_an_unambiguous_companion() -> None:
    assert RULES.match("Floods in Rasht, Iran, left hundreds homeless.") == []
    assert RULES.match("Pamir mountains in Afghanistan's Badakhshan province") == []
    assert RULES.match("Roads in the Rasht valley of Tajikistan") == ["Rasht", "Tajikistan"]


def test_excluded_phrases_do_not_count() -> None:
    assert RULES.match("The Boulder Dushanbe Teahouse reopened in Colorado.") == []
    assert RULES.match("Dushanbe Tea House menu", "Also news from Dushanbe.") == ["Dushanbe"]
    assert RULES.match("A Pamir Airways plane landed in Kabul.") == []


def test_labels_come_in_order_of_first_mention_across_texts() -> None:
    assert RULES.match("OSCE in Khujand", None, "Later the team went to Dushanbe and Khujand.") == [
        "Khujand",
        "Dushanbe",
    ]


def test_always_keeps_articles_without_mentions() -> None:
    rules = RelevanceRules.from_mapping({"always": True})
    assert rules.always
    assert rules.match("OSCE workshop on media freedom") == []
    assert rules.is_relevant("OSCE workshop on media freedom")


def test_source_config_adds_terms_and_exclusions() -> None:
    rules = RelevanceRules.from_mapping(
        {"extra_terms": ["Sarez*", "Zarafshon"], "exclude": ["Dushanbe Street"]}
    )
    assert rules.match("Lake Sarez is unstable") == ["Sarez"]
    assert rules.match("A cafe on Dushanbe Street in Bishkek") == []
    labelled = RelevanceRules.from_mapping({"extra_terms": {"Lake Sarez": ["Sarez", "Сарез*"]}})
    assert labelled.match("озеро Сарезское") == ["Lake Sarez"]


def test_require_in_title() -> None:
    rules = RelevanceRules.from_mapping({"require_in_title": True})
    assert rules.match("Central Asia weekly digest", "One item mentions Dushanbe.") == []
    assert rules.match("Dushanbe hosts forum", "Talks in Dushanbe.") == ["Dushanbe"]


def test_groups_restrict_the_terms() -> None:
    rules = RelevanceRules.from_mapping({"groups": ["country"]})
    assert rules.match("Talks in Dushanbe") == []
    assert rules.match("Talks in Tajikistan") == ["Tajikistan"]


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"extra_term": ["x"]}, "unknown key 'extra_term'; allowed keys: always, extra_terms"),
        ({"always": "yes"}, "'always' must be true or false"),
        ({"exclude": "   "}, "'exclude' must be a list of non-empty strings"),
        ({"groups": ["cities"]}, "unknown group(s) 'cities'; allowed: country, institutions, leaders"),
        ({"extra_terms": ["Sa*rez"]}, "rule term 'Sa*rez'"),
    ],
)
def test_bad_config_is_a_clear_error(mapping: dict, message: str) -> None:
    with pytest.raises(RelevanceConfigError) as info:
        RelevanceRules.from_mapping(mapping)
    assert message in str(info.value)


def test_empty_config_means_the_packaged_rules() -> None:
    assert RelevanceRules.from_mapping(None) == RULES
    assert RelevanceRules.from_mapping({}) == RULES


def test_term_syntax() -> None:
    assert term_regex("Dushanbe") == "Dushanbe"
    assert term_regex("Таджик*") == r"Таджик\w*"
    assert term_regex("Рахмон(а|у)") == "Рахмон(?:а|у)?"
    with pytest.raises(RuleSyntaxError):
        term_regex("(а|у)")
    with pytest.raises(RuleSyntaxError):
        term_regex("  ")


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"shared seeds not found at {SEEDS}")
def test_every_seed_is_relevant() -> None:
    for path in sorted(SEEDS.glob("00*.txt")):
        text = path.read_text(encoding="utf-8")
        assert RULES.match(text), path.name
    khujand = next(SEEDS.glob("004_*.txt")).read_text(encoding="utf-8")
    assert "Khujand" in RULES.match(khujand)
