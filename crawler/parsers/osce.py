"""www.osce.org press releases and news items (Drupal).

The article is a small part of a page that carries the whole site navigation (fields of work, 57
participating states, structures, field operations) before it and share / related-stories blocks after
it, so every field is read from inside ``article.node`` only. The metadata block is a list of
``Date:`` / ``Source:`` / ``Fields of work:`` items; the body opens with a dateline
(``DUSHANBE, 19 May 2010 - ``). Anything not found stays None: the generic layer fills it and records
the fallback (``crawler.parsers.layered``).
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from parsel import Selector, SelectorList

from crawler.items import ParsedPage

_DATELINE = re.compile(
    r"^\s*(?P<place>[A-Z][A-Z .'\-]{1,40}[A-Z])\s*,\s*\d{1,2}\s+[A-Z][a-z]+\s+\d{4}\s*[-–—]\s"
)
_SPACES = re.compile(r"\s+")


def _clean(text: str | None) -> str:
    return _SPACES.sub(" ", text or "").strip()


_BLOCK_TAGS = frozenset({"p", "h2", "h3", "h4", "li", "blockquote"})


def _nested(block: object) -> bool:
    """A <p> inside a <li> or <blockquote> is read with its parent, not twice."""
    parent = block.getparent()  # type: ignore[attr-defined]
    while parent is not None:
        if parent.tag in _BLOCK_TAGS:
            return True
        if "field--name-body" in (parent.get("class") or ""):
            return False
        parent = parent.getparent()
    return False


class OsceParser:
    """A SiteParser for osce.org: selectors as constants, one method per field."""

    name = "osce"
    # osce.org never shows these on a press release; the generic layer need not look (it costs ~30 ms).
    absent_fields = ("modified", "authors", "tags", "dateline")

    ARTICLE = "article.node"
    TITLE = "h1.page-title ::text"
    CONTENT_TYPE = ".content-type-label ::text"
    METADATA_ITEMS = "ul.node-metadata > li"
    METADATA_LABEL = ".metadata-label ::text"
    METADATA_VALUE = ".metadata-value"
    DATE_ATTR = "time::attr(datetime)"
    BODY = ".field--name-body"
    BODY_BLOCKS_XPATH = ".//p | .//h2 | .//h3 | .//h4 | .//li | .//blockquote"
    ATTACHMENTS = (
        ".field--name-field-related-documents a::attr(href), "
        ".field--name-body a[href$='.pdf']::attr(href), .field--name-body a[href$='.docx']::attr(href)"
    )
    LANGUAGE = "html::attr(lang)"
    SUMMARY = "meta[name=description]::attr(content)"

    def parse(self, html: str, url: str) -> ParsedPage:
        page = Selector(text=html)
        article = page.css(self.ARTICLE) or page
        metadata = self.metadata(article)
        body = self.body(article)
        return ParsedPage(
            url=url,
            title=self.title(article),
            body=body,
            summary=self.summary(page),
            published=self.published(metadata),
            tags=self.fields_of_work(metadata),
            content_type=self.content_type(article),
            publisher_unit=self.source_unit(metadata),
            dateline=self.dateline(body),
            language=self.language(page),
            attachments=self.attachments(article, url),
            extraction="site",
        )

    def title(self, article: Selector | SelectorList) -> str | None:
        return _clean(" ".join(article.css(self.TITLE).getall())) or None

    def content_type(self, article: Selector | SelectorList) -> str | None:
        return _clean(article.css(self.CONTENT_TYPE).get()) or None

    def metadata(self, article: Selector | SelectorList) -> dict[str, Selector]:
        """The ``Label:`` → value node map of the metadata block."""
        found: dict[str, Selector] = {}
        for item in article.css(self.METADATA_ITEMS):
            label = _clean(item.css(self.METADATA_LABEL).get()).rstrip(":").lower()
            value = item.css(self.METADATA_VALUE)
            if label and value:
                found[label] = value[0]
        return found

    def published(self, metadata: dict[str, Selector]) -> str | None:
        node = metadata.get("date")
        if node is None:
            return None
        return node.css(self.DATE_ATTR).get() or _clean(" ".join(node.css("::text").getall())) or None

    def source_unit(self, metadata: dict[str, Selector]) -> str | None:
        node = metadata.get("source")
        return _clean(" ".join(node.css("::text").getall())) or None if node is not None else None

    def fields_of_work(self, metadata: dict[str, Selector]) -> list[str]:
        node = metadata.get("fields of work")
        if node is None:
            return []
        text = ", ".join(_clean(t) for t in node.css("::text").getall() if _clean(t))
        return list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))

    def body(self, article: Selector | SelectorList) -> str | None:
        container = article.css(self.BODY)
        if not container:
            return None
        # lxml directly: one text walk per block instead of a Selector per text node (this is the hot path)
        blocks = container[0].root.xpath(self.BODY_BLOCKS_XPATH)
        paragraphs = [_clean("".join(block.itertext())) for block in blocks if not _nested(block)]
        return "\n\n".join(p for p in paragraphs if p) or None

    def dateline(self, body: str | None) -> str | None:
        match = _DATELINE.match(body or "")
        return match.group("place") if match else None

    def attachments(self, article: Selector | SelectorList, url: str) -> list[str]:
        return list(
            dict.fromkeys(urljoin(url, href.strip()) for href in article.css(self.ATTACHMENTS).getall())
        )

    def summary(self, page: Selector) -> str | None:
        return _clean(page.css(self.SUMMARY).get()) or None

    def language(self, page: Selector) -> str | None:
        lang = _clean(page.css(self.LANGUAGE).get())
        return lang.split("-")[0].lower() or None


PARSER = OsceParser()
