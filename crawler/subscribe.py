"""``newswatch sources add URL``: probe a site like a feed reader's "subscribe", and draft its source table.

Given a site's URL, ``probe_site`` reads the home page and walks the discovery rungs
(crawler/discovery.py): announced feeds, then the common feed paths, then the sitemaps robots.txt
names, and counts the article-shaped links of the home page. The first feed (else sitemap) that lists
articles becomes the source's entry point; a few of its articles are fetched and extracted as a crawl
would, so the user sees what would be stored. ``source_toml`` renders the ``[sources.<key>]`` table.

A site with neither a feed nor a sitemap is refused with the reason: a listing entry needs CSS
selectors a person must choose (the crawl's ladder still uses the home page's links as a fallback).
Fetching uses the canary's Fetcher (User-Agent, timeout, size cap, robots.txt).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import lxml.html

from crawler.canary import CanaryError, Fetcher, _charset
from crawler.discovery import (
    announced_feeds,
    article_links,
    common_feed_urls,
    common_sitemap_urls,
    looks_like_article,
    on_hosts,
    robots_sitemaps,
    site_host,
)
from crawler.feeds import FeedError, parse_feed
from crawler.normalize import decode_html, detect_language, parse_date
from crawler.parsers.layered import extract_article
from crawler.relevance import RelevanceRules
from crawler.spiders.sitemap import SitemapError, read_sitemap


class ProbeError(Exception):
    """The site cannot be read or offers nothing to crawl; the message says why."""


@dataclass
class ProbedArticle:
    """One article as a crawl would store it (nothing is stored)."""

    url: str
    title: str | None = None
    published: str | None = None
    language: str | None = None
    body_chars: int = 0
    extraction: str | None = None
    relevant: bool = False
    problem: str | None = None


@dataclass
class Probe:
    """What the probe found on a site, and the entry point it chose."""

    url: str
    key: str
    name: str
    feeds: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    home_links: int = 0
    entry_kind: str | None = None
    entry_url: str | None = None
    articles: list[ProbedArticle] = field(default_factory=list)

    @property
    def languages(self) -> list[str]:
        return sorted({a.language for a in self.articles if a.language})


def probe_site(url: str, fetcher: Fetcher, *, max_articles: int = 3) -> Probe:
    """Read the site at ``url``: feeds, sitemaps, home links; fetch up to ``max_articles`` articles."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise ProbeError(f"not an http(s) URL: {url}")
    try:
        home = fetcher.get(url)
        html, _ = decode_html(home.body, _charset(home.content_type))
        home_url, home_problem = home.url, None
    except CanaryError as exc:  # a JavaScript shell or a dead home page may still have a feed or sitemap
        html, home_url, home_problem = "", url, str(exc)
    hosts = {site_host(url), site_host(home_url)}
    probe = Probe(url=home_url, key=source_key(home_url), name=site_name(html, home_url))
    probe.home_links = len(article_links(html, home_url, hosts)) if html else 0
    announced = [feed.url for feed in announced_feeds(html, home_url, hosts)] if html else []
    links: list[str] = []
    for candidate in list(dict.fromkeys(announced + common_feed_urls(home_url))):
        links = _feed_links(candidate, fetcher, hosts)
        if links:
            probe.feeds.append(candidate)
            probe.entry_kind, probe.entry_url = "feed", candidate
            break
    if not links:
        for candidate in _sitemap_candidates(home_url, fetcher, hosts):
            links = _sitemap_links(candidate, fetcher, hosts)
            if links:
                probe.sitemaps.append(candidate)
                probe.entry_kind, probe.entry_url = "sitemap", candidate
                break
    if not links and home_problem:
        raise ProbeError(f"cannot read the site: {home_problem}, and found no feed or sitemap either")
    if not links:
        raise ProbeError(
            f"found no feed and no sitemap listing articles on {home_url} ({probe.home_links} article-shaped "
            "links on the home page: a listing entry needs CSS selectors, write its [[sources.<key>.entry]] by hand)"
        )
    rules = RelevanceRules.default()
    for link in links[:max_articles]:
        probe.articles.append(_probe_article(link, fetcher, rules))
    return probe


def _feed_links(url: str, fetcher: Fetcher, hosts: set[str]) -> list[str]:
    try:
        fetched = fetcher.get(url)
        feed = parse_feed(fetched.body, url=fetched.url, content_type=fetched.content_type)
    except (CanaryError, FeedError):
        return []
    return [item.url for item in feed.entries if item.url and on_hosts(item.url, hosts)]


def _sitemap_candidates(home_url: str, fetcher: Fetcher, hosts: set[str]) -> list[str]:
    parts = urlsplit(home_url)
    try:
        robots = fetcher.get(f"{parts.scheme}://{parts.netloc}/robots.txt")
        named = robots_sitemaps(robots.body.decode("utf-8", "replace"), robots.url, hosts)
    except CanaryError:
        named = []
    return list(dict.fromkeys(named + common_sitemap_urls(home_url)))


def _sitemap_links(url: str, fetcher: Fetcher, hosts: set[str], depth: int = 0) -> list[str]:
    try:
        sitemap = read_sitemap(fetcher.get(url).body, fetcher.max_bytes)
    except (CanaryError, SitemapError):
        return []
    newest_first = sorted(sitemap.entries, key=lambda e: e.date.timestamp() if e.date else 0.0, reverse=True)
    if sitemap.is_index:
        children = [e.loc for e in newest_first if on_hosts(e.loc, hosts)]
        return _sitemap_links(children[0], fetcher, hosts, depth + 1) if children and depth < 2 else []
    # a news sitemap's entries are articles; in a plain one, keep the article-shaped URLs (not "/", sections)
    return [
        e.loc for e in newest_first if on_hosts(e.loc, hosts) and (e.published or looks_like_article(e.loc))
    ]


def _probe_article(url: str, fetcher: Fetcher, rules: RelevanceRules) -> ProbedArticle:
    article = ProbedArticle(url=url)
    try:
        fetched = fetcher.get(url)
    except CanaryError as exc:
        article.problem = str(exc)
        return article
    html, _ = decode_html(fetched.body, _charset(fetched.content_type))
    page = extract_article(html, fetched.url, None)
    article.title = page.title
    published = parse_date(page.published)
    article.published = published.isoformat() if published else None
    article.language = detect_language(page.body or "", page.language)
    article.body_chars = len(page.body or "")
    article.extraction = page.extraction
    article.relevant = rules.is_relevant(page.title, page.body)
    if not page.body:
        article.problem = "no article body found"
    return article


def source_key(url: str) -> str:
    """``https://www.timesca.com/`` -> ``timesca``: the registrable name without its suffix."""
    host = site_host(url)
    label = host.split(".")[0] if not re.fullmatch(r"[\d.]+", host) else host
    return re.sub(r"[^a-z0-9_]+", "_", label.lower()).strip("_") or "site"


def site_name(html: str, url: str) -> str:
    """``og:site_name``, else the page title, else the host."""
    try:
        root = lxml.html.document_fromstring(html) if html.strip() else None
    except (ValueError, lxml.etree.ParserError):
        root = None
    if root is not None:
        for value in root.xpath("//meta[@property='og:site_name']/@content") + root.xpath("//title/text()"):
            text = " ".join(str(value).split())
            if text:
                return text[:120]
    return site_host(url)


def source_toml(probe: Probe, *, key: str | None = None, name: str | None = None,
                languages: list[str] | None = None, always_relevant: bool = False) -> str:  # fmt: skip
    """The ``[sources.<key>]`` table for newswatch.toml (strings quoted as TOML basic strings)."""
    parts = urlsplit(probe.url)
    base = f"{parts.scheme}://{parts.netloc}"
    assert probe.entry_url is not None and probe.entry_kind is not None
    entry = urlsplit(probe.entry_url)
    path = entry.path + (f"?{entry.query}" if entry.query else "")
    key = key or probe.key
    lines = [
        f"[sources.{key}]",
        f"name = {json.dumps(name or probe.name, ensure_ascii=False)}",
        f"homepage = {json.dumps(base)}",
        f"base_url = {json.dumps(base)}",
        f"languages = {json.dumps(languages or probe.languages or ['en'])}",
        'parser = "generic"',
        f'spider = "{probe.entry_kind}"',
        "enabled = true",
        "",
        f"[[sources.{key}.entry]]",
        f'kind = "{probe.entry_kind}"',
        f"path = {json.dumps(path if site_host(probe.entry_url) == site_host(base) else probe.entry_url)}",
    ]
    if always_relevant:
        lines.append("always_relevant = true")
    return "\n".join(lines) + "\n"
