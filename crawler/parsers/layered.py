"""Site parser first, generic extraction for whatever it missed.

Site parsers know their pages exactly but break silently when a site is redesigned; the generic layer
is never exact but rarely finds nothing. Layering them means a redesign degrades an article (marked in
``fallback_fields``, visible in the crawl report) instead of losing it.
"""

from __future__ import annotations

import datetime as dt
import logging

from crawler.items import PageParser, ParsedPage
from crawler.parsers.generic import extract_generic

__all__ = ["extract_article", "FILLABLE_FIELDS"]

log = logging.getLogger(__name__)

# Fields the generic layer can fill, in the order they are reported.
FILLABLE_FIELDS = (
    "title",
    "body",
    "published",
    "modified",
    "authors",
    "summary",
    "language",
    "tags",
    "dateline",
)


def extract_article(
    html: str, url: str, site_parser: PageParser | None = None, date: dt.date | None = None
) -> ParsedPage:
    """Run ``site_parser`` (if any), then fill each missing field from ``extract_generic``.

    Filled fields are listed in ``page.fallback_fields``; ``page.extraction`` becomes ``'generic'`` when
    the body came from the generic layer. A site parser that raises is logged and counts as finding nothing.
    Fields the page lists in ``no_fallback_fields`` are never filled (its site does not print them); when
    nothing else is missing, the generic extractor does not run at all. ``date`` (the page's date, when
    the caller knows it) picks the site parser's layout.
    """
    page = _run_site_parser(site_parser, html, url, date) if site_parser is not None else None
    if page is None:
        page = ParsedPage(url=url, extraction="generic" if site_parser is None else "site")
    absent = set(page.no_fallback_fields)
    missing = [name for name in FILLABLE_FIELDS if _is_empty(getattr(page, name)) and name not in absent]
    if not missing:
        return page
    generic = extract_generic(html, url)
    for name in missing:
        value = getattr(generic, name)
        if _is_empty(value):
            continue
        setattr(page, name, value)
        if site_parser is not None:
            page.fallback_fields.append(name)
    if "body" in missing and not _is_empty(page.body):
        page.extraction = "generic"
    return page


def _run_site_parser(parser: PageParser, html: str, url: str, date: dt.date | None) -> ParsedPage | None:
    try:
        page = parser.parse(html, url, date)
    except Exception:  # a site parser's bug must not lose the article
        log.warning("site parser %s failed on %s", parser.name, url, exc_info=True)
        return None
    if not isinstance(page, ParsedPage):
        log.warning("site parser %s returned %r, not a ParsedPage", parser.name, type(page))
        return None
    if not page.url:
        page.url = url
    return page


def _is_empty(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple):
        return len(value) == 0
    return False
