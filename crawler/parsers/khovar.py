"""Khovar, Tajikistan's national news agency (khovar.tj): WordPress in Tajik (/) and Russian (/rus/).

Both editions share one theme; the body is ``.entry-content`` and the agency prints its own dateline
("ДУШАНБЕ, 23.09.2024 /АМИТ «Ховар»/.") as the first words, which the normaliser keeps in the text.
"""

from __future__ import annotations

import re

from crawler.items import ParsedPage
from crawler.parsers import wordpress as wp
from crawler.parsers.selector_parser import SelectorParser

_DATELINE = re.compile(
    r"^\s*([A-ZА-ЯЁҒӢҚӮҲҶ][A-ZА-ЯЁҒӢҚӮҲҶа-яёғӣқӯҳҷ\- ]{2,30}),\s*(\d{1,2}\.\d{1,2}\.\d{4})\s*/"
)


class KhovarParser:
    """WordPress selectors plus the agency dateline (place and date) from the first paragraph."""

    name = "khovar"
    absent_fields = ("modified", "authors")  # never printed by the site: no generic pass for them

    def __init__(self) -> None:
        self._selectors = SelectorParser(
            name="khovar",
            title_css=("h1.entry-title::text", "h1.post-title::text", *wp.TITLE),
            date_css=wp.DATE,
            modified_css=wp.MODIFIED,
            body_css=(".entry-content", *wp.BODY),
            drop_css=(*wp.DROP, ".post-views", ".ya-share2"),
            author_css=wp.AUTHORS,
            tag_css=wp.TAGS,
            summary_css=wp.SUMMARY,
        )

    def parse(self, html: str, url: str) -> ParsedPage:
        page = self._selectors.parse(html, url)
        if page.language is None:
            page.language = "ru" if "/rus/" in url else "tg"
        match = _DATELINE.match(page.body or "")
        if match:
            page.dateline = match.group(1).strip().title()
            if page.published is None:
                page.published = match.group(2)
        return page


PARSER = KhovarParser()
