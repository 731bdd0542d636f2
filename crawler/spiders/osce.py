"""The OSCE press-release spider: the Dushanbe office listing (all kept) and the OSCE-wide listing.

Everything incremental (conditional GET, known-URL checks, pagination limits) is in ``ListingSpider``;
this module adds what is OSCE-specific: reading a listing item's ``Publishing date`` / ``Content type`` /
``Where we are`` / ``What we do`` lines (a fallback for the article page, and for relevance: whatever
the Programme Office in Dushanbe publishes is kept, whichever listing it was found on).

Run it with ``newswatch crawl osce`` or, from the project root, ``scrapy crawl osce`` (defaults: the real
site and ``sqlite:///./var/newswatch.db``; ``-a backfill=1 -a max_pages=10`` to walk deeper).
"""

from __future__ import annotations

import re
from typing import Any

import scrapy
from scrapy.http import Response

from crawler.items import ListingHints
from crawler.sources import EntryPoint
from crawler.spiders.base import ListingSpider

_SPACES = re.compile(r"\s+")
OFFICE_PATTERN = re.compile(r"(Programme Office in Dushanbe|Office in Tajikistan|Centre in Dushanbe)", re.I)


def _text(node: scrapy.Selector | Any) -> str:
    return _SPACES.sub(" ", " ".join(node.css("::text").getall())).strip()


class OsceSpider(ListingSpider):
    name = "osce"
    source_key = "osce"

    LISTING_FIELD = ".listing-metadata > div, .listing-metadata > span"
    LISTING_LABEL = ".label ::text"
    LISTING_VALUE = ".value"
    TEASER = ".teaser"
    LABELS = {
        "publishing date": "published",
        "content type": "content_type",
        "where we are": "where",
        "what we do": "tags",
    }

    def listing_metadata(self, item: scrapy.Selector, response: Response) -> ListingHints:
        hints = ListingHints()
        for field in item.css(self.LISTING_FIELD):
            label = _SPACES.sub(" ", field.css(self.LISTING_LABEL).get() or "").strip().rstrip(":").lower()
            key = self.LABELS.get(label)
            value_node = field.css(self.LISTING_VALUE)
            value = _text(value_node[0]) if value_node else _text(field).split(":", 1)[-1].strip()
            if key == "tags":
                hints.tags = [part.strip() for part in value.split(",") if part.strip()]
            elif key and value:
                setattr(hints, key, value)
        teaser = item.css(self.TEASER)
        if teaser:
            hints.teaser = _text(teaser[0])
        return hints

    def item_always_relevant(self, entry: EntryPoint, metadata: ListingHints) -> bool:
        return entry.always_relevant or bool(OFFICE_PATTERN.search(metadata.where or ""))
