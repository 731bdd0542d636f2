"""Khovar, Tajikistan's national news agency (khovar.tj): WordPress in Tajik (/) and Russian (/rus/).

Both editions share one theme; the body is ``.entry-content`` and the agency prints its own dateline
("ДУШАНБЕ, 23.09.2024 /АМИТ «Ховар»/.") as the first words, which the normaliser keeps in the text.
"""

from __future__ import annotations

from crawler.parsers import wordpress as wp
from crawler.parsers.site import BodyDateline, Layout, SiteParser

PARSER = SiteParser(
    "khovar",
    Layout(
        no_fallback=("modified", "authors"),  # never printed by the site
        title_css=("h1.entry-title::text", "h1.post-title::text", *wp.TITLE),
        date_css=wp.DATE,
        modified_css=wp.MODIFIED,
        body_css=(".entry-content", *wp.BODY),
        drop_css=(*wp.DROP, ".post-views", ".ya-share2"),
        author_css=wp.AUTHORS,
        tag_css=wp.TAGS,
        summary_css=wp.SUMMARY,
        body_dateline=BodyDateline(),
        language="tg",
        language_by_path={"/rus/": "ru"},
    ),
)
