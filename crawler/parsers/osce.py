"""www.osce.org press releases and news items (Drupal).

The article is a small part of a page that carries the whole site navigation (fields of work, 57
participating states, structures, field operations) before it and share / related-stories blocks after
it, so every field is read from inside ``article.node`` only. The metadata block is a list of
``Date:`` / ``Source:`` / ``Fields of work:`` items; the body opens with a dateline
(``DUSHANBE, 19 May 2010 - ``). Anything not found stays None: the generic layer fills it and records
the fallback (``crawler.parsers.layered``).
"""

from __future__ import annotations

from crawler.parsers.site import BodyDateline, Labelled, Layout, SiteParser

PARSER = SiteParser(
    "osce",
    Layout(
        # osce.org never shows these on a press release; the generic layer need not look (it costs ~30 ms).
        no_fallback=("modified", "authors", "tags", "dateline"),
        scope_css=("article.node",),
        title_css=("h1.page-title",),
        content_type_css=(".content-type-label ::text",),
        labelled=Labelled(
            item_css="ul.node-metadata > li",
            label_css=".metadata-label ::text",
            value_css=".metadata-value",
            fields={"date": "published", "source": "publisher_unit", "fields of work": "tags"},
        ),
        date_css=(),
        body_css=(".field--name-body",),
        body_blocks=("p", "h2", "h3", "h4", "li", "blockquote"),
        attachment_css=(
            ".field--name-field-related-documents a::attr(href)",
            ".field--name-body a[href$='.pdf']::attr(href)",
            ".field--name-body a[href$='.docx']::attr(href)",
        ),
        summary_css=("meta[name=description]::attr(content)",),
        body_dateline=BodyDateline(),
    ),
)
