"""What a page says about itself: JSON-LD (schema.org NewsArticle), OpenGraph, meta tags and ``<time>``.

Publishers declare title, dates and authors for search engines and social cards far more reliably than
they lay them out in the visible page, so the generic extractor reads these first and falls back to the
page text (trafilatura, the dateline) only for what is not declared. Values are returned as found
(strings): parsing and repair are the normaliser's job.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import html as lxml_html

__all__ = ["PageMetadata", "extract_metadata"]

_ARTICLE_TYPES = frozenset(
    {
        "newsarticle",
        "article",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "backgroundnewsarticle",
        "reviewnewsarticle",
        "blogposting",
        "socialmediaposting",
        "report",
        "scholarlyarticle",
        "techarticle",
        "liveblogposting",
        "pressrelease",
    }
)
_PUBLISHED_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "article:published",
    "datepublished",
    "publishdate",
    "publish-date",
    "publish_date",
    "pubdate",
    "sailthru.date",
    "parsely-pub-date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.created",
    "dc.date.created",
    "date",
    "article.published",
    "cxenseparse:recs:publishtime",
    "og:published_time",
    "published_time",
)
_MODIFIED_KEYS = (
    "article:modified_time",
    "og:article:modified_time",
    "datemodified",
    "og:updated_time",
    "dcterms.modified",
    "dc.date.modified",
    "last-modified",
    "article:modified",
)
_AUTHOR_KEYS = ("author", "article:author", "dc.creator", "parsely-author", "sailthru.author", "byl")
_TITLE_KEYS = ("og:title", "twitter:title", "dc.title", "parsely-title", "sailthru.title", "headline")
_DESCRIPTION_KEYS = ("og:description", "description", "twitter:description", "dc.description")
_TAG_KEYS = ("article:tag", "news_keywords", "keywords", "parsely-tags")
_LANG_KEYS = ("og:locale", "content-language", "language", "dc.language")


@dataclass(slots=True)
class PageMetadata:
    title: str | None = None
    title_tag: str | None = None  # the <title> element, often with a " | Site" suffix
    h1: str | None = None  # the first <h1>
    h1s: list[str] = field(default_factory=list)  # every non-empty <h1>, document order
    published: str | None = None
    modified: str | None = None
    authors: list[str] = field(default_factory=list)
    description: str | None = None
    language: str | None = None
    tags: list[str] = field(default_factory=list)
    site_name: str | None = None
    content_type: str | None = None  # the JSON-LD @type that matched, e.g. "NewsArticle"
    article_body: str | None = None  # JSON-LD articleBody: the publisher's own plain-text body, if declared
    lede: str | None = (
        None  # a visible standfirst block repeating the description (often pruned as boilerplate)
    )
    sources: dict[str, str] = field(default_factory=dict)  # field -> where it came from (for debugging)
    # every publication date the page declares, (origin, value) in order of trust: when the first is
    # absurd (year 0, 1970, 9999) the normaliser takes the next plausible one instead of none
    date_candidates: list[tuple[str, str]] = field(default_factory=list)


def extract_metadata(tree: lxml_html.HtmlElement) -> PageMetadata:
    """Read declared metadata from a parsed page (the tree is not modified)."""
    meta = PageMetadata()
    metas = _meta_values(tree)
    ld = _best_jsonld_article(tree)

    if ld is not None:
        meta.content_type = _first_type(ld)
        _set(meta, "title", _text(ld.get("headline")) or _text(ld.get("name")), "json-ld")
        _set(meta, "published", _text(ld.get("datePublished")) or _text(ld.get("dateCreated")), "json-ld")
        _set(meta, "modified", _text(ld.get("dateModified")), "json-ld")
        meta.authors = _ld_names(ld.get("author")) or _ld_names(ld.get("creator"))
        if meta.authors:
            meta.sources["authors"] = "json-ld"
        _set(meta, "description", _text(ld.get("description")), "json-ld")
        _set(meta, "language", _text(ld.get("inLanguage")), "json-ld")
        keywords = ld.get("keywords")
        if isinstance(keywords, list):
            meta.tags = [k for k in (_text(x) for x in keywords) if k]
        elif isinstance(keywords, str):
            meta.tags = [k.strip() for k in keywords.split(",") if k.strip()]
        article_body = ld.get("articleBody")
        if isinstance(article_body, str) and article_body.strip():
            meta.article_body = html_lib.unescape(article_body) if "&" in article_body else article_body
        publisher = ld.get("publisher")
        if isinstance(publisher, dict):
            _set(meta, "site_name", _text(publisher.get("name")), "json-ld")

    for key in _TITLE_KEYS:
        _set(meta, "title", _first(metas, key), f"meta:{key}")
    for key in _PUBLISHED_KEYS:
        _set(meta, "published", _first(metas, key), f"meta:{key}")
    for key in _MODIFIED_KEYS:
        _set(meta, "modified", _first(metas, key), f"meta:{key}")
    for key in _DESCRIPTION_KEYS:
        _set(meta, "description", _first(metas, key), f"meta:{key}")
    for key in _LANG_KEYS:
        _set(meta, "language", _first(metas, key), f"meta:{key}")
    _set(meta, "site_name", _first(metas, "og:site_name") or _first(metas, "application-name"), "meta")
    if not meta.authors:
        for key in _AUTHOR_KEYS:
            values = [v for v in metas.get(key, []) if v and not v.startswith(("http://", "https://"))]
            if values:
                meta.authors = _split_authors(values)
                meta.sources["authors"] = f"meta:{key}"
                break
    if not meta.authors:
        bylines = _byline_names(tree)
        if bylines:
            meta.authors = bylines
            meta.sources["authors"] = "byline"
    if not meta.tags:
        for key in _TAG_KEYS:
            values = metas.get(key, [])
            if values:
                meta.tags = [t.strip() for v in values for t in v.split(",") if t.strip()]
                break

    time_value = _time_element(tree)
    _set(meta, "published", time_value, "time")
    if not meta.language:
        _set(meta, "language", tree.get("lang") or tree.get("xml:lang"), "html-lang")

    meta.lede = _visible_lede(tree, meta.description)
    title_el = tree.find(".//title")
    if title_el is not None:
        meta.title_tag = _squash(title_el.text_content()) or None
    meta.h1s = [text for text in (_squash(h.text_content()) for h in tree.iter("h1")) if text]
    meta.h1 = meta.h1s[0] if meta.h1s else None
    return meta


def _set(meta: PageMetadata, name: str, value: str | None, source: str) -> None:
    if value and name == "published" and (source, value) not in meta.date_candidates:
        meta.date_candidates.append((source, value))
    if value and not getattr(meta, name):
        setattr(meta, name, value)
        meta.sources[name] = source


def _squash(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


_ENTITY_RE = re.compile(r"&(?:#\d{2,6}|#x[0-9a-fA-F]{2,6}|[a-zA-Z]{2,8});")


def _meta_values(tree: lxml_html.HtmlElement) -> dict[str, list[str]]:
    """All <meta> name/property/itemprop/http-equiv -> content values, keys lowercased, document order."""
    out: dict[str, list[str]] = {}
    for el in tree.iter("meta"):
        content = el.get("content")
        if content is None or not content.strip():
            continue
        if "&" in content and _ENTITY_RE.search(content):  # double-escaped by the CMS: "AT&amp;amp;T"
            content = html_lib.unescape(content)
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = el.get(attr)
            if key:
                for k in key.lower().split():  # "og:title twitter:title" (space-separated properties)
                    out.setdefault(k, []).append(content.strip())
    return out


def _first(metas: dict[str, list[str]], key: str) -> str | None:
    values = metas.get(key)
    return values[0] if values else None


def _jsonld_objects(tree: lxml_html.HtmlElement) -> Iterator[dict[str, Any]]:
    for script in tree.xpath('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]'):
        raw = (script.text or "").strip()
        if not raw:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            try:  # control characters inside strings are common in CMS output
                data = json.loads(re.sub(r"[\x00-\x1f]", " ", raw))
            except ValueError:
                continue
        yield from _walk(data)


def _walk(data: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 4:
        return
    if isinstance(data, list):
        for item in data:
            yield from _walk(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        for key in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement"):
            if key in data and isinstance(data[key], list | dict):
                yield from _walk(data[key], depth + 1)


def _types(obj: dict[str, Any]) -> list[str]:
    value = obj.get("@type")
    values = value if isinstance(value, list) else [value]
    return [v.lower().rsplit("/", 1)[-1] for v in values if isinstance(v, str)]


def _first_type(obj: dict[str, Any]) -> str | None:
    value = obj.get("@type")
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) else None


def _best_jsonld_article(tree: lxml_html.HtmlElement) -> dict[str, Any] | None:
    """The first article-typed object that has a headline or a date (a page may embed several)."""
    fallback = None
    for obj in _jsonld_objects(tree):
        if not any(t in _ARTICLE_TYPES for t in _types(obj)):
            continue
        if obj.get("headline") or obj.get("datePublished"):
            return obj
        fallback = fallback or obj
    return fallback


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("@value") or value.get("name")
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        text = _squash(str(value))
        if "&" in text and ";" in text:  # CMSs often put HTML-escaped text into JSON-LD
            text = _squash(html_lib.unescape(text))
        return text or None
    return None


def _ld_names(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, list):
            name = name[0] if name else None
        if isinstance(name, str) and name.strip() and not name.strip().startswith(("http://", "https://")):
            names.extend(_split_authors([name]))
    return list(dict.fromkeys(names))


_AUTHOR_SPLIT_RE = re.compile(r"\s*(?:,|;|\band\b|&|\bи\b)\s*")
_BY_RE = re.compile(r"^(?:by|автор|авторы|от)\s*:?\s+", re.IGNORECASE)


def _split_authors(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        value = _BY_RE.sub("", _squash(value))
        for part in _AUTHOR_SPLIT_RE.split(value):
            if part and len(part) <= 80:
                out.append(part)
    return list(dict.fromkeys(out))


_LEDE_XPATH = (
    "//body//*[self::div or self::p or self::h2 or self::section or self::header]"
    "[re:test(concat(@class, ' ', @id), 'summary|lead|lede|standfirst|intro|subtitle|teaser|excerpt|annotation', 'i')]"
)
_MIN_LEDE_CHARS = 80


def _visible_lede(tree: lxml_html.HtmlElement, description: str | None) -> str | None:
    """The page's visible standfirst, found as the element marked summary/lead/... whose text is the
    declared description. Extractors tuned for precision often drop it with the boilerplate."""
    if not description or len(description) < _MIN_LEDE_CHARS:
        return None
    wanted = _squash(description).rstrip(".…").strip()
    for el in tree.xpath(_LEDE_XPATH, namespaces={"re": "http://exslt.org/regular-expressions"}):
        text = _squash(el.text_content())
        if (
            text
            and len(text) <= 2 * len(wanted)
            and text.startswith(wanted[: max(_MIN_LEDE_CHARS, len(wanted) - 3)])
        ):
            return text
    return None


_BYLINE_XPATHS = (
    '//*[@itemprop="author"]//*[@itemprop="name"]',
    '//*[@itemprop="author" and not(.//*[@itemprop="name"])]',
    '//a[@rel="author"]',
    '//*[contains(concat(" ", normalize-space(@class), " "), " byline ")]//a',
)


def _byline_names(tree: lxml_html.HtmlElement) -> list[str]:
    """Visible author markup (schema.org microdata, rel=author, a byline's links) when nothing is declared."""
    for xpath in _BYLINE_XPATHS:
        names = [_squash(el.get("content") or el.text_content()) for el in tree.xpath(xpath)]
        names = [n for n in names if n and len(n) <= 80]
        if names:
            return _split_authors(names)
    return []


def _time_element(tree: lxml_html.HtmlElement) -> str | None:
    """A <time datetime> marked as the publication time, else the first one inside <article>.

    When the element's visible text shows no time of day ("19 May 2010") and the attribute is a UTC
    instant, the publisher gave a day: only the attribute's date is kept (CMSs write a made-up instant
    such as T12:00:00Z for a day field). An attribute in a local offset is the newsroom's clock: kept.
    """
    for xpath in (
        '//time[@itemprop="datePublished"][@datetime]',
        '//*[@itemprop="datePublished"][@content]',
        "//time[@pubdate][@datetime]",
        '//time[contains(@class, "publish")][@datetime]',
        "//article//time[@datetime]",
        "//time[@datetime]",
    ):
        for element in tree.xpath(xpath):
            value = str(element.get("datetime") or element.get("content") or "").strip()
            if not value or not re.search(r"\d{4}", value):
                continue
            shown = _squash(element.text_content() or "")
            if (
                element.tag == "time"
                and _UTC_RE.search(value)
                and re.search(r"\d{4}", shown)
                and not _CLOCK_RE.search(shown)
            ):
                day = re.match(r"\d{4}-\d{2}-\d{2}", value)
                if day:
                    return day.group(0)
            return value
    return None


_UTC_RE = re.compile(r"T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]00:?00)$")
_CLOCK_RE = re.compile(r"\d{1,2}[:.]\d{2}(?![.\d])|\d\s*[ap]\.?m\b", re.IGNORECASE)
