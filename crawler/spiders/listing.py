"""Crawling a listing page whose selectors all come from the registry (e.g. Eurasianet's region page).

The shared ``ListingSpider`` (crawler/spiders/base.py) already walks pages, checks links against the
archive in one query and stops when a page is all known. This spider adds the per-item metadata a
registry entry can name in its ``extra`` table, so a new site needs no Python:

    [[sources.eurasianet.entry]]
    kind = "listing"
    path = "/region/tajikistan"
    item_selector = "div.teaser"
    link_selector = "h2 a::attr(href)"
    page_param = "page"
    extra = { date_selector = "time::attr(datetime)", title_selector = "h2 a::text",
              tags_selector = ".teaser-tags a::text" }

The listing's date and tags are the fallback for what the article page lacks (and are recorded as such).
A date the listing (or a feed, or a news sitemap) states for the item is preferred over one the generic
layer guessed from the page text: the guess is often a footer's copyright year. The feed and sitemap
spiders inherit this.
"""

from __future__ import annotations

import scrapy
from scrapy.http import Response

from crawler.items import ListingHints, ParsedPage
from crawler.spiders.base import ListingSpider

METADATA_SELECTORS = {
    "published": "date_selector",
    "title": "title_selector",
    "content_type": "type_selector",
}


class SelectorListingSpider(ListingSpider):
    """A ListingSpider whose item metadata selectors are read from the entry's ``extra`` table."""

    name = "selector_listing"

    def listing_metadata(self, item: scrapy.Selector, response: Response) -> ListingHints:
        entry = self.source.entries[response.meta["entry_index"]]
        extra = entry.option("extra", {}) or {}

        def text(key: str) -> str | None:
            selector = extra.get(key)
            return " ".join(" ".join(item.css(selector).getall()).split()) or None if selector else None

        tags = (
            [" ".join(t.split()) for t in item.css(extra["tags_selector"]).getall()]
            if extra.get("tags_selector")
            else []
        )
        return ListingHints(
            published=text("date_selector"),
            title=text("title_selector"),
            content_type=text("type_selector"),
            tags=[t for t in tags if t],
        )

    @staticmethod
    def fill_from_listing(page: ParsedPage, listing: ListingHints) -> None:
        if listing.published and "published" in page.fallback_fields:
            page.published = None  # a generic guess loses to the date the listing states
            page.fallback_fields = [name for name in page.fallback_fields if name != "published"]
        ListingSpider.fill_from_listing(page, listing)
