"""A site parser made of CSS selectors, shared by the regional outlets' modules.

Each regional site (WordPress, Drupal, Pangea, Eurasianet's own CMS) differs only in where its title,
date, authors and body live, so a site module is a ``SelectorParser`` with that site's selectors. The
parser returns only what the selectors found (``None`` otherwise): filling gaps from metadata or
trafilatura is the generic layer's job (``crawler.parsers.layered``), which records the fallback so the
canary can report a site whose markup changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from parsel import Selector, SelectorList

from crawler.items import ParsedPage

# Block elements whose text forms the body's paragraphs.
BLOCKS = ("p", "h2", "h3", "h4", "h5", "li", "blockquote", "pre", "table")
# Always removed inside a body before reading it: scripts, embeds, share bars, related-article boxes.
ALWAYS_DROP = (
    "script", "style", "noscript", "iframe", "figure", "figcaption", "form", "button",
    ".sharedaddy", ".share", ".social", ".related", ".jp-relatedposts", ".wp-caption-text",
)  # fmt: skip


@dataclass(frozen=True)
class SelectorParser:
    """Selectors for one site. Each ``*_css`` tuple is tried in order; the first hit wins."""

    name: str
    title_css: Sequence[str] = ("h1::text",)
    date_css: Sequence[str] = ("time::attr(datetime)",)
    modified_css: Sequence[str] = ()
    body_css: Sequence[str] = ("article",)
    drop_css: Sequence[str] = ()
    author_css: Sequence[str] = ()
    tag_css: Sequence[str] = ()
    summary_css: Sequence[str] = ()
    dateline_css: Sequence[str] = ()
    language: str | None = None  # the edition's language when the page does not declare it
    absent_fields: tuple[str, ...] = ()  # fields this site never prints: the generic layer skips them
    body_filter: Callable[[list[str]], list[str]] | None = field(default=None, compare=False)

    def parse(self, html: str, url: str) -> ParsedPage:
        page = Selector(text=html)
        # Metadata first: reading the body drops nodes (embeds, datelines) from the shared tree.
        parsed = ParsedPage(
            url=url,
            title=_first_text(page, self.title_css),
            summary=_first_text(page, self.summary_css),
            published=_first_text(page, self.date_css),
            modified=_first_text(page, self.modified_css),
            authors=_all_texts(page, self.author_css),
            tags=_all_texts(page, self.tag_css),
            dateline=(_first_text(page, self.dateline_css) or "").rstrip(" —–-:,") or None,
            language=_declared_language(page) or self.language,
            extraction="site",
        )
        body_el = _first_node(page, self.body_css)
        paragraphs = self._paragraphs(body_el) if body_el is not None else []
        if self.body_filter is not None:
            paragraphs = self.body_filter(paragraphs)
        parsed.body = "\n\n".join(paragraphs) or None
        return parsed

    def _paragraphs(self, body: Selector) -> list[str]:
        for css in (*ALWAYS_DROP, *self.drop_css):
            for node in body.css(css):
                node.drop()
        # Document order; a block nested in another block (a <p> in a <blockquote>) is read with its parent.
        blocks = body.xpath(" | ".join(f".//{tag}" for tag in BLOCKS))
        texts: list[str] = []
        for block in blocks:
            if _inside_other_block(block, body):
                continue
            text = _text(block)
            if text:
                texts.append(text)
        if not texts:  # a body made of bare text and <br>s
            text = "\n\n".join(
                t for t in (" ".join(s.split()) for s in body.xpath(".//text()").getall()) if t
            )
            return [text] if text else []
        return texts


def _inside_other_block(block: Selector, body: Selector) -> bool:
    """Is this block nested in another block that lies within the body (so its text is already read)?"""
    body_node = body.root
    parent = block.root.getparent()
    while parent is not None and parent is not body_node:
        if parent.tag in BLOCKS:
            return True
        parent = parent.getparent()
    return False


def _text(node: Selector) -> str:
    return " ".join(" ".join(node.xpath(".//text()").getall()).split())


def _first_node(page: Selector, selectors: Sequence[str]) -> Selector | None:
    for css in selectors:
        found: SelectorList = page.css(css)
        if found:
            return found[0]
    return None


def _first_text(page: Selector, selectors: Sequence[str]) -> str | None:
    for css in selectors:
        for value in page.css(css).getall():
            text = " ".join(re.sub(r"<[^>]+>", " ", value).split())
            if text:
                return text
    return None


def _all_texts(page: Selector, selectors: Sequence[str]) -> list[str]:
    for css in selectors:
        values = [" ".join(v.split()) for v in page.css(css).getall()]
        values = [v for v in dict.fromkeys(values) if v]
        if values:
            return values
    return []


def _declared_language(page: Selector) -> str | None:
    lang = page.css("html::attr(lang)").get() or page.css('meta[property="og:locale"]::attr(content)').get()
    if not lang:
        return None
    return lang.replace("_", "-").split("-")[0].lower() or None
