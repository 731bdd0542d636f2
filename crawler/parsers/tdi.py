"""The Diplomatic Insight (thediplomaticinsight.com): WordPress (Newspaper theme, ``.td-post-content``).

TDI opens its stories with a dateline of the form ``Dushanbe, 15 August 2022 (TDI):`` (see
shared/seeds/002_*). The place goes to ``ParsedPage.dateline`` and, when the page has no machine
date, the dateline's date becomes the publication date.
"""

from __future__ import annotations

import re

from crawler.items import ParsedPage
from crawler.parsers import wordpress as wp
from crawler.parsers.selector_parser import SelectorParser

DATELINE = re.compile(r"^\s*([A-Z][\w'\- ]{1,40}?),\s*(\d{1,2}\s+[A-Z][a-z]+\s+\d{4})\s*\(TDI\)\s*:")


class TdiParser:
    name = "tdi"
    absent_fields = ("modified",)  # never printed by the site: no generic pass for them

    def __init__(self) -> None:
        self._selectors = SelectorParser(
            name="tdi",
            title_css=("h1.tdb-title-text::text", "h1.entry-title::text", *wp.TITLE),
            date_css=("time.entry-date::attr(datetime)", *wp.DATE),
            modified_css=wp.MODIFIED,
            body_css=(".td-post-content", ".tdb_single_content .tdb-block-inner", *wp.BODY),
            drop_css=(*wp.DROP, ".td-a-rec", ".td-post-sharing"),
            author_css=(".td-post-author-name a::text", ".tdb-author-name::text", *wp.AUTHORS),
            tag_css=(".td-tags a::text", *wp.TAGS),
            summary_css=wp.SUMMARY,
            language="en",
        )

    def parse(self, html: str, url: str) -> ParsedPage:
        page = self._selectors.parse(html, url)
        found = dateline(page.body or "")
        if found:
            page.dateline = found[0]
            if page.published is None:
                page.published = found[1]
        return page


def dateline(body: str) -> tuple[str, str] | None:
    """``("Dushanbe", "15 August 2022")`` from a body starting ``Dushanbe, 15 August 2022 (TDI):``."""
    match = DATELINE.match(body)
    return (match.group(1).strip(), match.group(2)) if match else None


PARSER = TdiParser()
