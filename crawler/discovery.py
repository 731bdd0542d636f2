"""Finding a site's articles when its registry entry points fail: the discovery ladder's rungs.

A source's entry points were written from CMS conventions; a real site that differs or is redesigned
must not make the source silently collect nothing. Each function here reads a page (or robots.txt) the
crawler already fetched and answers one question, with no network and no Scrapy:

- ``announced_feeds``: the feeds a page announces with ``<link rel="alternate" type="...rss+xml">``;
- ``common_feed_urls``: where the common CMS put their feed (WordPress ``/feed/``, ``/rss`` ...);
- ``robots_sitemaps`` / ``common_sitemap_urls``: ``Sitemap:`` lines of robots.txt, then the usual paths;
- ``article_links``: links of a listing or home page that look like articles (``looks_like_article``).

Every URL a page gives us is untrusted: only http(s) URLs on the source's own hosts are returned, so
a page cannot steer the crawler to another site (or to a ``file:``/``javascript:`` URL).

Figures on real pages (tests/test_discovery_realdata.py, fundus corpus, 258 pages of ~150 publishers):
see ``/work/notes/issue-12.md`` for the measured feed detection and URL-shape precision/recall.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.html
from courlan import is_navigation_page, is_not_crawlable
from tld import get_fld

FEED_TYPES = {
    "application/rss+xml": "rss",
    "application/atom+xml": "atom",
    "application/feed+json": "json",
    "application/rdf+xml": "rdf",
}

# Where the common CMS serve their main feed, most frequent first (WordPress, Drupal, Ghost/Hugo/Jekyll,
# Pangea, Blogger). Tried in order only when the page announces no feed.
COMMON_FEED_PATHS = (
    "/feed/",
    "/rss",
    "/rss.xml",
    "/feed.xml",
    "/atom.xml",
    "/index.xml",
    "/feeds/posts/default",
)

COMMON_SITEMAP_PATHS = ("/sitemap.xml", "/sitemap_index.xml", "/news-sitemap.xml", "/sitemap-news.xml")

# Path segments of pages that list or describe articles rather than being one.
NOT_ARTICLE_SEGMENTS = frozenset(
    {
        "tag",
        "tags",
        "category",
        "categories",
        "author",
        "authors",
        "page",
        "search",
        "feed",
        "rss",
        "topic",
        "topics",
        "login",
        "register",
        "subscribe",
        "wp-content",
        "wp-admin",
        "wp-json",
        "contact",
        "about",
        "impressum",
        "privacy",
    }
)

# A date in the path (/2024/05/16/, /2024-05-16/, /20240516/) followed by a segment that names one page
# (has a separator, a digit or ten letters; not a day number): the date alone, or with a short word
# (``/2025/01/05/news/``), is the site's day or month archive, a listing.
_DATE_THEN_MORE = re.compile(
    r"/(?:(?:19|20)\d\d[/-](?:0?[1-9]|1[0-2])(?:[/-][0-3]?\d)?|(?:19|20)\d\d(?:0[1-9]|1[0-2])[0-3]\d)"
    r"/+(?![0-3]?\d(?:/|$))(?:[^/]*[-_.,\d][^/]*|[^/]{10,})"
)
# An eight-digit YYYYMMDD segment is a date, not an id.
_COMPACT_DATE = re.compile(r"(?<!\d)(?:19|20)\d\d(?:0[1-9]|1[0-2])[0-3]\d(?!\d)")
_LONG_NUMBER = re.compile(r"(?<![0-9])\d{5,}(?![0-9])")
_MIXED_ID = re.compile(r"(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{7,}")
_PAGE_EXTENSION = re.compile(r"\.(s?html?|php|aspx?|cms)$", re.I)
_WORD_SPLIT = re.compile(r"[-_+.,]+")
_FILE_EXTENSION = re.compile(r"\.(jpe?g|png|gif|webp|svg|pdf|zip|mp3|mp4|css|js|xml|json|ico)$", re.I)


@dataclass(frozen=True, slots=True)
class AnnouncedFeed:
    """A feed a page announces in its ``<head>``: where it is, its format and its title."""

    url: str
    format: str
    title: str | None = None


def site_host(url: str) -> str:
    """The host a URL lives on, lower-case and without ``www.`` (as ``Source.hosts`` holds them)."""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def registrable_domain(host: str) -> str:
    """``rss.orf.at`` -> ``orf.at`` (public suffix list via ``tld``); an IP or a bare name stays as it is."""
    return get_fld(host, fix_protocol=True, fail_silently=True) or host


def on_hosts(url: str, hosts: Iterable[str]) -> bool:
    """True for an http(s) URL on the site of one of ``hosts``: the only URLs a page may send us to.

    The site is the registrable domain: real outlets serve feeds from ``rss.orf.at``,
    ``newsfeed.zeit.de`` or ``feeds.elpais.com`` (12 of the 98 fundus pages that announce a feed), and
    those are the same publisher. Another domain, or an IP address other than the source's own, is not.
    """
    try:
        parts = urlsplit(url)
        host = site_host(url)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    allowed = set(hosts)
    return host in allowed or registrable_domain(host) in {registrable_domain(h) for h in allowed}


def _parse(html: str | bytes) -> lxml.html.HtmlElement | None:
    if not html or not (html.strip() if isinstance(html, str) else html.strip()):
        return None
    try:
        return lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return None


def _resolve(href: str | None, page_url: str, base: str | None) -> str | None:
    if not href or not href.strip():
        return None
    try:
        return urljoin(urljoin(page_url, base) if base else page_url, href.strip()).split("#", 1)[0]
    except ValueError:
        return None


def announced_feeds(
    html: str | bytes, page_url: str, hosts: Iterable[str] | None = None
) -> list[AnnouncedFeed]:
    """Feeds announced by ``<link rel="alternate" type="application/rss+xml|atom+xml|feed+json">``.

    Resolved against the page URL (and ``<base href>``); only http(s) URLs on ``hosts`` are kept
    (default: the page's own host), first announcement first, each URL once.
    """
    allowed = set(hosts) if hosts is not None else {site_host(page_url)}
    root = _parse(html)
    if root is None:
        return []
    base = (root.xpath("//base/@href") or [None])[0]
    feeds: dict[str, AnnouncedFeed] = {}
    for link in root.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = FEED_TYPES.get((link.get("type") or "").split(";")[0].strip().lower())
        if "alternate" not in rel or kind is None:
            continue
        url = _resolve(link.get("href"), page_url, base)
        if url and on_hosts(url, allowed) and url not in feeds:
            title = " ".join((link.get("title") or "").split()) or None
            feeds[url] = AnnouncedFeed(url=url, format=kind, title=title)
    return list(feeds.values())


def common_feed_urls(base_url: str) -> list[str]:
    """Feed URLs to try on a site that announces none (see ``COMMON_FEED_PATHS``)."""
    return [urljoin(base_url, path) for path in COMMON_FEED_PATHS]


def robots_sitemaps(robots_txt: str, base_url: str, hosts: Iterable[str] | None = None) -> list[str]:
    """The ``Sitemap:`` URLs a robots.txt names, on the site's hosts only, each once."""
    allowed = set(hosts) if hosts is not None else {site_host(base_url)}
    found: list[str] = []
    for line in robots_txt.splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() != "sitemap":
            continue
        url = _resolve(value.split("#", 1)[0], base_url, None)
        if url and on_hosts(url, allowed) and url not in found:
            found.append(url)
    return found


def common_sitemap_urls(base_url: str) -> list[str]:
    """Sitemap URLs to try when robots.txt names none."""
    return [urljoin(base_url, path) for path in COMMON_SITEMAP_PATHS]


def looks_like_article(url: str) -> bool:
    """Does this URL have the shape of one article (rather than a home, section, tag or media URL)?

    An article URL carries something only one page has: a date in the path (``/2024/05/``), an id
    (five or more digits, or a mixed letter-digit token such as ``UAf9GNd``), or a long slug (four or
    more words in one path segment). Listing-shaped paths (``/tag/``, ``/page/2``, ``/author/``) and
    files are refused first; courlan's navigation and crawlability filters add the ones it knows.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    path = parts.path
    segments = [s for s in path.split("/") if s]
    if not segments or _FILE_EXTENSION.search(path):
        return False
    if (
        any(s.lower() in NOT_ARTICLE_SEGMENTS for s in segments[:-1])
        or segments[-1].lower() in NOT_ARTICLE_SEGMENTS
    ):
        return False
    if is_navigation_page(url) or is_not_crawlable(url):
        return False
    if _DATE_THEN_MORE.search(path):
        return True
    segments = [_PAGE_EXTENSION.sub("", segment) for segment in segments]
    last = segments[-1]
    for segment in segments:
        if _LONG_NUMBER.search(_COMPACT_DATE.sub("", segment)) or _MIXED_ID.fullmatch(_mixed_tail(segment)):
            return True
    words = [w for w in _WORD_SPLIT.split(last) if w]
    return len(words) >= 4 or (len(words) >= 3 and len(last) >= 24)


def _mixed_tail(segment: str) -> str:
    """The token after the last separator (``slug,UAf9GNd`` -> ``UAf9GNd``), where sites put short ids."""
    return re.split(r"[-_,.~]", segment)[-1]


@dataclass(frozen=True, slots=True)
class DiscoveredLink:
    """A link of a listing page that looks like an article, with the text it was linked by."""

    url: str
    text: str


def article_links(
    html: str | bytes, page_url: str, hosts: Iterable[str] | None = None, *, min_words: int = 0
) -> list[DiscoveredLink]:
    """Links on ``page_url`` to pages of the site that look like articles, in page order, each once.

    ``min_words`` additionally asks for an anchor text of that many words (headline links have one;
    image links and "more" buttons do not), for pages where the URL shape alone lets too much through.
    The longest anchor text seen for a URL wins (a headline beats the thumbnail's empty link).
    """
    allowed = set(hosts) if hosts is not None else {site_host(page_url)}
    root = _parse(html)
    if root is None:
        return []
    base = (root.xpath("//base/@href") or [None])[0]
    page = page_url.split("#", 1)[0]
    found: dict[str, str] = {}
    for anchor in root.iter("a"):
        url = _resolve(anchor.get("href"), page_url, base)
        if not url or url == page or not on_hosts(url, allowed) or not looks_like_article(url):
            continue
        text = " ".join(anchor.text_content().split())
        if len(found.get(url, "")) < len(text) or url not in found:
            found[url] = text
    return [
        DiscoveredLink(url=url, text=text) for url, text in found.items() if len(text.split()) >= min_words
    ]
