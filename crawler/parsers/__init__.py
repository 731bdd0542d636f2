"""Page parsers: one module per site (``osce``, ...), plus the generic and layered extractors.

``extract_article(html, url, site_parser)`` is what spiders call: the site parser first, the generic
extractor (``extract_generic``) for every field it misses.
"""

from crawler.parsers.generic import extract_generic
from crawler.parsers.layered import extract_article

__all__ = ["extract_article", "extract_generic"]
