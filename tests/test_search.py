"""Archive search on both backends: the same query gives the same articles on SQLite and PostgreSQL.

Every test runs twice through the ``db_url`` fixture (a migrated SQLite file and a fresh PostgreSQL
database), so the assertions themselves are the proof that the two backends behave alike.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

import storage.search as search_module
from storage.articles import set_duplicate_of, upsert_articles
from storage.db import session_scope
from storage.records import ArticleRecord
from storage.search import (
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    QueryError,
    SearchFilters,
    iter_matching_articles,
    matching_article_ids,
    render_snippet,
    search_articles,
)


def day(year: int, month: int = 1, d: int = 1) -> dt.datetime:
    return dt.datetime(year, month, d, 12, tzinfo=dt.UTC)


ARTICLES = [
    # key, source, language, published, tags, title, body
    ("border", "osce", "en", day(2021, 3), ["border"],
     "Border management training for Tajik officers",
     "The OSCE Programme Office in Dushanbe trained border officers from Khorog and Kulob."),
    ("water", "osce", "en", day(2022, 5), ["water", "energy"],
     "Water and energy dialogue in Dushanbe",
     "Experts discussed hydropower, the Rogun dam and water management along the Panj river."),
    ("media", "asiaplus", "en", day(2023, 7), ["media"],
     "Journalists discuss media freedom",
     "A seminar on media freedom brought journalists together. Border issues were not discussed."),
    ("ru", "avesta", "ru", day(2024, 2), ["border"],
     "ОБСЕ провела семинар в Душанбе",
     "Семинар по пограничному управлению прошёл в Душанбе. Участники обсудили миграцию и мигрантов."),
    ("tg", "khovar", "tg", day(2024, 9), [],
     "Ҳукумати Ҷумҳурии Тоҷикистон",
     "Ҳукумати Ҷумҳурии Тоҷикистон дар шаҳри Душанбе бо намояндагони САҲА мулоқот кард."),
    ("accent", "timesca", "en", day(2025, 1), ["culture"],
     "A café in Dušanbe",
     "The OSCE-led project opened a café; details at www.osce.org/dushanbe."),
    ("undated", "asiaplus", "en", None, [],
     "Undated note about migration",
     "Labour migration to Russia continues; migrants send remittances home."),
]  # fmt: skip


def record(
    key: str, source: str, lang: str, published: dt.datetime | None, tags: list[str], title: str, body: str
):  # type: ignore[no-untyped-def]
    url = f"https://example.test/{source}/{key}"
    return ArticleRecord(
        canonical_url=url, url=url, source=source, title=title, body=body, content_hash=key,
        published_at=published, language=lang, tags=tags,
    )  # fmt: skip


@pytest.fixture
def archive(session_factory: sessionmaker[Session]) -> dict[str, int]:
    """The articles above, stored through the real upsert; returns key → id."""
    with session_scope(session_factory) as session:
        outcome = upsert_articles(session, [record(*row) for row in ARTICLES])
    return dict(zip([row[0] for row in ARTICLES], outcome.new, strict=True))


@pytest.fixture
def session(session_factory: sessionmaker[Session], archive: dict[str, int]) -> Iterator[Session]:
    with session_factory() as session:
        yield session


def keys(page_or_ids, archive: dict[str, int]) -> set[str]:  # type: ignore[no-untyped-def]
    by_id = {v: k for k, v in archive.items()}
    ids = [hit.id for hit in page_or_ids.hits] if hasattr(page_or_ids, "hits") else page_or_ids
    return {by_id[i] for i in ids}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dushanbe", {"border", "water"}),  # www.osce.org/dushanbe is a URL path word too:
        ("border", {"border", "media"}),
        ("border management", {"border"}),
        ('"border officers"', {"border"}),
        ('"officers border"', set()),
        ("seminar OR семинар", {"media", "ru"}),
        ("border -seminar", {"border"}),
        ('media -"media freedom"', set()),
        ("migra*", {"undated"}),
        ("мигра*", {"ru"}),
        ("Душанбе", {"ru", "tg"}),
        ("ДУШАНБЕ", {"ru", "tg"}),
        ("ҲУКУМАТИ тоҷикистон", {"tg"}),
        ("саҳа", {"tg"}),
        ("dusanbe", {"accent"}),
        ("Dušanbe", {"accent"}),
        ("CAFE", {"accent"}),
        ("osce-led", {"accent"}),
        ("osce.org", {"accent"}),
        ("nothing-like-this", set()),
    ],
)
def test_query_language_matches_the_same_articles(
    session: Session, archive: dict[str, int], text: str, expected: set[str]
) -> None:
    if text == "dushanbe":
        expected = expected | {"accent"}
    assert keys(search_articles(session, text), archive) == expected


HOSTILE = [
    '"unbalanced', "NEAR(", "NEAR(a b)", "col:", "title:border", "*", "'; DROP TABLE article; --",
    "OR OR", "- -", "?!.,;", "border " * 2000, "bor\x00der", "", "\x00", "AND OR NOT", "^border",
    "border\"*", "-", "a*", '""', "(border)", "{title}: x", "\\", "%_%", "$1", "😀 border",
]  # fmt: skip


def test_any_typed_text_gives_results_or_a_clear_message(session: Session) -> None:
    outcomes = {}
    for text in HOSTILE:
        try:
            page = search_articles(session, text)
        except QueryError as exc:
            assert str(exc) and len(str(exc)) < 200 and "\n" not in str(exc)
            outcomes[text[:20]] = "refused"
        else:
            assert page.total >= len(page.hits)
            outcomes[text[:20]] = page.total
        assert search_articles(session, "border").total == 2  # the session and the table are still fine
    assert outcomes["'; DROP TABLE articl"] == 0 and outcomes["title:border"] == 0
    assert outcomes["*"] == "refused" and outcomes["border border border"] == "refused"
    assert outcomes["bor\x00der"] == 0 and outcomes["😀 border"] == 2 and outcomes[""] == 7


def test_title_matches_rank_above_body_matches(session: Session, archive: dict[str, int]) -> None:
    page = search_articles(session, "border")
    assert [hit.id for hit in page.hits] == [archive["border"], archive["media"]]
    assert page.hits[0].score is not None and page.hits[1].score is not None
    assert page.hits[0].score > page.hits[1].score


def test_snippets_mark_the_matches(session: Session) -> None:
    hit = search_articles(session, "hydropower").hits[0]
    assert f"{HIGHLIGHT_START}hydropower{HIGHLIGHT_END}" in hit.snippet
    rendered = render_snippet(hit.snippet, "<mark>", "</mark>", html.escape)
    assert "<mark>hydropower</mark>" in rendered and HIGHLIGHT_START not in rendered


def test_render_snippet_escapes_text_but_not_markup() -> None:
    snippet = f"a <b> & {HIGHLIGHT_START}x{HIGHLIGHT_END} {HIGHLIGHT_END}y {HIGHLIGHT_START}z"
    assert render_snippet(snippet, "<mark>", "</mark>", html.escape) == (
        "a &lt;b&gt; &amp; <mark>x</mark> y <mark>z</mark>"
    )


def test_filters_by_source_language_tag_and_dates(session: Session, archive: dict[str, int]) -> None:
    assert keys(search_articles(session, "dushanbe", SearchFilters(sources=("osce",))), archive) == {
        "border",
        "water",
    }
    assert keys(search_articles(session, "Душанбе", SearchFilters(languages=("tg",))), archive) == {"tg"}
    assert keys(search_articles(session, None, SearchFilters(tags=("border",))), archive) == {"border", "ru"}
    assert keys(search_articles(session, None, SearchFilters(tags=("border", "media"))), archive) == {
        "border",
        "ru",
        "media",
    }
    window = SearchFilters(since=day(2022, 1), until=day(2024, 2))
    assert keys(search_articles(session, None, window), archive) == {"water", "media", "ru"}
    assert keys(search_articles(session, "border", SearchFilters(since=day(2022, 1))), archive) == {"media"}


def test_date_filters_compare_calendar_days(session: Session, archive: dict[str, int]) -> None:
    """Bounds are days (inclusive); a datetime bound counts as the day it names, zone or not."""
    media_day = day(2023, 7).date()
    assert "media" in keys(
        search_articles(session, None, SearchFilters(since=media_day, until=media_day)), archive
    )
    after = media_day + dt.timedelta(days=1)
    assert "media" not in keys(search_articles(session, None, SearchFilters(since=after)), archive)
    assert "media" not in keys(
        search_articles(session, None, SearchFilters(until=media_day - dt.timedelta(days=1))), archive
    )
    naive = dt.datetime(2023, 7, 1, 23, 59)
    assert "media" in keys(search_articles(session, None, SearchFilters(since=naive, until=naive)), archive)


def test_browse_lists_newest_first_with_undated_last(session: Session, archive: dict[str, int]) -> None:
    page = search_articles(session, "  ")
    by_id = {v: k for k, v in archive.items()}
    assert [by_id[h.id] for h in page.hits] == ["accent", "tg", "ru", "media", "water", "border", "undated"]
    assert page.total == 7 and not page.total_is_estimate
    assert all(HIGHLIGHT_START not in h.snippet for h in page.hits)


def test_newest_order_for_a_query(session: Session, archive: dict[str, int]) -> None:
    page = search_articles(session, "border OR seminar OR семинар OR migration", order="newest")
    by_id = {v: k for k, v in archive.items()}
    assert [by_id[h.id] for h in page.hits] == ["ru", "media", "border", "undated"]
    assert all(h.score is None for h in page.hits)


def test_paging_and_limits(session: Session) -> None:
    first = search_articles(session, None, limit=3)
    second = search_articles(session, None, limit=3, offset=3)
    assert len(first.hits) == 3 and len(second.hits) == 3
    assert not {h.id for h in first.hits} & {h.id for h in second.hits}
    assert search_articles(session, None, limit=10_000).limit == search_module.MAX_LIMIT
    assert search_articles(session, "border", offset=50).hits == []
    with pytest.raises(QueryError, match="deep"):
        search_articles(session, None, offset=search_module.MAX_OFFSET + 1)


def test_hits_carry_tags_language_and_duplicate_of(
    session_factory: sessionmaker[Session], archive: dict[str, int]
) -> None:
    with session_scope(session_factory) as session:
        set_duplicate_of(session, archive["media"], archive["border"])
    with session_factory() as session:
        hit = search_articles(session, "journalists").hits[0]
    assert (hit.source, hit.language, hit.tags, hit.duplicate_of) == (
        "asiaplus",
        "en",
        ["media"],
        archive["border"],
    )
    assert hit.url == "https://example.test/asiaplus/media" and hit.published_at == day(2023, 7)


def test_broad_queries_rank_a_recent_window_and_estimate_the_total(
    session: Session, archive: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_module, "WINDOW", 3)
    monkeypatch.setattr(search_module, "RANK_WINDOW", 2)
    page = search_articles(session, "the OR и OR дар OR a", limit=2)  # matches 6 of 7
    assert page.total_is_estimate and page.window_limited and page.notes
    assert page.total > 3
    newest_two = {archive["accent"], archive["undated"]}  # the two highest ids that match
    assert {h.id for h in page.hits} <= newest_two | {archive["tg"]}
    exact = search_articles(session, "border")
    assert not exact.total_is_estimate and exact.total == 2


def test_matching_article_ids_for_alerts(session: Session, archive: dict[str, int]) -> None:
    everything = list(archive.values())
    assert keys(matching_article_ids(session, "Душанбе", SearchFilters(), everything), archive) == {
        "ru",
        "tg",
    }
    only_osce = SearchFilters(sources=("osce",))
    assert keys(matching_article_ids(session, "dushanbe", only_osce, everything), archive) == {
        "border",
        "water",
    }
    assert keys(
        matching_article_ids(session, None, SearchFilters(tags=("border",)), everything), archive
    ) == {
        "border",
        "ru",
    }
    assert matching_article_ids(session, "border", SearchFilters(), [archive["water"]]) == set()
    assert matching_article_ids(session, "border", SearchFilters(), []) == set()
    with pytest.raises(QueryError):
        matching_article_ids(session, "-border", SearchFilters(), everything)


def test_export_iterates_every_match_in_id_order(session: Session, archive: dict[str, int]) -> None:
    rows = list(iter_matching_articles(session, "border OR Душанбе", batch_size=2))
    assert [r["id"] for r in rows] == sorted(archive[k] for k in ("border", "media", "ru", "tg"))
    assert rows[0]["body"].startswith("The OSCE Programme Office") and rows[0]["tags"] == ["border"]
    assert len(list(iter_matching_articles(session, None, SearchFilters(languages=("en",))))) == 5


PIECES = ["a", "b", " ", '"', "*", "-", "(", ")", "^", ":", "OR", "NEAR", "'", "\\", ";", "ҳ", "\x00", "."]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(PIECES), max_size=20).map("".join))
def test_fuzzed_queries_never_reach_the_database_as_syntax(session: Session, text: str) -> None:
    try:
        search_articles(session, text)
    except QueryError:
        pass


def test_very_common_queries_are_listed_newest_first(
    session: Session, archive: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_module, "WINDOW", 3)
    monkeypatch.setattr(search_module, "BM25_MAX_MATCHES", 3)
    page = search_articles(session, "the OR и OR дар OR a", limit=2)
    assert page.total_is_estimate and any("newest first" in note for note in page.notes)
    assert all(hit.score is None for hit in page.hits)
    dates = [hit.published_at for hit in page.hits if hit.published_at]
    assert dates == sorted(dates, reverse=True)


def test_prefix_snippets_mark_the_longer_words(session: Session) -> None:
    hit = search_articles(session, "hydro*").hits[0]
    assert f"{HIGHLIGHT_START}hydropower{HIGHLIGHT_END}" in hit.snippet
    many = search_articles(session, "mi*", limit=10)
    assert many.hits and all(HIGHLIGHT_START in h.snippet or "mi" in h.title.lower() for h in many.hits)
