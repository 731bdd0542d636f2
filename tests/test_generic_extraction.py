"""extract_generic (any page) and extract_article (site parser first, generic for the gaps)."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import logging
from pathlib import Path

import pytest

from crawler.items import ParsedPage
from crawler.normalize import parse_date
from crawler.parsers import extract_article, extract_generic
from crawler.parsers.metadata import extract_metadata

REGIONAL = Path(__file__).parents[1] / "../shared/realdata/regional_proxies"

PARAGRAPHS = [
    "DUSHANBE, 19 May 2010 - The OSCE Office in Tajikistan today opened a two-week training course on "
    "border security for officers of the Border Guard Service in Dushanbe.",
    "The course covers risk analysis, document security and the detection of forged travel documents, "
    "and is taught by experts from three participating States.",
    "“Well-trained officers are the backbone of open and secure borders,” said the Head of the Office. "
    "Twenty officers take part in this first round of the programme.",
    "A second course for officers from the regions of Khatlon and Sughd is planned for the autumn.",
]


def article_html(
    head: str = "", h1: str = "Border security course opens in Dushanbe", body_extra: str = ""
) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Border security course opens in Dushanbe | OSCE</title>{head}</head>
<body><header><nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>
<li><a href="/about">About us</a></li><li><a href="/contact">Contact</a></li></ul></nav></header>
<main><article><h1>{h1}</h1>{paragraphs}{body_extra}</article>
<aside><h3>Related</h3><ul><li><a href="/a">Another story about something else entirely</a></li></ul></aside></main>
<footer><p>© OSCE 2024. All rights reserved. Privacy policy. Terms of use.</p></footer></body></html>"""


def test_body_title_and_language_from_a_plain_page() -> None:
    page = extract_generic(article_html(), "https://www.osce.org/tajikistan/1")
    assert page.extraction == "generic"
    assert page.title == "Border security course opens in Dushanbe"
    assert page.body is not None
    paragraphs = page.body.split("\n\n")
    assert paragraphs[0].startswith("DUSHANBE, 19 May 2010 - The OSCE Office")
    assert "A second course for officers" in page.body
    for boilerplate in ("About us", "All rights reserved", "Another story"):
        assert boilerplate not in page.body
    assert page.language == "en"
    # No declared date: the dateline supplies it, and its place.
    assert page.dateline == "Dushanbe"
    assert parse_date(page.published) == parse_date("19 May 2010")


def test_json_ld_news_article_wins() -> None:
    ld = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": "OSCE"},
            {
                "@type": "NewsArticle",
                "headline": "Border security course opens in Dushanbe",
                "datePublished": "2010-05-19T09:30:00+05:00",
                "dateModified": "2010-05-20T10:00:00+05:00",
                "author": [
                    {"@type": "Person", "name": "Jane Doe"},
                    {"@type": "Person", "name": "Ivan Petrov"},
                ],
                "description": "A two-week course for border officers.",
                "keywords": ["Border management", "Tajikistan"],
                "inLanguage": "en-GB",
                "publisher": {"@type": "Organization", "name": "OSCE"},
            },
        ],
    }
    head = f'<script type="application/ld+json">{json.dumps(ld)}</script>'
    page = extract_generic(article_html(head), "https://www.osce.org/tajikistan/1")
    assert page.published == "2010-05-19T09:30:00+05:00"
    assert page.modified == "2010-05-20T10:00:00+05:00"
    assert page.authors == ["Jane Doe", "Ivan Petrov"]
    assert page.summary == "A two-week course for border officers."
    assert page.tags == ["Border management", "Tajikistan"]
    assert page.language == "en-GB"


def test_opengraph_and_meta_tags() -> None:
    head = """
<meta property="og:title" content="Border security course opens in Dushanbe">
<meta property="article:published_time" content="2010-05-19T09:30:00Z">
<meta property="article:modified_time" content="2010-05-21T09:30:00Z">
<meta name="author" content="By Jane Doe and Ivan Petrov">
<meta name="description" content="Course for border officers.">
<meta property="og:locale" content="en_US">
<meta property="article:tag" content="Borders"><meta property="article:tag" content="Training">"""
    page = extract_generic(article_html(head), "https://example.org/a")
    assert page.title == "Border security course opens in Dushanbe"
    assert page.published == "2010-05-19T09:30:00Z"
    assert page.modified == "2010-05-21T09:30:00Z"
    assert page.authors == ["Jane Doe", "Ivan Petrov"]
    assert page.summary == "Course for border officers."
    assert page.tags == ["Borders", "Training"]
    assert page.language == "en_US"


def test_time_element_gives_the_date() -> None:
    extra = '<p>Published <time datetime="2010-05-19T10:00:00+05:00">19 May 2010</time></p>'
    page = extract_generic(article_html(body_extra=extra), "https://example.org/a")
    assert parse_date(page.published) == parse_date("2010-05-19T10:00:00+05:00")


def test_visible_headline_beats_seo_title_but_not_a_logo() -> None:
    head = '<meta property="og:title" content="Dushanbe: border security course opens for officers">'
    page = extract_generic(article_html(head), "https://example.org/a")
    assert page.title == "Border security course opens in Dushanbe"
    logo = extract_generic(article_html(head, h1="OSCE"), "https://example.org/a")
    assert logo.title == "Dushanbe: border security course opens for officers"


def test_site_suffix_is_stripped_from_the_title_element() -> None:
    html = article_html(h1="x").replace("<h1>x</h1>", "")
    html = html.replace("</head>", '<meta property="og:site_name" content="OSCE"></head>')
    page = extract_generic(html, "https://example.org/a")
    assert page.title == "Border security course opens in Dushanbe"


def test_escaped_json_ld_is_unescaped() -> None:
    ld = {"@type": "NewsArticle", "headline": "R&uuml;ckbau: &quot;K&uuml;hlt&uuml;rme&quot; gesprengt"}
    head = f'<script type="application/ld+json">{json.dumps(ld)}</script>'
    from lxml import html as lxml_html

    meta = extract_metadata(lxml_html.fromstring(article_html(head)))
    assert meta.title == 'Rückbau: "Kühltürme" gesprengt'


def test_broken_json_ld_is_skipped() -> None:
    head = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": </script>'
    page = extract_generic(article_html(head), "https://example.org/a")
    assert page.title == "Border security course opens in Dushanbe"


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        "<html></html>",
        '<?xml version="1.0" encoding="utf-8"?><html><body></body></html>',
    ],
)
def test_empty_or_odd_input_gives_an_empty_page_not_an_error(html: str) -> None:
    page = extract_generic(html, "https://example.org/a")
    assert page.url == "https://example.org/a"
    assert not page.body


def test_xml_declared_page_is_read() -> None:
    html = '<?xml version="1.0" encoding="utf-8"?>\n' + article_html()
    page = extract_generic(html, "https://example.org/a")
    assert page.body and "backbone of open and secure borders" in page.body


# ------------------------------------------------------------------------------------- real pages


def _regional_cases() -> list[str]:
    return (
        sorted(p.name.removesuffix(".gold.json") for p in REGIONAL.glob("*.gold.json"))
        if REGIONAL.is_dir()
        else []
    )


@pytest.mark.skipif(not REGIONAL.is_dir(), reason=f"realdata corpus not found at {REGIONAL}")
@pytest.mark.parametrize("name", _regional_cases())
def test_real_regional_pages(name: str) -> None:
    gold = json.loads((REGIONAL / f"{name}.gold.json").read_text(encoding="utf-8"))
    html = gzip.decompress((REGIONAL / f"{name}.html.gz").read_bytes()).decode("utf-8")
    page = extract_generic(html, gold["url"])
    gold_body = gold.get("articleBody") or "\n".join(
        p for s in gold["body"]["sections"] for p in s["paragraphs"]
    )
    got, want = set((page.body or "").lower().split()), set(gold_body.lower().split())
    assert len(got & want) / len(want) >= 0.8, "recall"
    assert len(got & want) / len(got) >= 0.8, "precision"
    if gold.get("title"):
        assert page.title == gold["title"].strip()
    if gold.get("publishing_date"):
        assert parse_date(page.published) == parse_date(gold["publishing_date"])


# ------------------------------------------------------------------------------------- layering


class PartialParser:
    """A real site parser that knows only the title and the date (a redesign broke its body selector)."""

    name = "partial"

    def parse(self, html: str, url: str, date: dt.date | None = None) -> ParsedPage:
        return ParsedPage(url=url, title="Site title", published="19 May 2010", extraction="site")


class CompleteParser:
    name = "complete"

    def parse(self, html: str, url: str, date: dt.date | None = None) -> ParsedPage:
        return ParsedPage(
            url=url,
            title="T",
            body="Site body " * 20,
            published="19 May 2010",
            no_fallback_fields=("modified", "authors", "summary", "language", "tags", "dateline"),
        )


class BrokenParser:
    name = "broken"

    def parse(self, html: str, url: str, date: dt.date | None = None) -> ParsedPage:
        raise AttributeError("'NoneType' object has no attribute 'text'")


class WrongTypeParser:
    name = "wrong"

    def parse(self, html: str, url: str, date: dt.date | None = None) -> ParsedPage:
        return {"title": "not a ParsedPage"}  # type: ignore[return-value]


def test_site_parser_fields_win_and_gaps_are_filled() -> None:
    page = extract_article(article_html(), "https://example.org/a", PartialParser())
    assert page.title == "Site title"
    assert page.published == "19 May 2010"
    assert page.body and "backbone of open and secure borders" in page.body
    assert page.extraction == "generic"
    assert "body" in page.fallback_fields and "title" not in page.fallback_fields
    assert "published" not in page.fallback_fields


def test_complete_site_parser_needs_no_generic_pass() -> None:
    page = extract_article(article_html(), "https://example.org/a", CompleteParser())
    assert page.extraction == "site"
    assert page.fallback_fields == []
    assert page.body == "Site body " * 20


@pytest.mark.parametrize("parser", [BrokenParser(), WrongTypeParser()])
def test_failing_site_parser_is_logged_and_generic_takes_over(
    parser: object, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="crawler.parsers.layered"):
        page = extract_article(article_html(), "https://example.org/a", parser)  # type: ignore[arg-type]
    assert page.title == "Border security course opens in Dushanbe"
    assert page.body and page.extraction == "generic"
    assert "title" in page.fallback_fields and "body" in page.fallback_fields
    assert any(parser.name in record.getMessage() for record in caplog.records)  # type: ignore[attr-defined]


def test_no_site_parser_means_generic_without_fallback_marks() -> None:
    page = extract_article(article_html(), "https://example.org/a")
    assert page.extraction == "generic"
    assert page.fallback_fields == []
    assert page.title == "Border security course opens in Dushanbe"


def test_double_escaped_meta_content_is_unescaped() -> None:
    head = (
        '<meta property="og:title" content="Tajikistan &amp;amp; OSCE: &amp;#8220;talks&amp;#8221; continue">'
    )
    from lxml import html as lxml_html

    meta = extract_metadata(lxml_html.fromstring(article_html(head)))
    assert meta.title == "Tajikistan & OSCE: “talks” continue"


def test_pruned_standfirst_is_put_back_once() -> None:
    lede = (
        "Twenty border officers from Tajikistan start a two-week OSCE course on risk analysis "
        "and document security in Dushanbe."
    )
    head = f'<meta property="og:description" content="{lede}">'
    html = article_html(head).replace("<h1>", f'<div class="article__summary summary">{lede}</div><h1>', 1)
    page = extract_generic(html, "https://example.org/a")
    assert page.body is not None
    assert page.body.count("Twenty border officers from Tajikistan") == 1
    assert "backbone of open and secure borders" in page.body
    plain = extract_generic(article_html(head), "https://example.org/a")
    assert plain.body is not None and "Twenty border officers" not in plain.body  # not visible: not added
