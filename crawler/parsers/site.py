"""One shape for every site parser: CSS selectors per field, a few options, and dated versions.

A site differs from another only in where its title, date, authors and body live, plus a handful of
habits (a dateline opening the body, the edition's language in the URL path, a ``Label: value`` metadata
list). So a site module is data: a ``SiteParser`` holding one ``Layout`` per version of the site's
markup. A redesign adds a ``Layout`` and closes the old one with ``valid_until`` (as fundus versions its
parsers); the old one keeps reading the pages published under it, and no ``if old_layout:`` ever appears.

The parser returns only what the selectors found (``None`` otherwise): filling gaps from metadata or
trafilatura is the generic layer's job (``crawler.parsers.layered``), which records the fallback so the
canary can report a site whose markup changed. Fields a layout lists in ``no_fallback`` are ones the site
never prints; the generic layer does not look for them (that costs ~30 ms a page).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin

from lxml import etree
from parsel import Selector, SelectorList

from crawler.items import ParsedPage
from crawler.normalize.dateline import parse_dateline
from crawler.normalize.dates import parse_published

# Block elements whose text forms the body's paragraphs.
BLOCKS = ("p", "h2", "h3", "h4", "h5", "li", "blockquote", "pre", "table")
# Always removed inside a body before reading it: scripts, embeds, share bars, related-article boxes.
ALWAYS_DROP = (
    "script", "style", "noscript", "iframe", "figure", "figcaption", "form", "button",
    ".sharedaddy", ".share", ".social", ".related", ".jp-relatedposts", ".wp-caption-text",
)  # fmt: skip
_SPACES = re.compile(r"\s+")
_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Labelled:
    """A list of ``Label: value`` items (OSCE's ``Date:`` / ``Source:`` / ``Fields of work:`` block).

    ``fields`` maps a label (lower case, without the colon) to the ParsedPage field it fills. A list field
    (tags, authors) splits the value at commas; ``published`` prefers the visible text (its precision is the publisher's) to a ``<time datetime>``.
    """

    item_css: str
    label_css: str
    value_css: str
    fields: Mapping[str, str]


@dataclass(frozen=True)
class BodyDateline:
    """The site opens its bodies with a dateline, e.g. ``Dushanbe, 15 August 2022 (TDI):``.

    Every site's dateline is read by the one shared reader, ``crawler.normalize.dateline`` (golden-tested
    on the forms all the sources print); its place fills ``dateline`` (capitals are only style:
    ``ДУШАНБЕ`` becomes ``Душанбе``) and its day the publication date when the page has no other.
    """


@dataclass(frozen=True)
class Layout:
    """One version of a site's markup. Each ``*_css`` tuple is tried in order; the first hit wins.

    A selector with ``::text`` / ``::attr(...)`` gives that value; one without gives the element's whole
    text. Fields are read inside ``scope_css`` (the article element, when the page carries a whole site
    around it), except ``summary`` and ``language``, which pages declare in their head.
    """

    valid_until: dt.date | None = None  # the last day this markup was served; None: the current one
    scope_css: Sequence[str] = ()
    title_css: Sequence[str] = ("h1::text",)
    date_css: Sequence[str] = ("time::attr(datetime)",)
    modified_css: Sequence[str] = ()
    body_css: Sequence[str] = ("article",)
    drop_css: Sequence[str] = ()
    body_blocks: Sequence[str] = BLOCKS
    author_css: Sequence[str] = ()
    tag_css: Sequence[str] = ()
    summary_css: Sequence[str] = ()
    dateline_css: Sequence[str] = ()
    content_type_css: Sequence[str] = ()
    attachment_css: Sequence[str] = ()  # links (``::attr(href)``) to attached documents
    labelled: Labelled | None = None
    body_dateline: BodyDateline | None = None
    language: str | None = None  # the edition's language when neither the page nor the URL says
    language_by_path: Mapping[str, str] = field(default_factory=dict)  # {"/ru/": "ru"}: first match wins
    published_from_url: re.Pattern[str] | None = None  # groups year, month, day (exact to the day)
    no_fallback: tuple[str, ...] = ()  # fields this site never prints: the generic layer skips them

    def read(self, html: str, url: str) -> ParsedPage:
        page = Selector(text=html)
        scope = _first_node(page, self.scope_css) or page
        # Metadata first: reading the body drops nodes (embeds, datelines) from the shared tree.
        parsed = ParsedPage(
            url=url,
            title=_first_text(scope, self.title_css),
            summary=_first_text(page, self.summary_css),
            published=_first_text(scope, self.date_css),
            modified=_first_text(scope, self.modified_css),
            authors=_all_texts(scope, self.author_css),
            tags=_all_texts(scope, self.tag_css),
            content_type=_first_text(scope, self.content_type_css),
            dateline=(_first_text(scope, self.dateline_css) or "").rstrip(" —–-:,") or None,
            language=_declared_language(page) or self._language_of(url),
            attachments=list(
                dict.fromkeys(
                    urljoin(url, href.strip())
                    for href in _all_values(scope, self.attachment_css)
                    if href.strip()
                )
            ),
            extraction="site",
            no_fallback_fields=self.no_fallback,
        )
        if self.labelled is not None:
            _read_labelled(scope, self.labelled, parsed)
        body_el = _first_node(scope, self.body_css)
        paragraphs = self._paragraphs(body_el) if body_el is not None else []
        parsed.body = "\n\n".join(paragraphs) or None
        if self.body_dateline is not None and parsed.body:
            self._read_dateline(parsed)
        if parsed.published is None and self.published_from_url is not None:
            if day := self.published_from_url.search(url):
                parsed.published = "-".join(day.groups())
        return parsed

    def _language_of(self, url: str) -> str | None:
        return next((lang for part, lang in self.language_by_path.items() if part in url), self.language)

    def _read_dateline(self, parsed: ParsedPage) -> None:
        assert self.body_dateline is not None and parsed.body is not None
        found = parse_dateline(parsed.body)
        if found is None:
            return
        parsed.dateline = found.place
        if parsed.published is None and found.date is not None:
            parsed.published = found.date

    def _paragraphs(self, body: Selector) -> list[str]:
        for node in body.css(", ".join((*ALWAYS_DROP, *self.drop_css))):
            node.drop()
        # lxml directly (one text walk per block, not a Selector per text node: this is the hot path).
        # Document order; a block nested in another block (a <p> in a <blockquote>) is read with its parent.
        root = body.root
        blocks = set(self.body_blocks)
        texts = []
        for block in root.xpath(" | ".join(f".//{tag}" for tag in self.body_blocks)):
            if not _inside_other_block(block, root, blocks):
                text = _clean(" ".join(block.xpath(".//text()")))
                if text:
                    texts.append(text)
        if not texts:  # a body made of bare text and <br>s
            text = "\n\n".join(t for t in (_clean(s) for s in root.xpath(".//text()")) if t)
            return [text] if text else []
        return texts


class SiteParser:
    """A site's parser: its name and its layouts, oldest first; the page's date picks the layout.

    ``parse(html, url, date)`` reads with the layout that was current on ``date``. Without a date, the
    page's own date decides: the date the latest layout reads (or, when it finds none, the first date an
    older layout reads, newest first); a page with no date at all is read with the latest layout.
    """

    def __init__(self, name: str, *versions: Layout) -> None:
        if not versions:
            raise ValueError(f"site parser {name!r}: give at least one Layout")
        ordered = sorted(versions, key=lambda v: v.valid_until or dt.date.max)
        if any(v.valid_until is None for v in ordered[:-1]):
            raise ValueError(f"site parser {name!r}: only the latest Layout may leave valid_until unset")
        self.name = name
        self.versions: tuple[Layout, ...] = tuple(ordered)

    @property
    def latest(self) -> Layout:
        return self.versions[-1]

    def version_for(self, date: dt.date | None) -> Layout:
        """The layout served on ``date``: the first whose ``valid_until`` is not before it."""
        if date is not None:
            for version in self.versions:
                if version.valid_until is None or date <= version.valid_until:
                    return version
        return self.latest

    def parse(self, html: str, url: str, date: dt.date | None = None) -> ParsedPage:
        if date is not None:
            return self.version_for(date).read(html, url)
        page = self.latest.read(html, url)
        if len(self.versions) == 1:
            return page
        day = _day(page.published)
        if day is None:  # the latest layout cannot even find the date: ask the older ones, newest first
            day = next(
                (d for v in reversed(self.versions[:-1]) if (d := _day(v.read(html, url).published))), None
            )
        chosen = self.version_for(day)
        return page if chosen is self.latest else chosen.read(html, url)

    def __repr__(self) -> str:
        return (
            f"<SiteParser {self.name} ({len(self.versions)} layout{'s' if len(self.versions) > 1 else ''})>"
        )


def _day(value: str | dt.date | None) -> dt.date | None:
    if value is None:
        return None
    published = parse_published(value, zone=dt.UTC)
    return published.day if published is not None else None


def _clean(text: str | None) -> str:
    return _SPACES.sub(" ", text or "").strip()


def _is_value_selector(css: str) -> bool:
    return "::" in css


def _inside_other_block(block: etree._Element, body: etree._Element, blocks: set[str]) -> bool:
    """Is this block nested in another block that lies within the body (so its text is already read)?"""
    parent = block.getparent()
    while parent is not None and parent is not body:
        if parent.tag in blocks:
            return True
        parent = parent.getparent()
    return False


def _first_node(page: Selector | SelectorList[Selector], selectors: Sequence[str]) -> Selector | None:
    for css in selectors:
        found = page.css(css)
        if found:
            return found[0]
    return None


def _values(page: Selector, css: str) -> list[str]:
    """The selector's values: ``::text``/``::attr`` values as they are, else each element's whole text."""
    if _is_value_selector(css):
        return [_clean(_TAGS.sub(" ", value)) for value in page.css(css).getall()]
    return [_clean(" ".join(node.xpath(".//text()").getall())) for node in page.css(css)]


def _first_text(page: Selector, selectors: Sequence[str]) -> str | None:
    for css in selectors:
        for text in _values(page, css):
            if text:
                return text
    return None


def _all_texts(page: Selector, selectors: Sequence[str]) -> list[str]:
    for css in selectors:
        values = [v for v in dict.fromkeys(_values(page, css)) if v]
        if values:
            return values
    return []


def _all_values(page: Selector, selectors: Sequence[str]) -> list[str]:
    return [value for css in selectors for value in page.css(css).getall()]


def _read_labelled(scope: Selector, spec: Labelled, parsed: ParsedPage) -> None:
    for item in scope.css(spec.item_css):
        label = _clean(item.css(spec.label_css).get()).rstrip(":").lower()
        target = spec.fields.get(label)
        value = item.css(spec.value_css)
        if not target or not value:
            continue
        node = value[0]
        texts = [_clean(t) for t in node.css("::text").getall()]
        if target in ("tags", "authors"):
            joined = ", ".join(t for t in texts if t)
            setattr(parsed, target, list(dict.fromkeys(p.strip() for p in joined.split(",") if p.strip())))
        elif target == "published":
            # The visible text first: it says what the publisher gave ("19 May 2010", a day); the datetime
            # attribute of a date-only field is a made-up instant (Drupal writes T12:00:00Z).
            parsed.published = _clean(" ".join(texts)) or node.css("time::attr(datetime)").get() or None
        else:
            setattr(parsed, target, _clean(" ".join(texts)) or None)


def _declared_language(page: Selector) -> str | None:
    lang = page.css("html::attr(lang)").get() or page.css('meta[property="og:locale"]::attr(content)').get()
    if not lang:
        return None
    return lang.replace("_", "-").split("-")[0].lower() or None
