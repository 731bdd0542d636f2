"""The one rule for a link we store or show: http(s) only, one line, nothing else.

An article's URL comes from a stranger's feed or page. ``javascript:``, ``data:`` and ``file:`` links
are refused at ingest (crawler.normalize), and every output that turns a stored URL into a link (the
web page, the Atom feed, the JSON API, the digest) passes it through ``safe_url`` too, so a row stored
before the ingest rule, or written by another tool, still cannot become a script link. It lives here,
in the lowest layer, because the crawler, the alerts and the web all need the same answer.
"""

from __future__ import annotations

from urllib.parse import urlsplit

SAFE_SCHEMES = frozenset({"http", "https"})


def safe_url(url: str | None) -> str | None:
    """``url`` stripped, if it is an absolute http(s) URL with a host and no control or space
    characters; else None (the caller shows no link).

    >>> safe_url(" https://example.org/a ")
    'https://example.org/a'
    >>> safe_url("javascript:alert(1)") is None
    True
    """
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in SAFE_SCHEMES or not parts.netloc:
        return None
    if any(ord(ch) < 33 or 0x7F <= ord(ch) <= 0x9F for ch in url):
        return None
    return url
