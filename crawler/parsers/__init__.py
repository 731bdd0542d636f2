"""Page parsers: one module per site (``osce``, ...), plus the generic and layered extractors.

``extract_article(html, url, site_parser)`` is what spiders call: the site parser first, the generic
extractor (``extract_generic``) for every field it misses.

Every site module is data of one shape (``site.SiteParser`` of dated ``site.Layout``s) in a module-level
``PARSER``; a source names it with ``parser = "<module>"`` in crawler/sources.toml. To add a site: a
WordPress one needs only its registry table (``parser = "wordpress"``); another adds a module of selectors
(see ``timesca`` or ``eurasianet``, ~25 lines), golden pages under tests/golden/<source key>/ and nothing
else (the golden tests walk the registry). When a site is redesigned, give the current ``Layout`` a
``valid_until`` and add the new one after it, with golden pages of its own.
"""

from crawler.parsers.generic import extract_generic
from crawler.parsers.layered import extract_article

__all__ = ["extract_article", "extract_generic"]
