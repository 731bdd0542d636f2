"""The regional site parsers: golden outputs on each replica, and the Pangea parser on real pages.

Golden files (tests/golden/<site>/articles.json) hold what each parser must extract from its replica
articles. The real Pangea pages (polygraph.info and voanews.com, the CMS Radio Ozodi runs on) come with
gold bodies from upstream benchmarks: we measure token precision/recall/F1 against them and assert a
floor, printing the figures.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from crawler.normalize import parse_date
from crawler.parsers.layered import extract_article
from crawler.sources import load_registry, load_site_parser

ROOT = Path(__file__).resolve().parents[1]
REPLICAS = ROOT / "newswatch/replicas"
GOLDEN = ROOT / "tests/golden"
PROXIES = ROOT / "../shared/realdata/regional_proxies"

# Every source in the registry with a site parser, and that parser's name (ozodi reads with "pangea").
PARSER_OF_SITE = {source.key: source.parser for source in load_registry() if source.parser != "generic"}


def golden_cases() -> list[tuple[str, dict]]:
    """Every registry source's replica articles with their expected extraction (osce's goldens are whole
    normalised articles, checked by tests/test_osce_parser.py)."""
    return [
        (site, case)
        for site in PARSER_OF_SITE
        if (GOLDEN / site / "articles.json").exists()
        for case in json.loads((GOLDEN / site / "articles.json").read_text(encoding="utf-8"))
    ]


def test_every_site_parser_has_goldens_and_every_golden_a_source() -> None:
    for site in PARSER_OF_SITE:
        assert (GOLDEN / site / "articles.json").exists() or list((GOLDEN / site).glob("*.html")), site
    assert {path.name for path in GOLDEN.iterdir() if path.is_dir()} == set(PARSER_OF_SITE)


def test_every_layout_of_every_parser_reads_a_golden_page() -> None:
    """A redesign adds a Layout; it needs golden pages of its own, as the old layout keeps its."""
    used: dict[str, set[int]] = {name: set() for name in PARSER_OF_SITE.values()}
    for site, case in golden_cases():
        parser = load_site_parser(PARSER_OF_SITE[site])
        assert parser is not None
        published = parse_date(case["published"]) if case["published"] else None
        used[parser.name].add(
            parser.versions.index(parser.version_for(published.date() if published else None))
        )
    for golden in GOLDEN.glob("osce/*.json"):
        published = json.loads(golden.read_text(encoding="utf-8"))["published_at"]
        parser = load_site_parser("osce")
        assert parser is not None
        day = dt.date.fromisoformat(published[:10]) if published else None
        used["osce"].add(parser.versions.index(parser.version_for(day)))
    for name, indexes in used.items():
        parser = load_site_parser(name)
        assert parser is not None
        assert indexes == set(range(len(parser.versions))), f"{name}: a layout without golden pages"


@pytest.mark.parametrize(
    ("site", "case"), golden_cases(), ids=lambda v: v if isinstance(v, str) else v["file"]
)
def test_site_parser_matches_golden(site: str, case: dict) -> None:
    parser = load_site_parser(PARSER_OF_SITE[site])
    assert parser is not None
    html = (REPLICAS / case["file"]).read_text(encoding="utf-8")
    page = parser.parse(html, case["url"])
    published = parse_date(page.published)
    got = {
        "title": page.title,
        "published": published.isoformat() if published else None,
        "authors": page.authors,
        "tags": page.tags,
        "language": page.language,
        "dateline": page.dateline,
        "body": page.body,
    }
    assert got == {key: case[key] for key in got}
    assert page.extraction == "site"


@pytest.mark.parametrize(
    ("site", "case"), golden_cases(), ids=lambda v: v if isinstance(v, str) else v["file"]
)
def test_layered_extraction_needs_no_fallback_for_core_fields(site: str, case: dict) -> None:
    html = (REPLICAS / case["file"]).read_text(encoding="utf-8")
    page = extract_article(html, case["url"], load_site_parser(PARSER_OF_SITE[site]))
    assert page.extraction == "site"
    assert not {"title", "body", "published"} & set(page.fallback_fields)
    boilerplate = (
        "newsletter",
        "Advertisement",
        "Related",
        "All rights reserved",
        "Read also",
        "Хабарҳои охирин",
    )
    assert not any(word in page.body for word in boilerplate)


def test_tdi_dateline_gives_the_date_when_the_page_has_none() -> None:
    parser = load_site_parser("tdi")
    html = (REPLICAS / "tdi/tajikistan-osce-discuss-cooperation/index.html").read_text(encoding="utf-8")
    html = re.sub(r"<time[^>]*>.*?</time>", "", html)
    page = parser.parse(html, "https://thediplomaticinsight.com/tajikistan-osce-discuss-cooperation/")
    assert page.dateline == "Dushanbe"
    assert page.published == dt.date(2022, 8, 15)  # a day, not an instant in some zone


def test_asiaplus_date_from_url_when_the_page_has_none() -> None:
    parser = load_site_parser("asiaplus")
    url = "https://asiaplustj.info/ru/news/tajikistan/society/20240923/v-dushanbe"
    page = parser.parse("<html><body><h1 class='article-title'>Т</h1></body></html>", url)
    assert (page.published, page.language) == ("2024-09-23", "ru")


# --- the real Pangea pages --------------------------------------------------------------------------


def tokens(text: str) -> Counter[str]:
    return Counter(re.findall(r"\w+", text.lower()))


def token_prf(extracted: str, gold: str) -> tuple[float, float, float]:
    got, want = tokens(extracted), tokens(gold)
    common = sum((got & want).values())
    precision = common / max(1, sum(got.values()))
    recall = common / max(1, sum(want.values()))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def gold_body(gold: dict) -> str:
    if "articleBody" in gold:
        return gold["articleBody"]
    body = gold["body"]
    parts = list(body.get("summary", []))
    for section in body.get("sections", []):
        parts += section.get("headline", []) + section.get("paragraphs", [])
    return "\n\n".join(parts)


PANGEA_PAGES = ["pangea_rferl_polygraph.info", "pangea_voa_voanews.com"]


@pytest.mark.skipif(not PROXIES.is_dir(), reason=f"shared real pages not found at {PROXIES}")
@pytest.mark.parametrize("name", PANGEA_PAGES)
def test_pangea_parser_on_real_pages(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    gold = json.loads((PROXIES / f"{name}.gold.json").read_text(encoding="utf-8"))
    html = gzip.decompress((PROXIES / f"{name}.html.gz").read_bytes()).decode("utf-8")
    page = extract_article(html, gold["url"], load_site_parser("pangea"))
    precision, recall, f1 = token_prf(page.body or "", gold_body(gold))
    with capsys.disabled():
        print(f"\n{name}: token precision {precision:.3f} recall {recall:.3f} F1 {f1:.3f}")
    assert page.extraction == "site"
    assert f1 >= 0.95
    assert page.title and page.title.strip() == page.title
    if "title" in gold:
        assert page.title == gold["title"].strip()
    if "publishing_date" in gold:
        assert parse_date(page.published).isoformat() == gold["publishing_date"].replace(" ", "T")
    if "authors" in gold:
        assert page.authors == gold["authors"]
