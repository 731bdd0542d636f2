"""The query language: parsing is lenient, refusals are readable, and compiled output is always safe."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.query import (
    MAX_QUERY_CHARS,
    MAX_TERMS,
    AnyOf,
    Query,
    QueryError,
    Term,
    fold,
    parse_query,
    to_fts5,
    to_tsquery,
    tokenize,
)


def test_words_must_all_match_and_are_lower_cased() -> None:
    assert parse_query("OSCE Dushanbe") == Query((Term(("osce",)), Term(("dushanbe",))))


def test_phrases_or_exclusions_and_prefixes() -> None:
    query = parse_query('"border management" training OR seminar -"press release" -cancelled migra*')
    assert query == Query(
        required=(
            Term(("border", "management")),
            AnyOf((Term(("training",)), Term(("seminar",)))),
            Term(("migra",), prefix=True),
        ),
        excluded=(Term(("press", "release")), Term(("cancelled",))),
    )


def test_or_chains_and_binds_tighter_than_and() -> None:
    query = parse_query("water OR energy OR вода Rogun")
    assert query is not None
    assert query.required == (
        AnyOf((Term(("water",)), Term(("energy",)), Term(("вода",)))),
        Term(("rogun",)),
    )


def test_lowercase_or_is_an_ordinary_word() -> None:
    assert parse_query("war or peace") == Query((Term(("war",)), Term(("or",)), Term(("peace",))))


def test_cyrillic_and_tajik_letters_fold_case_and_stay_distinct() -> None:
    assert tokenize("ҲУКУМАТИ Тоҷикистон ӢӮ Ғ") == ["ҳукумати", "тоҷикистон", "ӣӯ", "ғ"]
    assert fold("ҷ ӣ ё й") == "ҷ ӣ ё й"  # letters of their own, not accented variants


def test_latin_diacritics_fold_like_fts5() -> None:
    assert parse_query("Dušanbe Café") == Query((Term(("dusanbe",)), Term(("cafe",))))


def test_hyphenated_and_dotted_words_become_phrases() -> None:
    assert parse_query("OSCE-led osce.org") == Query((Term(("osce", "led")), Term(("osce", "org"))))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"unbalanced quote', Query((Term(("unbalanced", "quote")),))),
        ("NEAR(", Query((Term(("near",)),))),
        ("col:", Query((Term(("col",)),))),
        ("title:water", Query((Term(("title", "water")),))),
        ("'; DROP TABLE article; --", Query((Term(("drop",)), Term(("table",)), Term(("article",))))),
        ("OR OR water OR", Query((Term(("water",)),))),
        ("a* b*", Query((Term(("a",)), Term(("b",))))),  # one-letter prefixes search the word itself
        ("x\x00y", Query((Term(("x",)), Term(("y",))))),
        ("AND NOT", Query((Term(("and",)), Term(("not",))))),
    ],
)
def test_hostile_or_odd_input_is_read_leniently(text: str, expected: Query) -> None:
    assert parse_query(text) == expected


@pytest.mark.parametrize("text", [None, "", "   ", "\n\t"])
def test_blank_means_browse(text: str | None) -> None:
    assert parse_query(text) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("*", "no words"),
        ("- -", "no words"),
        ("!!! ??? ...", "no words"),
        ("OR OR", "no words"),
        ("-water -energy", "only excludes"),
        ("x" * (MAX_QUERY_CHARS + 1), "too long"),
        ("w " * (MAX_TERMS + 1), "too many terms"),
        ("a" * 150, "too long"),
    ],
)
def test_unrunnable_queries_get_a_sentence(text: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        parse_query(text)


def test_ten_kilobytes_of_text_is_refused_cleanly() -> None:
    with pytest.raises(QueryError, match="too long"):
        parse_query("border management " * 600)


STEMS, WRITTEN = "{title_stems body_stems}", "{title body}"


def test_fts5_compilation_quotes_every_term_and_picks_stem_or_written_columns() -> None:
    query = parse_query('near OR "human rights" -NOT migra* =officers')
    assert query is not None
    assert to_fts5(query) == (
        f'((({STEMS} : "near" OR {STEMS} : "human right") AND {WRITTEN} : "migra"* '
        f'AND {WRITTEN} : "officers") NOT {STEMS} : "not")'
    )


def test_tsquery_compilation_uses_quoted_lexemes_with_weights() -> None:
    query = parse_query('"human rights" OR migra* -corruption')
    assert query is not None
    assert to_tsquery(query) == "(('human':AB <-> 'right':AB) | 'migra':*CD) & !'corrupt':AB"


def test_a_cyrillic_word_without_tajik_letters_asks_for_russian_and_tajik_stems() -> None:
    query = parse_query("границами ҳукумати")
    assert query is not None
    assert to_tsquery(query) == "('границ':AB | 'границам':AB) & 'ҳукумат':AB"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=officers", Query((Term(("officers",), exact=True),))),
        ('="human rights"', Query((Term(("human", "rights"), exact=True),))),
        ("water -=dams", Query((Term(("water",)),), (Term(("dams",), exact=True),))),
        ("= water", Query((Term(("water",)),))),  # a lone '=' means nothing
    ],
)
def test_equals_sign_asks_for_the_exact_form(text: str, expected: Query) -> None:
    assert parse_query(text) == expected


@pytest.fixture(scope="module")
def fts() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute(
        "CREATE VIRTUAL TABLE t USING fts5(title, body, title_stems, body_stems, "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    conn.execute("INSERT INTO t VALUES ('OSCE border', 'Душанбе ҳукумати near col title', 'osc border', '')")
    return conn


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.text(
        alphabet=st.one_of(
            st.characters(codec="utf-8"),
            st.sampled_from(list("\"*-=()^:+ORNEAANDOT \x00'\\;ҳқӣӯҷғ")),
        ),
        max_size=80,
    )
)
def test_any_text_parses_or_refuses_and_fts5_accepts_the_result(fts: sqlite3.Connection, text: str) -> None:
    try:
        query = parse_query(text)
    except QueryError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    if query is None:
        return
    fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (to_fts5(query),)).fetchall()  # never a syntax error
    compiled = to_tsquery(query)
    assert "\x00" not in compiled
