"""Asia-Plus (asiaplustj.info): Drupal, one site with an English (/en/) and a Russian (/ru/) edition.

Article URLs carry the publication day (``/en/news/tajikistan/society/20240923/<slug>``); the page
prints the time in ``.article-date``. When the date element is missing the URL's day is used, which is
still exact to the day.
"""

from __future__ import annotations

import re

from crawler.parsers.site import Layout, SiteParser

PARSER = SiteParser(
    "asiaplus",
    Layout(
        no_fallback=("modified", "dateline"),  # never printed by the site
        title_css=("h1.article-title::text", "h1.title::text", "h1::text"),
        date_css=(
            ".article-date time::attr(datetime)",
            'meta[property="article:published_time"]::attr(content)',
        ),
        body_css=(".article-body .field--name-body", ".article-body", ".field--name-body"),
        drop_css=(".article-share", ".read-also", ".banner"),
        author_css=(".article-author a::text", ".article-author::text"),
        tag_css=(".article-tags a::text",),
        summary_css=(".article-lead::text", 'meta[property="og:description"]::attr(content)'),
        language="en",
        language_by_path={"/ru/": "ru"},
        published_from_url=re.compile(r"/(\d{4})(\d{2})(\d{2})/"),
    ),
)
