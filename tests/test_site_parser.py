"""The declarative site parser: layouts chosen by the page's date, options read from data.

The golden outputs of the real site modules are in tests/test_regional_parsers.py and
tests/test_osce_parser.py; here a site is made up on the spot to pin how a redesign is handled: the old
layout keeps reading old pages, the new one reads new pages, nobody edits the old one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

from crawler.parsers import extract_article
from crawler.parsers.site import BodyDateline, Labelled, Layout, SiteParser
from crawler.sources import SourceConfigError, load_registry, load_site_parser

OLD = Layout(
    valid_until=dt.date(2021, 12, 31),
    title_css=("h1.headline::text",),
    date_css=("span.pubdate::text",),
    body_css=(".story",),
)
NEW = Layout(
    title_css=("h1.entry-title::text",),
    date_css=('meta[property="article:published_time"]::attr(content)',),
    body_css=(".entry-content",),
    drop_css=(".promo",),
)
REDESIGNED = SiteParser("redesigned", NEW, OLD)  # any order: layouts are sorted by validity

OLD_PAGE = """<html><body><h1 class="headline">Old layout headline</h1><span class="pubdate">3 May 2020</span>
<div class="story"><p>Old body paragraph one.</p><p>Old body paragraph two.</p></div></body></html>"""
NEW_PAGE = """<html><head><meta property="article:published_time" content="2024-09-23T10:00:00+05:00">
</head><body><h1 class="entry-title">New layout headline</h1><div class="entry-content"><p>New body.</p>
<div class="promo"><p>Subscribe!</p></div><blockquote><p>A quote</p></blockquote></div></body></html>"""


def test_layouts_are_ordered_and_the_date_picks_one() -> None:
    assert REDESIGNED.versions == (OLD, NEW) and REDESIGNED.latest is NEW
    assert REDESIGNED.version_for(dt.date(2021, 12, 31)) is OLD  # the last day is still the old layout's
    assert REDESIGNED.version_for(dt.date(2022, 1, 1)) is NEW
    assert REDESIGNED.version_for(None) is NEW


def test_an_old_page_is_read_with_the_layout_of_its_day() -> None:
    page = REDESIGNED.parse(OLD_PAGE, "https://example.org/2020/old")
    assert (page.title, page.published) == ("Old layout headline", "3 May 2020")
    assert page.body == "Old body paragraph one.\n\nOld body paragraph two."
    new = REDESIGNED.parse(NEW_PAGE, "https://example.org/2024/new")
    assert (new.title, new.body) == ("New layout headline", "New body.\n\nA quote")


def test_a_date_the_caller_knows_wins() -> None:
    page = REDESIGNED.parse(OLD_PAGE, "https://example.org/2020/old", dt.date(2024, 1, 1))
    assert page.title is None and page.body is None  # the new layout finds nothing on an old page


def test_a_redesign_with_no_cut_off_is_refused() -> None:
    with pytest.raises(ValueError, match="only the latest Layout"):
        SiteParser("twice", Layout(), Layout())
    with pytest.raises(ValueError, match="at least one Layout"):
        SiteParser("none")


def test_options_are_data_language_by_path_url_day_labelled_list_and_dateline() -> None:
    parser = SiteParser(
        "options",
        Layout(
            scope_css=("article",),
            title_css=("h1",),  # no ::text: the element's whole text
            date_css=(),
            body_css=(".body",),
            labelled=Labelled("li", ".label::text", ".value", {"source": "publisher_unit", "topics": "tags"}),
            body_dateline=BodyDateline(),
            language="en",
            language_by_path={"/ru/": "ru"},
            published_from_url=re.compile(r"/(\d{4})(\d{2})(\d{2})/"),
            no_fallback=("modified",),
        ),
    )
    html = """<html><body><h1>Site name</h1><article><h1>A <em>nested</em> title</h1><ul>
    <li><span class="label">Source:</span><span class="value">Press office</span></li>
    <li><span class="label">Topics:</span><span class="value"><a>Borders</a>, <a>Police</a></span></li></ul>
    <div class="body"><p>DUSHANBE, 5 March 2023 - Text.</p></div></article></body></html>"""
    page = parser.parse(html, "https://example.org/ru/20230306/a")
    assert (page.title, page.publisher_unit, page.tags) == (
        "A nested title",
        "Press office",
        ["Borders", "Police"],
    )
    assert (page.dateline, page.published, page.language) == ("Dushanbe", dt.date(2023, 3, 5), "ru")
    assert page.no_fallback_fields == ("modified",)
    undated = parser.parse(html.replace("5 March 2023 ", ""), "https://example.org/en/20230306/a")
    assert (undated.published, undated.language) == ("2023-03-06", "en")


def test_no_fallback_fields_keep_the_generic_layer_out() -> None:
    html = NEW_PAGE.replace("</head>", '<meta name="author" content="Jane Doe"></head>')
    page = extract_article(html, "https://example.org/2024/new", REDESIGNED)
    assert (page.authors, "authors" in page.fallback_fields) == (["Jane Doe"], True)
    quiet = SiteParser("quiet", dataclasses.replace(NEW, no_fallback=("authors",)))
    page = extract_article(html, "https://example.org/2024/new", quiet)
    assert (page.authors, "authors" in page.fallback_fields) == ([], False)


def test_a_wordpress_source_is_one_registry_table() -> None:
    """A new WordPress site: a [sources.*] table naming the shared parser, no Python at all."""
    registry = load_registry(
        {
            "wpnews": {
                "name": "A WordPress news site",
                "base_url": "https://wpnews.example.org",
                "parser": "wordpress",
                "spider": "feed",
                "entry": [{"kind": "feed", "path": "/feed/"}],
            }
        }
    )
    parser = load_site_parser(registry.get("wpnews").parser)
    assert parser is not None
    html = """<html lang="en-GB"><head><meta property="article:published_time" content="2025-01-02T08:00:00+00:00">
    <meta property="og:description" content="Lead."></head><body><h1 class="entry-title">Headline</h1>
    <div class="entry-content"><p>First.</p><div class="sharedaddy">Share</div><p>Second.</p></div>
    <a rel="tag">Dushanbe</a></body></html>"""
    page = extract_article(html, "https://wpnews.example.org/headline/", parser)
    assert (page.title, page.published, page.summary) == ("Headline", "2025-01-02T08:00:00+00:00", "Lead.")
    assert (page.body, page.tags, page.language) == ("First.\n\nSecond.", ["Dushanbe"], "en")
    assert page.extraction == "site" and not {"title", "body", "published"} & set(page.fallback_fields)


def test_a_parser_module_must_hold_a_site_parser() -> None:
    with pytest.raises(SourceConfigError, match="defines no PARSER = SiteParser"):
        load_site_parser("site")  # the module of the SiteParser type itself
