"""How well the discovery rungs (crawler/discovery.py) do on real pages nobody here chose.

Corpus: the fundus test pages in shared/realdata (258 pages of ~150 publishers; ``meta.info`` gives
each page's real article URL).

- Feed announcements: pages whose ``<head>`` announces a feed (any host, counted by a plain scan of
  ``<link>`` tags), against what ``announced_feeds`` returns (same host only, by design).
- URL shape: ``looks_like_article`` on the real article URLs (positives) against non-article URLs of
  the same sites (negatives): the home page and the ancestor paths of each article URL that are
  sections or date archives (``/politik/``, ``/nachrichten/bayern/``, ``/2024/05/16/``); see
  ``non_article_urls``.
- Links inside ``<nav>`` elements of the pages are mostly section links; the share judged
  article-shaped is reported as a noisy second figure (labels not verified).

Run: ``.venv/bin/python -m bench.discovery``
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import lxml.html

from crawler.discovery import announced_feeds, looks_like_article, on_hosts, site_host

REPO = Path(__file__).resolve().parents[1]


def _find_fundus() -> Path:
    for parent in REPO.parents:
        candidate = parent / "shared/realdata/fundus/tests/resources/parser/test_data"
        if candidate.is_dir():
            return candidate
    return REPO / "../shared/realdata/fundus/tests/resources/parser/test_data"


FUNDUS = _find_fundus()
_FEED_LINK = re.compile(rb"<link\b[^>]*application/(rss|atom)\+xml[^>]*>", re.I)


@dataclass(frozen=True)
class RealPage:
    path: Path
    url: str

    def html(self) -> bytes:
        return gzip.decompress(self.path.read_bytes())


def fundus_pages() -> Iterator[RealPage]:
    """Every fundus page with its real URL, in path order."""
    for meta in sorted(FUNDUS.glob("*/meta.info")):
        info = json.loads(meta.read_text())
        for name, fields in sorted(info.items()):
            page = meta.parent / name
            if page.exists() and fields.get("url"):
                yield RealPage(page, fields["url"])


_DATE_PART = re.compile(r"^(\d{1,2}|(19|20)\d\d(-\d\d(-\d\d)?|(0[1-9]|1[0-2])[0-3]\d)?)$")
_SECTION_WORD = re.compile(r"^[^\W\d_]+([-_][^\W\d_]+){0,2}$")


def non_article_urls(article_url: str) -> list[str]:
    """The home page and the ancestor directories of an article URL that are sections or date archives.

    An ancestor qualifies when each of its segments is a date part (``2024``, ``05``, ``2024-05-16``)
    or a section word (letters, at most three hyphenated words: ``politik``, ``mehr-sport``). Ancestors
    that already carry the article's id or slug (``/article242192802/``, ``/news/11862251/``) are left
    out: many sites answer them with the article itself, so they are no fair negative.
    """
    parts = urlsplit(article_url)
    root = f"{parts.scheme}://{parts.netloc}/"
    segments = [s for s in parts.path.split("/") if s]
    found = [root]
    for i in range(1, len(segments)):
        ancestor = segments[:i]
        if all(_DATE_PART.match(s) or _SECTION_WORD.match(s) for s in ancestor):
            found.append(root + "/".join(ancestor) + "/")
    return found


@dataclass
class Figures:
    pages: int = 0
    pages_announcing_any_host: int = 0
    pages_with_feed_found: int = 0
    feeds_found: int = 0
    positives: int = 0
    true_positives: int = 0
    negatives: int = 0
    false_positives: int = 0
    nav_links: int = 0
    nav_links_article_shaped: int = 0
    missed: list[str] = field(default_factory=list)
    wrongly_kept: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.true_positives / self.positives if self.positives else 0.0

    @property
    def precision(self) -> float:
        kept = self.true_positives + self.false_positives
        return self.true_positives / kept if kept else 0.0


def measure() -> Figures:
    figures = Figures()
    negatives: set[str] = set()
    positives: set[str] = set()
    for page in fundus_pages():
        html = page.html()
        figures.pages += 1
        if _FEED_LINK.search(html):
            figures.pages_announcing_any_host += 1
        feeds = announced_feeds(html, page.url)
        assert all(on_hosts(feed.url, {site_host(page.url)}) for feed in feeds)
        if feeds:
            figures.pages_with_feed_found += 1
            figures.feeds_found += len(feeds)
        positives.add(page.url)
        negatives.update(non_article_urls(page.url))
        root = lxml.html.document_fromstring(html)
        for href in root.xpath("//nav//a/@href"):
            url = urljoin(page.url, href.strip())
            if on_hosts(url, {site_host(page.url)}):
                figures.nav_links += 1
                figures.nav_links_article_shaped += looks_like_article(url)
    negatives -= positives
    for url in sorted(positives):
        figures.positives += 1
        if looks_like_article(url):
            figures.true_positives += 1
        else:
            figures.missed.append(url)
    for url in sorted(negatives):
        figures.negatives += 1
        if looks_like_article(url):
            figures.false_positives += 1
            figures.wrongly_kept.append(url)
    return figures


def main() -> None:
    f = measure()
    print(f"fundus pages: {f.pages}")
    print(f"pages announcing a feed (<link> scan, any host): {f.pages_announcing_any_host}")
    print(
        f"pages where announced_feeds found one (same site): {f.pages_with_feed_found} ({f.feeds_found} feeds)"
    )
    print(f"article URLs: {f.positives}, judged article-shaped: {f.true_positives} (recall {f.recall:.3f})")
    print(
        f"non-article URLs (home + ancestor paths): {f.negatives}, judged article-shaped: {f.false_positives}"
    )
    print(f"precision on positives + negatives: {f.precision:.3f}")
    share = f.nav_links_article_shaped / f.nav_links if f.nav_links else 0.0
    print(f"links in <nav> (mostly sections, unverified): {f.nav_links}, article-shaped: {share:.3f}")
    if "-v" in sys.argv:
        print("missed:", *f.missed, sep="\n  ")
        print("wrongly kept:", *f.wrongly_kept, sep="\n  ")


if __name__ == "__main__":
    main()
