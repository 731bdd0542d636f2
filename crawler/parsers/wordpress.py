"""Selectors every WordPress news theme shares, so a WordPress site module only adds its theme's own.

WordPress (The Times of Central Asia, The Diplomatic Insight, Khovar) always prints the Open Graph
``article:published_time`` meta, ``rel="tag"`` links and an ``.entry-content`` body unless the theme
renames it; site modules put their theme's selectors first and these after them.
"""

from __future__ import annotations

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
