"""WordPress news themes: the selectors they all share, and a parser for a WordPress site without a module.

WordPress (The Times of Central Asia, The Diplomatic Insight, Khovar) always prints the Open Graph
``article:published_time`` meta, ``rel="tag"`` links and an ``.entry-content`` body unless the theme
renames it. A WordPress source needs only its registry table with ``parser = "wordpress"``; a theme with
its own class names gets a small module that puts its selectors before these (see ``timesca``).
"""

from __future__ import annotations

from crawler.parsers.site import Layout, SiteParser

TITLE = ("h1.entry-title::text", "h1.post-title::text", "h1.jeg_post_title::text", "h1::text")
DATE = (
    'meta[property="article:published_time"]::attr(content)',
    "time.entry-date.published::attr(datetime)",
    "time.entry-date::attr(datetime)",
    "article time::attr(datetime)",
)
MODIFIED = ('meta[property="article:modified_time"]::attr(content)', "time.updated::attr(datetime)")
BODY = (".entry-content", ".post-content", ".td-post-content", ".content-inner", "article")
DROP = (".sharedaddy", ".addtoany_share_save_container", ".yarpp-related", ".post-tags", ".code-block")
AUTHORS = ('meta[name="author"]::attr(content)', ".author.vcard a::text", ".byline a::text")
TAGS = ('meta[property="article:tag"]::attr(content)', 'a[rel="tag"]::text')
SUMMARY = ('meta[property="og:description"]::attr(content)', 'meta[name="description"]::attr(content)')

PARSER = SiteParser(
    "wordpress",
    Layout(
        title_css=TITLE,
        date_css=DATE,
        modified_css=MODIFIED,
        body_css=BODY,
        drop_css=DROP,
        author_css=AUTHORS,
        tag_css=TAGS,
        summary_css=SUMMARY,
    ),
)
