"""crawler.feeds against every real feed in shared/realdata/feeds, checked against what upstream expects.

rss-parser ships the parsed fields of each input feed (test/output/*.json): we compare titles, links and
dates item by item and assert the match rates. Miniflux's parser tests name the title it expects for
given entries of its encoding fixtures (windows-1251, ISO-8859-1 with the charset only in HTTP, RDF);
huginn's feeds and the NPR JSON Feed are checked for complete, well-formed entries.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from crawler.feeds import FeedEntry, FeedError, html_to_text, is_full_text, parse_feed

REALDATA = Path(__file__).resolve().parents[1] / "../shared/realdata/feeds"
RSS_PARSER = REALDATA / "rss-parser/test"
MINIFLUX = REALDATA / "miniflux/internal/reader/parser/testdata"
HUGINN = REALDATA / "huginn"

needs_realdata = pytest.mark.skipif(
    not REALDATA.is_dir(), reason=f"shared real feeds not found at {REALDATA}"
)


def _rss_parser_cases() -> list[str]:
    if not (RSS_PARSER / "output").is_dir():
        return []
    return sorted(p.stem for p in (RSS_PARSER / "output").glob("*.json"))


def _load_expected(name: str) -> list[dict]:
    raw = (RSS_PARSER / "output" / f"{name}.json").read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:  # rss-parser wrote one of its outputs in Latin-1
        text = raw.decode("latin-1")
    return json.loads(text)["feed"]["items"]


def _input_for(name: str) -> Path:
    (path,) = [p for p in (RSS_PARSER / "input").iterdir() if p.stem == name]
    return path


def _same_text(expected: str | None, got: str | None) -> bool:
    """Equal after whitespace folding; rss-parser's U+FFFD (its own mis-decoding) matches any character."""
    if expected is None:
        return True  # rss-parser found nothing; anything we find is a bonus
    want = " ".join(expected.split())
    have = " ".join((got or "").split())
    if "\ufffd" in want:
        pattern = ".".join(re.escape(part) for part in want.split("\ufffd"))
        return re.fullmatch(pattern, have) is not None
    return want == have


def _same_link(expected: str | None, got: str | None) -> bool:
    if expected is None:
        return True
    expected = expected.strip()
    return got == expected or (not expected.startswith("http") and bool(got) and got.endswith(expected))


def _same_date(expected: str | None, got: FeedEntry) -> bool:
    """Same instant to the second (feedparser keeps no milliseconds); rss-parser reports Atom's
    <updated> where <published> exists too, so either of ours may match."""
    if expected is None:
        return True
    want = dt.datetime.fromisoformat(expected.replace("Z", "+00:00")).replace(microsecond=0)
    return want in {got.published, got.updated}


@needs_realdata
@pytest.mark.parametrize("name", _rss_parser_cases())
def test_rss_parser_feeds_match_upstream_fields(name: str) -> None:
    expected = _load_expected(name)
    feed = parse_feed(_input_for(name).read_bytes(), url=None)
    assert len(feed.entries) == len(expected), f"{name}: entry count"
    checks = {"title": 0, "link": 0, "date": 0}
    misses: list[str] = []
    for want, got in zip(expected, feed.entries, strict=True):
        for key, ok in (
            ("title", _same_text(want.get("title"), got.title)),
            ("link", _same_link(want.get("link"), got.url)),
            ("date", _same_date(want.get("isoDate"), got)),
        ):
            checks[key] += ok
            if not ok:
                misses.append(f"{key}: want {want.get(key if key != 'date' else 'isoDate')!r} got {got}")
    rates = {key: hits / len(expected) for key, hits in checks.items()} if expected else {}
    print(f"{name}: {len(expected)} items, match rates {rates}")
    assert all(rate == 1.0 for rate in rates.values()), misses[:5]


@needs_realdata
@pytest.mark.slow  # parses every upstream feed again
def test_rss_parser_overall_match_rate(capsys: pytest.CaptureFixture[str]) -> None:
    total = hits = 0
    for name in _rss_parser_cases():
        feed = parse_feed(_input_for(name).read_bytes())
        for want, got in zip(_load_expected(name), feed.entries, strict=False):
            total += 3
            hits += _same_text(want.get("title"), got.title)
            hits += _same_link(want.get("link"), got.url)
            hits += _same_date(want.get("isoDate"), got)
    with capsys.disabled():
        print(f"\nrss-parser fixtures: {hits}/{total} title/link/date fields match ({hits / total:.1%})")
    assert hits / total >= 0.99


@needs_realdata
def test_unrecognized_document_is_a_clear_error() -> None:
    with pytest.raises(FeedError, match="not a feed"):
        parse_feed((RSS_PARSER / "input" / "unrecognized.rss").read_bytes())


# Miniflux's TestDifferentEncodingWithResponse: file, HTTP Content-Type, entry index, expected title.
MINIFLUX_ENCODINGS = [
    ("urdu_UTF8.xml", "text/xml; charset=utf-8", 0,
     "امریکی عسکری امداد کی بندش کی وجوہات: انڈیا سے جنگ، جوہری پروگرام اور اب دہشت گردوں کی پشت پناہی"),
    ("encoding_WINDOWS-1251.xml", "text/xml", 0, "Цитата #17703"),
    ("no_encoding_ISO-8859-1.xml", "application/xml; charset=ISO-8859-1", 2,
     "La criminalité liée surtout à... l'ennui ?"),
    ("encoding_ISO-8859-1.xml", "application/rss+xml; charset=ISO-8859-1", 5,
     "Projekt Jedi: Microsoft will weiter mit US-Militär zusammenarbeiten"),
    ("rdf_UTF8.xml", "application/rss+xml; charset=utf-8", 1, "Mega-Deal: IBM übernimmt Red Hat"),
    ("rdf_UTF8.xml", "application/rss+xml", 1, "Mega-Deal: IBM übernimmt Red Hat"),
]  # fmt: skip


@needs_realdata
@pytest.mark.parametrize(("filename", "content_type", "index", "title"), MINIFLUX_ENCODINGS)
def test_miniflux_encodings(filename: str, content_type: str, index: int, title: str) -> None:
    feed = parse_feed(
        (MINIFLUX / filename).read_bytes(), url="https://example.org/", content_type=content_type
    )
    assert feed.entries[index].title == title


@needs_realdata
@pytest.mark.parametrize(
    "path",
    sorted(MINIFLUX.glob("*.xml")) + sorted(p for p in HUGINN.glob("*") if p.suffix in {".rss", ".atom"}),
    ids=lambda p: p.name,
)
def test_every_item_has_title_absolute_link_and_date(path: Path) -> None:
    data = path.read_bytes()
    declared = len(re.findall(rb"<(?:item|entry)[\s>]", data))
    empty = len(re.findall(rb"<item>\s*<title>\s*</title>\s*<link>\s*</link>", data))  # one in miniflux's
    feed = parse_feed(data, url="https://example.org/feed")
    assert len(feed.entries) == declared
    usable = [e for e in feed.entries if e.url or e.title]
    assert len(usable) == declared - empty
    assert all(e.title for e in usable)
    assert all(e.url and e.url.startswith("http") for e in usable)
    dated = sum(e.date is not None for e in usable)
    if path.name != "rdf_UTF8.xml":  # heise's RDF feed carries no dates at all
        assert dated == len(usable)


@needs_realdata
def test_windows_1251_feed_decodes_without_charset_header() -> None:
    feed = parse_feed((MINIFLUX / "encoding_WINDOWS-1251.xml").read_bytes())
    assert feed.encoding == "windows-1251"
    assert feed.entries[0].url == "http://ibash.org.ru/quote.php?id=17703"
    assert feed.entries[0].date == dt.datetime(2018, 3, 21, 7, 27, 32, tzinfo=dt.UTC)


@needs_realdata
def test_npr_json_feed() -> None:
    doc = json.loads((REALDATA / "npr-technology.jsonfeed.json").read_text(encoding="utf-8"))
    feed = parse_feed((REALDATA / "npr-technology.jsonfeed.json").read_bytes())
    assert feed.format == "json1"
    assert feed.title == "Technology"
    assert len(feed.entries) == len(doc["items"])
    for want, got in zip(doc["items"], feed.entries, strict=True):
        assert got.title == want["title"]
        assert got.url == want["url"]
        assert got.date == dt.datetime.fromisoformat(want["date_published"]).astimezone(dt.UTC)
        assert got.authors == [want["author"]["name"]]


def test_relative_links_resolve_against_the_feed_url() -> None:
    data = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>/blog</link>
    <item><title>Entry</title><link>/blog/article.html</link><guid>1234</guid></item></channel></rss>"""
    feed = parse_feed(data, url="http://example.org/rss.xml")
    assert feed.entries[0].url == "http://example.org/blog/article.html"


def test_json_feed_version_1_1_with_authors() -> None:
    data = json.dumps({
        "version": "https://jsonfeed.org/version/1.1", "title": "Душанбе",
        "items": [{"id": 1, "url": "/a/1", "title": "Саммит", "authors": [{"name": "А. Н."}],
                   "date_published": "2024-09-23T10:00:00+05:00", "content_text": "Текст"}],
    }).encode()  # fmt: skip
    feed = parse_feed(data, url="https://news.example/feed.json")
    entry = feed.entries[0]
    assert (feed.format, entry.url, entry.authors) == ("json1.1", "https://news.example/a/1", ["А. Н."])
    assert entry.published == dt.datetime(2024, 9, 23, 5, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"", "empty"), (b"{not json", "not a JSON feed"), (b'{"items": []}', "not a JSON Feed"),
     (b"<html><body>hello</body></html>", "not a feed")],
)  # fmt: skip
def test_non_feeds_raise_feed_error(data: bytes, reason: str) -> None:
    with pytest.raises(FeedError, match=reason):
        parse_feed(data)


def test_full_text_decision() -> None:
    paragraph = (
        "<p>" + "The OSCE Programme Office in Dushanbe held a seminar on border management. " * 4 + "</p>"
    )
    full = FeedEntry(url="u", content=paragraph * 4, summary="<p>The OSCE Programme Office [&#8230;]</p>")
    assert is_full_text(full)
    assert not is_full_text(full, page_text_chars=10_000)  # the page says far more
    teaser = FeedEntry(url="u", content=paragraph * 4 + "<p>Read more</p>")
    assert not is_full_text(teaser)
    short = FeedEntry(url="u", content="<p>Dushanbe talks.</p>")
    assert not is_full_text(short)
    assert html_to_text("<p>One</p><p>Two</p>") == "One\n\nTwo"
