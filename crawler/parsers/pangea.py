"""Pangea, the CMS of RFE/RL and VOA: Radio Ozodi (ozodi.org) and every other service on it.

All Pangea sites share the article template: the title in ``h1.pg-title``, the date in the
``.published time[datetime]``, the body in ``#article-content .wsw`` (paragraphs, ``wsw__h4``
subheads), embeds in ``.wsw__embed`` and a ``span.dateline`` ("AUBURN, Wash. —") before the text.
Checked against real polygraph.info and voanews.com pages with gold bodies (tests/test_regional_parsers.py).
"""

from __future__ import annotations

from crawler.parsers.site import Layout, SiteParser

PARSER = SiteParser(
    "pangea",
    Layout(
        no_fallback=("modified",),
        title_css=("h1.pg-title::text", "h1.title::text", 'meta[property="og:title"]::attr(content)'),
        date_css=(".published time::attr(datetime)", "time[datetime]::attr(datetime)"),
        body_css=("#article-content .wsw", ".wsw"),
        drop_css=(".wsw__embed", "div.clear", "span.dateline", ".media-block", ".infographics", ".quiz"),
        author_css=(".publishing-details .links__item-link::text", ".authors .links__item-link::text"),
        tag_css=(".category a::text",),
        summary_css=('meta[name="description"]::attr(content)',),
        dateline_css=("#article-content span.dateline::text",),
    ),
)
