"""Eurasianet (eurasianet.org): a Drupal site; the Tajikistan region page is a listing of teasers.

Article pages print the title in ``h1.node-title``, the date in ``.node-date time`` and the body in the
``.field--name-body`` field; the ``.related-content`` and newsletter boxes inside it are dropped.
"""

from __future__ import annotations

from crawler.parsers.site import Layout, SiteParser

PARSER = SiteParser(
    "eurasianet",
    Layout(
        no_fallback=("dateline", "modified"),
        title_css=("h1.node-title::text", "h1.page-title span::text", "h1::text"),
        date_css=(
            ".node-date time::attr(datetime)",
            'meta[property="article:published_time"]::attr(content)',
            "time::attr(datetime)",
        ),
        body_css=(".node-article .field--name-body", ".field--name-body", "article"),
        drop_css=(".related-content", ".newsletter-signup", ".media-caption"),
        author_css=(".node-author a::text", 'meta[name="author"]::attr(content)'),
        tag_css=(".field--name-field-tags a::text",),
        summary_css=('meta[property="og:description"]::attr(content)',),
        language="en",
    ),
)
