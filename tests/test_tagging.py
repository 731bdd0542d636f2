"""Field-of-work tagging: the OSCE's 23 labels, keyword rules in English and Russian, declared fields kept."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crawler.tagging import Tagger, TaggingConfigError

SEEDS = Path(__file__).parents[1] / "../shared/seeds"
needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"shared seeds not found at {SEEDS}")
TAGGER = Tagger.default()


def seed(number: int) -> str:
    return next(SEEDS.glob(f"{number:03d}_*.txt")).read_text(encoding="utf-8")


def osce_release(number: int) -> tuple[str, str, list[str]]:
    """(title, body, declared fields of work) of an osce.org press-release capture."""
    lines = seed(number).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("DUSHANBE,"))
    title = lines[lines.index("Press release") + 1]
    declared: list[str] = []
    if "- Fields of work:" in lines:
        declared = [f.strip() for f in lines[lines.index("- Fields of work:") + 1].lstrip("- ").split(",")]
    return title, "\n\n".join(lines[start:]), declared


@needs_seeds
def test_the_labels_are_the_23_fields_of_work_listed_on_osce_org() -> None:
    menu = seed(1).splitlines()
    start = menu.index("Fields of work") + 1
    listed = [line[2:] for line in menu[start : menu.index("- Field operations")]]
    assert len(listed) == 23
    assert TAGGER.labels == listed


def test_a_russian_article_about_border_guards_gets_border_management() -> None:
    title = "Пограничники Таджикистана задержали нарушителей"
    body = (
        "Сотрудники Пограничных войск ГКНБ Таджикистана задержали на таджикско-афганской границе двух "
        "нарушителей. По данным погранслужбы, задержание произошло у погранзаставы «Ишкашим»."
    )
    assert TAGGER.tags(title, body) == ["Border management"]
    assert TAGGER.tags("Задержание на заставе", body) == ["Border management"]  # body alone suffices


def test_an_english_article_is_tagged_from_body_terms() -> None:
    body = (
        "The OSCE trained 30 journalists from Khatlon on safety. Independent media outlets say press "
        "freedom has narrowed; the Representative on Freedom of the Media raised the case of two reporters."
    )
    assert TAGGER.tags("Training in Bokhtar", body) == ["Media freedom and development"]
    assert TAGGER.explain("Training in Bokhtar", body) == {
        "Media freedom and development": [
            "journalist*",
            "media",
            "press freedom",
            "Representative on Freedom of the Media",
            "reporters",
        ]
    }


def test_a_passing_mention_does_not_tag_but_one_in_the_title_does() -> None:
    body = "The minister also spoke briefly about elections before turning to the harvest and road repairs."
    assert TAGGER.tags("Harvest season begins", body) == []
    assert TAGGER.tags("Elections: what the minister said", body) == ["Elections"]


def test_one_stock_phrase_repeated_does_not_tag() -> None:
    body = (
        "Talks covered the economic and environmental dimension. The economic and environmental work goes on."
    )
    assert "Economic activities" not in TAGGER.tags("OSCE talks", body)


def test_declared_fields_are_kept_and_normalised_to_the_canonical_label() -> None:
    declared = [
        "Reform and cooperation in the security sector",
        "human rights",
        "Combating human trafficking",
        "  Cyber/ICT security ",
        "Something new",
    ]
    assert TAGGER.tags("Weather", "Sunny.", declared) == [
        "Reform and co-operation in the security sector",
        "Human rights",
        "Combating trafficking in human beings",
        "Cyber/ICT Security",
        "Something new",
    ]
    assert TAGGER.canonical("Democratisation") == "Democratization"


@needs_seeds
def test_osce_seeds_keep_their_declared_fields_and_rules_agree_with_them() -> None:
    title, body, declared = osce_release(1)
    assert len(declared) == 11
    tags = TAGGER.tags(title, body, declared)
    assert tags[: len(declared)] == declared
    inferred = TAGGER.explain(title, body)
    assert "Border management" in inferred
    assert set(inferred) <= set(declared)  # the rules find nothing the OSCE itself did not declare


@needs_seeds
def test_seeds_get_sensible_tags() -> None:
    title, body, _ = osce_release(3)  # Secretary General on border guards, police, customs, Afghanistan
    assert TAGGER.tags(title, body) == ["Border management", "Policing"]
    regional = seed(0)  # Tajikistan-OSCE talks: border security, counter-terrorism, sustainable development
    tags = TAGGER.tags(regional.splitlines()[0], regional)
    assert {"Border management", "Countering terrorism"} <= set(tags)
    assert "Roma and Sinti" not in tags and "Elections" not in tags
    khujand = seed(4)  # commentary on regional co-operation: trade, water, energy
    assert {"Economic activities", "Environmental activities"} <= set(TAGGER.tags("", khujand))


def test_config_overrides_terms_and_thresholds() -> None:
    tagger = Tagger.from_mapping(
        {
            "min_hits": 1,
            "min_distinct": 1,
            "tags": {
                "Youth": {"extra_terms": ["students"]},
                "roma and sinti": {"enabled": False},
                "Water": {"terms": ["irrigation", "ирригаци*"], "aliases": ["Water management"]},
            },
        }
    )
    assert tagger.tags("", "Irrigation canals for students.") == ["Education", "Youth", "Water"]
    assert "Roma and Sinti" not in tagger.labels
    assert tagger.canonical("water management") == "Water"
    only = Tagger.from_mapping({"replace_default": True, "tags": {"Water": {"terms": ["irrigation"]}}})
    assert only.labels == ["Water"]


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"min_hit": 2}, "unknown key 'min_hit'; allowed keys: min_hits, title_hits, min_distinct"),
        ({"min_hits": 0}, "min_hits must be a whole number >= 1"),
        ({"tags": {"Youth": {"term": ["x"]}}}, "tagging: tags.Youth: unknown key 'term'"),
        ({"tags": {"Youth": ["x"]}}, "tags.'Youth' must be a table"),
        ({"tags": {"Youth": {"terms": [""]}}}, "tags.Youth.terms must be a list of non-empty strings"),
        ({"tags": {"Youth": {"terms": ["yo*uth"]}}}, "rule term 'yo*uth'"),
    ],
)
def test_bad_config_is_a_clear_error(mapping: dict, message: str) -> None:
    with pytest.raises(TaggingConfigError, match=re.escape(message)):
        Tagger.from_mapping(mapping)


@pytest.mark.parametrize(
    ("title", "body", "not_expected"),
    [
        ("Drug seizure", "Police arrested drug traffickers; the traffickers carried heroin.", "Combating trafficking in human beings"),
        ("Новый выбор", "У покупателей большой выбор, и выбор этот растёт.", "Elections"),
        ("Investors", "The investment climate improved; the climate for business is better.", "Environmental activities"),
        ("Clash", "Military units exchanged fire; the military said two soldiers were hurt.",
         "Reform and co-operation in the security sector"),
    ],
)  # fmt: skip
def test_false_friends_do_not_tag(title: str, body: str, not_expected: str) -> None:
    assert not_expected not in TAGGER.tags(title, body)


def test_tajik_terms_tag_too() -> None:
    body = "Шумораи муҳоҷирони меҳнатӣ афзуд. Муҳоҷират ба Русия идома дорад."
    assert TAGGER.tags("Хабарҳо", body) == ["Migration"]
    assert TAGGER.explain("Хабарҳо", body) == {"Migration": ["муҳоҷир*", "муҳоҷират*"]}
