"""normalize_page: ParsedPage in, storable ArticleRecord out (or NotAnArticle with a readable reason)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from crawler.items import ParsedPage
from crawler.normalize import NotAnArticle, content_hash, normalize_page
from storage.articles import upsert_articles
from storage.db import session_scope
from storage.models import Article

SEEDS = Path(__file__).parents[1] / "../shared/seeds"
NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)
needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed documents not found at {SEEDS}")

BODY = (
    "DUSHANBE, 19 May 2010 - The OSCE Office in Tajikistan today opened a training course for border "
    "officers. The course lasts two weeks.\n"
    "It covers risk analysis and document security. Twenty officers take part."
)


def page(**fields: object) -> ParsedPage:
    base: dict[str, object] = {
        "url": "https://www.OSCE.org/tajikistan/12345?utm_source=rss#top",
        "title": "Border course",
        "body": BODY,
    }
    base.update(fields)
    return ParsedPage(**base)  # type: ignore[arg-type]


def test_record_fields() -> None:
    record = normalize_page(
        page(
            published="19 May 2010", authors=["  Jane  Doe ", "jane doe", "OSCE"], tags=["Border management"]
        ),
        source="osce",
        raw_html=b"<html></html>",
        encoding="utf-8",
        now=NOW,
    )
    assert record.canonical_url == "https://www.osce.org/tajikistan/12345"
    assert record.url == "https://www.OSCE.org/tajikistan/12345?utm_source=rss#top"
    assert record.source == "osce"
    assert record.title == "Border course"
    assert (
        record.body.split("\n\n")[1]
        == "It covers risk analysis and document security. Twenty officers take part."
    )
    assert record.content_hash == content_hash(record.body)
    assert record.published_at == dt.datetime(
        2010, 5, 19, tzinfo=dt.UTC
    )  # a day: its start in the zone (UTC by default)
    assert (record.published_day, record.published_precision) == (dt.date(2010, 5, 19), "day")
    assert record.dateline == "Dushanbe"
    assert record.language == "en"
    assert record.authors == ["Jane Doe", "OSCE"]
    assert record.tags == ["Border management"]
    assert record.summary is not None and record.summary.startswith(
        "The OSCE Office in Tajikistan today opened"
    )
    assert record.extraction == "site"
    assert record.raw_html == b"<html></html>" and record.encoding == "utf-8"
    assert record.extra == {}


def test_date_falls_back_to_dateline_and_says_so() -> None:
    record = normalize_page(page(published=None), source="osce", now=NOW)
    assert record.published_at == dt.datetime(
        2010, 5, 19, tzinfo=dt.UTC
    )  # a day: its start in the zone (UTC by default)
    assert "published:dateline" in record.extra["fallback_fields"]


def test_unparseable_date_falls_back_too() -> None:
    record = normalize_page(page(published="sometime last spring-ish"), source="osce", now=NOW)
    assert record.published_at == dt.datetime(
        2010, 5, 19, tzinfo=dt.UTC
    )  # a day: its start in the zone (UTC by default)


def test_fallback_fields_and_generic_extraction_are_recorded() -> None:
    record = normalize_page(
        page(extraction="generic", fallback_fields=["body", "title"]), source="x", now=NOW
    )
    assert record.extraction == "generic"
    assert record.extra["fallback_fields"][:2] == ["body", "title"]


def test_declared_summary_is_kept_and_repaired() -> None:
    record = normalize_page(page(summary="  A   teaserâ€‹ text "), source="x", now=NOW)
    assert record.summary == "A teaser text"


def test_parser_dateline_wins() -> None:
    record = normalize_page(page(dateline="Khujand"), source="x", now=NOW)
    assert record.dateline == "Khujand"


@pytest.mark.parametrize(
    "fields,reason",
    [
        ({"title": None}, "no title"),
        ({"title": "  \n "}, "no title"),
        ({"body": "Too short."}, "body too short (10 chars)"),
        ({"body": None}, "body too short (0 chars)"),
        ({"url": " "}, "no URL"),
    ],
)
def test_not_an_article(fields: dict[str, object], reason: str) -> None:
    with pytest.raises(NotAnArticle) as excinfo:
        normalize_page(page(**fields), source="x", now=NOW)
    assert str(excinfo.value) == reason
    assert isinstance(excinfo.value, ValueError)


@needs_seeds
def test_damaged_seed_normalises_clean() -> None:
    text = (SEEDS / "004_389954f3aa60489e.txt").read_text(encoding="utf-8")
    title, body = text.split("\n", 1)
    record = normalize_page(
        ParsedPage(url="https://example.org/khujand", title=title, body=body), source="x", now=NOW
    )
    assert (
        record.title
        == "Khujand Declaration and Diplomacy in Central Asia: Shaping the Future of regional Cooperation"
    )
    assert "â" not in record.body and "â" not in (record.summary or "")
    assert "\n\n" in record.body and "\n\n\n" not in record.body


@needs_seeds
def test_tdi_seed_dateline_and_agency() -> None:
    body = (SEEDS / "002_d3375a3ad968025d.txt").read_text(encoding="utf-8")
    record = normalize_page(
        ParsedPage(url="https://tdi.example/a", title="Meeting", body=body), source="tdi", now=NOW
    )
    assert record.dateline == "Dushanbe"
    assert record.extra["agency"] == "TDI"
    assert (record.published_day, record.published_precision) == (dt.date(2022, 8, 15), "day")


def test_tajik_page_declared_russian_is_tajik() -> None:
    body = "Дар шаҳри Душанбе ҷаласаи навбатии Созмони амният ва ҳамкорӣ дар Аврупо баргузор гардид. " * 3
    record = normalize_page(page(title="Ҷаласа", body=body, language="ru"), source="khovar", now=NOW)
    assert record.language == "tg"


def test_records_store_on_both_backends(session_factory) -> None:  # type: ignore[no-untyped-def]
    first = normalize_page(page(published="19 May 2010"), source="osce", now=NOW)
    same_text_other_breaks = normalize_page(
        page(
            url="https://www.osce.org/tajikistan/12345?fbclid=x",
            body=BODY.replace("\n", "\n\n\n"),
            published="19 May 2010",
        ),
        source="osce",
        now=NOW,
    )
    assert same_text_other_breaks.canonical_url == first.canonical_url
    assert same_text_other_breaks.content_hash == first.content_hash
    with session_scope(session_factory) as session:
        created = upsert_articles(session, [first])
    with session_scope(session_factory) as session:
        again = upsert_articles(session, [same_text_other_breaks])
        stored = session.execute(select(Article)).scalars().all()
    assert len(created.new) == 1 and again.new == [] and again.updated == []
    assert len(stored) == 1
    assert stored[0].published_at == dt.datetime(
        2010, 5, 19, tzinfo=dt.UTC
    )  # a day: its start in the zone (UTC by default)
    assert stored[0].dateline == "Dushanbe"


def test_day_only_date_starts_the_day_in_the_sources_zone() -> None:
    """'1 October 2024' on a Dushanbe page is 1 October, stored as 00:00 Dushanbe (19:00Z the day before)."""
    record = normalize_page(
        page(published="1 October 2024"), source="khovar", now=NOW, zone=ZoneInfo("Asia/Dushanbe")
    )
    assert (record.published_day, record.published_precision) == (dt.date(2024, 10, 1), "day")
    assert record.published_at == dt.datetime(2024, 9, 30, 19, tzinfo=dt.UTC)


def test_an_absurd_page_date_does_not_erase_the_feed_date() -> None:
    parsed = page(published="0000-00-00T00:00:00")
    parsed.date_candidates = [("feed", "Tue, 01 Oct 2024 14:05:00 +0500")]
    parsed.body = BODY.replace("DUSHANBE, 19 May 2010 - ", "")  # no dateline to fall back on
    record = normalize_page(parsed, source="khovar", now=NOW, zone=ZoneInfo("Asia/Dushanbe"))
    assert record.published_at == dt.datetime(2024, 10, 1, 9, 5, tzinfo=dt.UTC)
    assert record.published_precision == "minute"
    assert "published:feed" in record.extra["fallback_fields"]
    assert record.extra["rejected_dates"] == ["page"]


@pytest.mark.parametrize("absurd", ["0001-01-01", "9999-12-31", "1970-01-01T00:00:00Z", "-1"])
def test_implausible_candidates_lose_to_plausible_ones(absurd: str) -> None:
    parsed = page(published=absurd)
    parsed.date_candidates = [("meta:date", "2024-10-01")]
    record = normalize_page(parsed, source="khovar", now=NOW, zone=ZoneInfo("Asia/Dushanbe"))
    assert record.published_day == dt.date(2024, 10, 1)
