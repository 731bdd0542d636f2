"""Asia-Plus (asiaplustj.info): Drupal, one site with an English (/en/) and a Russian (/ru/) edition.

Article URLs carry the publication day (``/en/news/tajikistan/society/20240923/<slug>``); the page
prints the time in ``.article-date``. When the date element is missing the URL's day is used, which is
still exact to the day.
"""

from __future__ import annotations

import re

from crawler.items import ParsedPage
from crawler.parsers.selector_parser import SelectorParser

_URL_DAY = re.compile(r"/(\d{4})(\d{2})(\d{2})/")


class AsiaPlusParser:
    name = "asiaplus"
    absent_fields = ("modified", "dateline")  # never printed by the site: no generic pass for them

    def __init__(self) -> None:
        self._selectors = SelectorParser(
            name="asiaplus",
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
        )

    def parse(self, html: str, url: str) -> ParsedPage:
        page = self._selectors.parse(html, url)
        if page.language is None:
            page.language = "ru" if "/ru/" in url else "en"
        if page.published is None and (day := _URL_DAY.search(url)):
            page.published = "-".join(day.groups())
        return page


PARSER = AsiaPlusParser()
