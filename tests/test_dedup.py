"""Near-duplicate detection: fingerprints over bodies, syndicated copies link, same-topic stories don't."""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import itertools
import json
import random
from pathlib import Path

import pytest
from sqlalchemy import event, select

from crawler.dedup import (
    features,
    hamming,
    is_near_duplicate,
    link_duplicates,
    overlap,
    simhash,
)
from storage.articles import upsert_articles
from storage.db import make_session_factory, session_scope
from storage.models import Article
from storage.records import ArticleRecord

SHARED = Path(__file__).parents[1] / "../shared"
SEEDS = SHARED / "seeds"
PROXIES = SHARED / "realdata" / "regional_proxies"
needs_shared = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"shared seeds not found at {SEEDS}")


# ---------------------------------------------------------------- fixtures built from real texts


def seed_page(number: int) -> str:
    return next(SEEDS.glob(f"{number:03d}_*.txt")).read_text(encoding="utf-8")


def seed_body(number: int) -> str:
    """The article part of an osce.org capture: from the dateline line to the end (no menu)."""
    lines = seed_page(number).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("DUSHANBE,"))
    return "\n\n".join(lines[start:])


def gold_bodies() -> dict[str, str]:
    """Gold article bodies of the regional proxy pages (RFE/RL's CMS, VOA, Sputnik, Kommersant ...)."""
    bodies = {}
    for path in sorted(PROXIES.glob("*.gold.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if "articleBody" in data:
            text = data["articleBody"]
        else:
            body = data["body"] if isinstance(data["body"], dict) else ast.literal_eval(data["body"])
            parts = list(body.get("summary", []))
            for section in body.get("sections", []):
                parts += section.get("headline", []) + section.get("paragraphs", [])
            text = "\n\n".join(parts)
        bodies[path.name.removesuffix(".gold.json")] = text
    return bodies


def originals() -> dict[str, str]:
    texts = {"osce-2010": seed_body(1), "osce-2012": seed_body(3)}
    texts.update({f"seed-{n}": seed_page(n) for n in (0, 2, 4)})
    texts.update(gold_bodies())
    return texts


def syndicated(body: str) -> str:
    """A light-edit copy: new first sentence, agency byline, other paragraph breaks, trailing link."""
    sentences = " ".join(body.split()).split(". ")
    sentences[0] = "Officials confirmed on Monday that the talks had been productive"
    text = ". ".join(sentences)
    words = text.split()
    paragraphs = [" ".join(words[i : i + 45]) for i in range(0, len(words), 45)]  # re-broken paragraphs
    return "DUSHANBE (Asia-Plus) - By our correspondent\n" + "\n\n".join(paragraphs) + "\n\nRead more"


# ---------------------------------------------------------------- the fingerprint


def test_simhash_is_a_stable_signed_64_bit_integer() -> None:
    text = "The OSCE Programme Office in Dushanbe supports border management training for officers."
    value = simhash(text)
    assert -(2**63) <= value < 2**63
    assert value == simhash(text)
    # Stable across processes and machines (blake2b word hashes, not Python's salted hash()):
    assert value == simhash(
        "the osce programme office in DUSHANBE supports border-management training for officers"
    )
    assert simhash("") == 0
    assert simhash("   \n ") == 0


def test_fingerprints_are_pinned_because_the_archive_stores_them() -> None:
    """Changing normalisation, shingling or hashing silently would make stored fingerprints useless."""
    assert simhash(
        "The OSCE Programme Office in Dushanbe supports border management training for officers."
    ) == (51792909646595330)
    assert simhash("Президент Таджикистана Эмомали Рахмон провёл встречу с делегацией ОБСЕ в Душанбе.") == (
        -5408373138317372645
    )


def test_some_fingerprints_are_negative_so_they_fit_bigint() -> None:
    values = [
        simhash(f"article number {i} about a different matter entirely, word {i * 7}") for i in range(40)
    ]
    assert any(v < 0 for v in values) and any(v > 0 for v in values)


def test_hamming_counts_differing_bits_for_signed_values() -> None:
    assert hamming(0, 0) == 0
    assert hamming(0, 0b1011) == 3
    assert hamming(-1, 0) == 64
    assert hamming(-1, 2**63 - 1) == 1


def test_layout_and_case_do_not_change_the_fingerprint() -> None:
    text = "First paragraph about the border.\n\nSecond paragraph, about training officers at the college."
    assert simhash(text) == simhash(text.replace("\n\n", " ").upper())


def test_short_bodies_are_never_duplicates() -> None:
    assert not is_near_duplicate("Dushanbe, 5 May.", "Dushanbe, 5 May.")
    assert not is_near_duplicate("", "")


# ---------------------------------------------------------------- real texts


@needs_shared
def test_two_osce_press_releases_sharing_the_menu_are_not_duplicates() -> None:
    body_2010, body_2012 = seed_body(1), seed_body(3)
    assert not is_near_duplicate(body_2010, body_2012)
    assert overlap(features(body_2010), features(body_2012))[0] < 0.1


@needs_shared
def test_full_pages_would_look_alike_because_of_the_shared_menu() -> None:
    """Why fingerprints are over the body: on full pages the menu dominates what the pages share."""
    page_2010, page_2012 = seed_page(1), seed_page(3)
    body_2010, body_2012 = seed_body(1), seed_body(3)
    page_containment, page_resemblance = overlap(features(page_2010), features(page_2012))
    assert page_containment > 0.5  # over half of one page's text is in the other ...
    assert (
        page_resemblance > 10 * overlap(features(body_2010), features(body_2012))[1]
    )  # ... bodies share ~nothing
    assert hamming(simhash(page_2010), simhash(page_2012)) < hamming(simhash(body_2010), simhash(body_2012))
    # A short release (one paragraph, like most press statements) inside the same menu: the full pages
    # are judged near-duplicates, the bodies are not.
    menu_2010, lead_2010 = page_2010.split("DUSHANBE,")[0], body_2010.split("\n")[0]
    menu_2012, lead_2012 = page_2012.split("DUSHANBE,")[0], body_2012.split("\n")[0]
    assert is_near_duplicate(menu_2010 + lead_2010, menu_2012 + lead_2012)
    assert not is_near_duplicate(lead_2010, lead_2012)


BOILERPLATE = (
    "The OSCE Programme Office in Dushanbe supports the host country in addressing security challenges in all "
    "three dimensions: politico-military, economic and environmental, and human. The Office works with "
    "government agencies, civil society and international partners, and its activities are funded by the OSCE "
    "Unified Budget and by extra-budgetary contributions from participating States."
)
TRAINING = (
    "DUSHANBE, 12 June 2023 - Twenty-four officers of the Border Troops of Tajikistan completed a two-week "
    "course on risk analysis at border crossing points, organized by the OSCE Programme Office in Dushanbe in "
    "Khorog. Instructors from the Border Management Staff College led exercises at the Tem crossing point."
)
DONATION = (
    "DUSHANBE, 3 October 2023 - The OSCE Programme Office in Dushanbe handed over thermal imaging cameras and "
    "all-terrain vehicles to the Border Troops of Tajikistan for outposts in Khatlon, to help border guards "
    "patrol mountainous sections of the Tajik-Afghan border in winter."
)


def test_border_management_releases_sharing_a_closing_paragraph_are_not_duplicates() -> None:
    training, donation = TRAINING + "\n\n" + BOILERPLATE, DONATION + "\n\n" + BOILERPLATE
    containment, _ = overlap(features(training), features(donation))
    assert containment > 0.4  # the stock paragraph is a big share of such short releases
    assert not is_near_duplicate(training, donation)
    reposted = (
        "By Asia-Plus staff\n" + training.replace(". ", ".\n\n") + "\n\nRead more on our Telegram channel"
    )
    assert is_near_duplicate(training, reposted)


@needs_shared
def test_syndicated_copies_with_light_edits_are_near_duplicates() -> None:
    for name, body in originals().items():
        assert is_near_duplicate(body, syndicated(body)), name
        assert is_near_duplicate(syndicated(body), body), name


@needs_shared
def test_different_stories_are_not_near_duplicates() -> None:
    texts = originals()
    for (a_name, a), (b_name, b) in itertools.combinations(texts.items(), 2):
        assert not is_near_duplicate(a, b), (a_name, b_name)
        assert not is_near_duplicate(syndicated(a), b), (a_name, b_name)


@needs_shared
def test_same_topic_press_releases_about_border_management_are_not_duplicates() -> None:
    # Both: OSCE top official meets President Rahmon in Dushanbe, praises border-management co-operation.
    body_2010, body_2012 = seed_body(1), seed_body(3)
    assert "border" in body_2010.lower() and "border" in body_2012.lower()
    assert not is_near_duplicate(syndicated(body_2010), syndicated(body_2012))


# ---------------------------------------------------------------- linking in the archive

_SYLLABLES = [
    "ta",
    "ji",
    "ku",
    "lo",
    "ba",
    "dor",
    "sen",
    "mi",
    "ra",
    "vo",
    "nu",
    "shan",
    "kho",
    "rog",
    "pe",
    "li",
]


def synthetic_story(rng: random.Random, words: int = 160) -> str:
    vocabulary = ["".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 3))) for _ in range(words)]
    sentences = [" ".join(vocabulary[i : i + 12]).capitalize() + "." for i in range(0, words, 12)]
    return "\n\n".join(" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3))


def light_edit(body: str) -> str:
    sentences = body.split(". ")
    sentences[0] = "Reporters learned this on Tuesday afternoon in the capital"
    return "AGENCY - " + ". ".join(sentences).replace("\n\n", "\n") + "\n\nRead more"


def record(url: str, body: str, source: str, published: dt.datetime | None) -> ArticleRecord:
    return ArticleRecord(
        canonical_url=url,
        url=url,
        source=source,
        title=url.rsplit("/", 1)[-1],
        body=body,
        content_hash=hashlib.sha256(body.encode()).hexdigest(),
        published_at=published,
        simhash=simhash(body),
    )


def store(factory, records: list[ArticleRecord]) -> list[int]:  # type: ignore[no-untyped-def]
    with session_scope(factory) as session:
        return upsert_articles(session, records).new


def links_in_db(factory) -> dict[int, int]:  # type: ignore[no-untyped-def]
    with factory() as session:
        rows = session.execute(
            select(Article.id, Article.duplicate_of).where(Article.duplicate_of.is_not(None))
        )
        return {i: d for i, d in rows}


DAY = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)


def test_link_duplicates_marks_the_newer_copy(session_factory) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(1)
    story, other = synthetic_story(rng), synthetic_story(rng)
    [original] = store(session_factory, [record("https://osce.example/a", story, "osce", DAY)])
    [unrelated] = store(session_factory, [record("https://news.example/x", other, "asiaplus", DAY)])
    [copy] = store(
        session_factory,
        [record("https://news.example/a", light_edit(story), "asiaplus", DAY + dt.timedelta(days=1))],
    )
    with session_scope(session_factory) as session:
        assert link_duplicates(session, [copy]) == {copy: original}
    assert links_in_db(session_factory) == {copy: original}
    assert unrelated not in links_in_db(session_factory)
    with session_scope(session_factory) as session:  # running again changes nothing
        assert link_duplicates(session, [copy]) == {}
    assert links_in_db(session_factory) == {copy: original}


def test_chains_collapse_to_the_first_original(session_factory) -> None:  # type: ignore[no-untyped-def]
    story = synthetic_story(random.Random(2))
    [first] = store(session_factory, [record("https://osce.example/b", story, "osce", DAY)])
    [second] = store(
        session_factory, [record("https://a.example/b", light_edit(story), "a", DAY + dt.timedelta(hours=5))]
    )
    with session_scope(session_factory) as session:
        link_duplicates(session, [second])
    third_body = light_edit(story).replace("Read more", "Subscribe to our channel")
    [third] = store(
        session_factory, [record("https://b.example/b", third_body, "b", DAY + dt.timedelta(days=2))]
    )
    with session_scope(session_factory) as session:
        assert link_duplicates(session, [third]) == {third: first}
    assert links_in_db(session_factory) == {second: first, third: first}


def test_a_late_found_original_takes_over_its_copies(session_factory) -> None:  # type: ignore[no-untyped-def]
    story = synthetic_story(random.Random(3))
    later = DAY + dt.timedelta(days=1)
    copies = store(
        session_factory,
        [
            record("https://a.example/c", light_edit(story), "a", later),
            record(
                "https://b.example/c", light_edit(story) + " Share this.", "b", later + dt.timedelta(hours=1)
            ),
        ],
    )
    with session_scope(session_factory) as session:
        assert link_duplicates(session, copies) == {copies[1]: copies[0]}
    # A back-fill now stores the OSCE original, published the day before both copies.
    [original] = store(session_factory, [record("https://osce.example/c", story, "osce", DAY)])
    with session_scope(session_factory) as session:
        assert link_duplicates(session, [original]) == {copies[0]: original, copies[1]: original}
    assert links_in_db(session_factory) == {copies[0]: original, copies[1]: original}


def test_copies_in_the_same_batch_link_to_the_oldest(session_factory) -> None:  # type: ignore[no-untyped-def]
    story = synthetic_story(random.Random(4))
    ids = store(
        session_factory,
        [
            record("https://b.example/d", light_edit(story), "b", DAY + dt.timedelta(hours=3)),
            record("https://osce.example/d", story, "osce", DAY),
            record("https://c.example/d", story + "\n\nRead more", "c", None),  # no date: first seen now
        ],
    )
    copy_b, original, copy_c = ids
    with session_scope(session_factory) as session:
        assert link_duplicates(session, ids) == {copy_b: original}  # copy_c: first seen today, outside window
    with session_scope(session_factory) as session:
        assert link_duplicates(session, ids, window_days=100_000) == {copy_c: original}


def test_articles_outside_the_date_window_and_without_fingerprints_are_left_alone(session_factory) -> None:  # type: ignore[no-untyped-def]
    story = synthetic_story(random.Random(5))
    [old] = store(session_factory, [record("https://osce.example/e", story, "osce", DAY)])
    [late] = store(
        session_factory, [record("https://a.example/e", light_edit(story), "a", DAY + dt.timedelta(days=60))]
    )
    unhashed = record("https://a.example/f", story, "a", DAY)
    unhashed.simhash = None
    [no_hash] = store(session_factory, [unhashed])
    with session_scope(session_factory) as session:
        assert link_duplicates(session, [late, no_hash]) == {}
        assert link_duplicates(session, []) == {}
        assert link_duplicates(session, [999_999]) == {}
    assert links_in_db(session_factory) == {}
    assert old


@pytest.mark.slow
def test_a_batch_of_200_against_5000_stored_articles(db_url: str) -> None:
    from storage.db import make_engine

    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    rng = random.Random(42)
    stories = [synthetic_story(rng) for _ in range(5000)]
    stored = [
        record(f"https://archive.example/{i}", body, f"src{i % 7}", DAY + dt.timedelta(hours=3 * i))
        for i, body in enumerate(stories)
    ]
    stored_ids = []
    for start in range(0, len(stored), 1000):
        stored_ids += store(factory, stored[start : start + 1000])
    # 200 new articles: 100 copies of stored stories (published a day later), 100 new stories.
    copied = rng.sample(range(5000), 100)
    new_records = [
        record(
            f"https://copy.example/{i}",
            light_edit(stories[i]),
            "copier",
            stored[i].published_at + dt.timedelta(days=1),
        )  # type: ignore[operator]
        for i in copied
    ]
    new_records += [
        record(f"https://fresh.example/{k}", synthetic_story(rng), "fresh", DAY + dt.timedelta(hours=30 * k))
        for k in range(100)
    ]
    new_ids = store(factory, new_records)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with session_scope(factory) as session:
        links = link_duplicates(session, new_ids)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 5  # batch queries, not one (or a table scan) per article
    assert len(statements) - len(selects) <= 2  # one executemany UPDATE for all links (and BEGIN)
    expected = {new_ids[k]: stored_ids[i] for k, i in enumerate(copied)}
    assert links == expected
    assert links_in_db(factory) == expected
    engine.dispose()


def test_a_back_fill_batch_spanning_years_links_each_copy(session_factory) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(6)
    stories = [synthetic_story(rng) for _ in range(3)]
    years = [DAY - dt.timedelta(days=3 * 365), DAY - dt.timedelta(days=400), DAY]
    originals_ = store(
        session_factory,
        [
            record(f"https://osce.example/y{i}", s, "osce", y)
            for i, (s, y) in enumerate(zip(stories, years, strict=True))
        ],
    )
    copies = store(
        session_factory,
        [
            record(f"https://a.example/y{i}", light_edit(s), "a", y + dt.timedelta(days=2))
            for i, (s, y) in enumerate(zip(stories, years, strict=True))
        ],
    )
    with session_scope(session_factory) as session:
        assert link_duplicates(session, copies) == dict(zip(copies, originals_, strict=True))
