"""The Times of Central Asia (timesca.com): a WordPress theme with ``.single-post-content`` bodies.

Articles live at ``https://timesca.com/<slug>/``; the Tajikistan category feed announces them.
"""

from __future__ import annotations

from crawler.parsers import wordpress as wp
from crawler.parsers.site import Layout, SiteParser

PARSER = SiteParser(
    "timesca",
    Layout(
        no_fallback=("dateline",),
        title_css=("h1.single-post-title::text", *wp.TITLE),
        date_css=wp.DATE,
        modified_css=wp.MODIFIED,
        body_css=(".single-post-content", *wp.BODY),
        drop_css=(*wp.DROP, ".tca-subscribe", ".tca-related"),
        author_css=(".single-post-author a::text", *wp.AUTHORS),
        tag_css=wp.TAGS,
        summary_css=wp.SUMMARY,
        language="en",
    ),
)
