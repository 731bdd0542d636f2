"""The Diplomatic Insight (thediplomaticinsight.com): WordPress (Newspaper theme, ``.td-post-content``).

TDI opens its stories with a dateline of the form ``Dushanbe, 15 August 2022 (TDI):`` (see
shared/seeds/002_*). The place goes to ``ParsedPage.dateline`` and, when the page has no machine
date, the dateline's date becomes the publication date.
"""

from __future__ import annotations

from crawler.parsers import wordpress as wp
from crawler.parsers.site import BodyDateline, Layout, SiteParser

PARSER = SiteParser(
    "tdi",
    Layout(
        no_fallback=("modified",),  # never printed by the site
        title_css=("h1.tdb-title-text::text", "h1.entry-title::text", *wp.TITLE),
        date_css=("time.entry-date::attr(datetime)", *wp.DATE),
        modified_css=wp.MODIFIED,
        body_css=(".td-post-content", ".tdb_single_content .tdb-block-inner", *wp.BODY),
        drop_css=(*wp.DROP, ".td-a-rec", ".td-post-sharing"),
        author_css=(".td-post-author-name a::text", ".tdb-author-name::text", *wp.AUTHORS),
        tag_css=(".td-tags a::text", *wp.TAGS),
        summary_css=wp.SUMMARY,
        body_dateline=BodyDateline(),
        language="en",
    ),
)
