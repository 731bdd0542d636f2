"""The web layer's pure parts: query-string validation, the SVG chart, paragraphs, the read-only engine."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from starlette.datastructures import QueryParams

from newswatch.web.app import _paragraphs
from newswatch.web.chart import weekly_chart_svg
from newswatch.web.params import BadRequest, parse_search
from storage.readonly import make_readonly_engine


def test_a_full_query_string_round_trips() -> None:
    params = QueryParams("q=border+-Kabul&source=osce&source=tdi&language=en&tag=security&since=2024-01-01"
                         "&until=2024-03-31&order=newest&page=3")  # fmt: skip
    search = parse_search(params, page_size=10)
    assert (
        search.sources == ("osce", "tdi") and search.offset == 20 and search.limit == 10 and search.page == 3
    )
    assert search.since == dt.date(2024, 1, 1) and search.until == dt.date(2024, 3, 31)
    again = parse_search(QueryParams(search.query_items(page=3)), page_size=10)
    assert again == search


def test_blank_values_mean_no_filter() -> None:
    search = parse_search(QueryParams("q=&source=&language=&tag=&since=&until=&order=&page="), page_size=20)
    assert search.is_empty() and search.offset == 0 and search.order == "relevance"


def test_api_mode_uses_limit_and_offset() -> None:
    search = parse_search(QueryParams("limit=100&offset=10000&page=7"), page_size=20, api=True)
    assert (search.limit, search.offset) == (100, 10000)
    with pytest.raises(BadRequest, match="limit must be between 1 and 100"):
        parse_search(QueryParams("limit=1000"), page_size=20, api=True)


def test_chart_escapes_labels_and_draws_every_series() -> None:
    weeks = [dt.date(2024, 3, 4) + dt.timedelta(weeks=i) for i in range(4)]
    hostile = '<script>alert(1)</script>"&'
    svg = weekly_chart_svg(weeks, {"osce": [1, 5, 0, 2], hostile: [0, 0, 7, 1]}, "Per <week>")
    root = ET.fromstring(svg)  # well-formed XML, so nothing leaked out of an attribute or text node
    assert "<script>" not in svg
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f"{ns}g/{ns}polyline")) == 2
    assert root.findtext(f"{ns}title") == "Per <week>"
    assert hostile[:30] in [t.text for t in root.iter(f"{ns}text")]


def test_an_empty_chart_says_so() -> None:
    svg = weekly_chart_svg([dt.date(2024, 3, 4)], {}, "Nothing")
    assert "no articles in these weeks" in svg
    ET.fromstring(svg)


def test_paragraphs_follow_blank_lines_or_newlines() -> None:
    assert _paragraphs("One\nstill one\n\nTwo  words") == ["One still one", "Two words"]
    assert _paragraphs("Line one\nLine two") == ["Line one", "Line two"]
    assert _paragraphs("   ") == []


def test_the_web_engine_cannot_write(db_url: str) -> None:
    engine = make_readonly_engine(db_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM article")).scalar() == 0
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text("DELETE FROM article"))
    finally:
        engine.dispose()


def test_a_missing_sqlite_file_is_named(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FileNotFoundError, match="newswatch db upgrade"):
        make_readonly_engine(f"sqlite:///{tmp_path / 'absent.db'}")
