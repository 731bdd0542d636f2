"""The canary: is each source still readable? One entry page and one article per source, no database.

Sites are redesigned without notice; a crawl then keeps "succeeding" while the site parser finds
nothing and the generic layer quietly takes over (or nothing is found at all). ``check_sources`` fetches,
for every source, its first entry point (feed, sitemap or listing) and the newest article it links to,
runs the same extraction the crawl runs, and reports which fields came out and how:

- ``ok``: title, date and body all came from the site parser;
- ``degraded``: the article was read, but some core field came from the generic fallback (the site's
  markup probably changed: the report names the fields) or is missing a date;
- ``failed``: the entry point or the article could not be fetched or read; the error is reported and
  the other sources are still checked.

Plain urllib with the configured User-Agent, timeout and size cap; robots.txt is honoured like the
crawler does. Paths resolve against each source's ``base_url``, so the canary runs against replicas.
"""

from __future__ import annotations

import logging
import re
import urllib.error
import urllib.request
import urllib.robotparser
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from parsel import Selector

from crawler.feeds import FeedError, parse_feed
from crawler.normalize import decode_html, detect_language
from crawler.normalize.published import choose_published
from crawler.parsers.layered import extract_article
from crawler.sources import EntryPoint, Source, SourceConfigError, load_site_parser
from crawler.spiders.sitemap import SitemapError, read_sitemap

logger = logging.getLogger(__name__)

CORE_FIELDS = ("title", "body", "published")
MIN_BODY_CHARS = 200


class CanaryError(Exception):
    """A step of a check failed; the message is what the report shows."""


@dataclass
class CheckResult:
    """What the canary found for one source (a row of ``newswatch sources check``)."""

    source: str
    status: str = "failed"  # ok | degraded | failed
    entry_kind: str | None = None
    entry_url: str | None = None
    entry_links: int = 0
    article_url: str | None = None
    title: str | None = None
    published: str | None = None
    body_chars: int = 0
    language: str | None = None
    extraction: str | None = None
    fallback_fields: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Fetched:
    url: str
    status: int
    body: bytes
    content_type: str | None


class Fetcher:
    """GET with the crawler's identity and limits; robots.txt checked once per host."""

    def __init__(self, user_agent: str, timeout: float = 30.0, max_bytes: int = 10 * 1024 * 1024,
                 obey_robots: bool = True) -> None:  # fmt: skip
        self.user_agent = user_agent
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.obey_robots = obey_robots
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}

    def get(self, url: str) -> Fetched:
        if self.obey_robots and not self._allowed(url):
            raise CanaryError(f"robots.txt forbids {url}")
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent, "Accept": "*/*"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - http(s) only
                body = response.read(self.max_bytes + 1)
                if len(body) > self.max_bytes:
                    raise CanaryError(f"response larger than {self.max_bytes} bytes: {url}")
                return Fetched(response.geturl(), response.status, body, response.headers.get("Content-Type"))
        except urllib.error.HTTPError as exc:
            raise CanaryError(f"HTTP {exc.code} {exc.reason}: {url}") from None
        except urllib.error.URLError as exc:
            raise CanaryError(f"cannot connect ({_reason(exc.reason)}): {url}") from None
        except TimeoutError:
            raise CanaryError(f"no answer within {self.timeout:g} s: {url}") from None
        except OSError as exc:
            raise CanaryError(f"{_reason(exc)}: {url}") from None

    def _allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            self._robots[origin] = self._load_robots(origin)
        robots = self._robots[origin]
        return robots is None or robots.can_fetch(self.user_agent, url)

    def _load_robots(self, origin: str) -> urllib.robotparser.RobotFileParser | None:
        request = urllib.request.Request(origin + "/robots.txt", headers={"User-Agent": self.user_agent})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                lines = response.read(512 * 1024).decode("utf-8", "replace").splitlines()
        except (urllib.error.URLError, OSError):
            return None  # no robots.txt (404) or unreachable: the page fetch reports the real error
        robots = urllib.robotparser.RobotFileParser()
        robots.parse(lines)
        return robots


def _reason(reason: object) -> str:
    text = str(reason)
    return re.sub(r"^\[Errno -?\d+\]\s*", "", text) or reason.__class__.__name__


def check_sources(
    sources: Iterable[Source],
    fetcher: Fetcher,
    progress: Callable[[str], None] | None = None,
) -> list[CheckResult]:
    """Check every source; one failing source never stops the others."""
    results = []
    for source in sources:
        if progress:
            progress(f"checking {source.key} ({source.base_url}) ...")
        try:
            result = check_source(source, fetcher)
        except Exception as exc:  # noqa: BLE001 - a bug in one check must not hide the other sources
            logger.warning("canary: %s failed unexpectedly", source.key, exc_info=True)
            result = CheckResult(
                source=source.key, problems=[f"unexpected error: {exc.__class__.__name__}: {exc}"]
            )
        results.append(result)
    return results


def check_source(source: Source, fetcher: Fetcher) -> CheckResult:
    """Fetch the first entry point and the newest article it links to; judge the extraction."""
    result = CheckResult(source=source.key)
    entry = source.entries[0]
    result.entry_kind = entry.kind
    result.entry_url = source.url_for(entry)
    try:
        links = entry_links(entry, result.entry_url, fetcher)
        result.entry_links = len(links)
        if not links:
            raise CanaryError(f"no article links found in the {entry.kind} at {result.entry_url}")
        result.article_url = links[0]
        page = fetcher.get(result.article_url)
        html, _ = decode_html(page.body, _charset(page.content_type))
        parser = load_site_parser(source.parser)
        parsed = extract_article(html, page.url, parser)
    except (CanaryError, SourceConfigError) as exc:
        result.problems.append(str(exc))
        return result
    chosen = choose_published(
        [("page", parsed.published), *parsed.date_candidates], zone=source.zone, text=parsed.body or ""
    )
    result.title = parsed.title
    result.published = chosen.published.iso() if chosen else None
    result.body_chars = len(parsed.body or "")
    result.language = detect_language(parsed.body or "", parsed.language)
    result.extraction = parsed.extraction
    result.fallback_fields = [name for name in parsed.fallback_fields if name in CORE_FIELDS]
    judge(result, has_site_parser=parser is not None)
    return result


def judge(result: CheckResult, *, has_site_parser: bool) -> None:
    """Set ``status`` and explain every problem in words a maintainer can act on."""
    if not result.title:
        result.problems.append("no title found")
    if result.body_chars == 0:
        result.problems.append("no article body found")
    if result.problems:
        result.status = "failed"
        return
    if result.fallback_fields and has_site_parser:
        fields = ", ".join(result.fallback_fields)
        result.problems.append(f"site selectors found nothing for {fields}: generic fallback used")
    if result.published is None:
        result.problems.append("no publication date found")
    if result.body_chars < MIN_BODY_CHARS:
        result.problems.append(f"body only {result.body_chars} characters")
    result.status = "degraded" if result.problems else "ok"


def entry_links(entry: EntryPoint, url: str, fetcher: Fetcher) -> list[str]:
    """Article URLs the entry point lists, newest first where the format says so."""
    fetched = fetcher.get(url)
    if entry.kind == "feed":
        try:
            feed = parse_feed(fetched.body, url=fetched.url, content_type=fetched.content_type)
        except FeedError as exc:
            raise CanaryError(f"not a readable feed ({exc}): {url}") from None
        return [item.url for item in feed.entries if item.url]
    if entry.kind == "sitemap":
        return _sitemap_links(entry, fetched, fetcher)
    html, _ = decode_html(fetched.body, _charset(fetched.content_type))
    page = Selector(text=html)
    link_css = entry.option("link_selector")
    item_css = entry.option("item_selector")
    nodes = page.css(item_css) if item_css else [page]
    hrefs = [href for node in nodes for href in node.css(link_css).getall()]
    return list(dict.fromkeys(urljoin(fetched.url, href.strip()) for href in hrefs if href.strip()))


def _sitemap_links(entry: EntryPoint, fetched: Fetched, fetcher: Fetcher, depth: int = 0) -> list[str]:
    try:
        sitemap = read_sitemap(fetched.body, fetcher.max_bytes)
    except SitemapError as exc:
        raise CanaryError(f"{exc}: {fetched.url}") from None
    newest_first = sorted(sitemap.entries, key=lambda e: e.date.timestamp() if e.date else 0.0, reverse=True)
    if sitemap.is_index:
        if depth >= 2 or not newest_first:
            return []
        child = fetcher.get(urljoin(fetched.url, newest_first[0].loc))
        return _sitemap_links(entry, child, fetcher, depth + 1)
    pattern = entry.option("url_pattern")
    return [e.loc for e in newest_first if not pattern or re.search(pattern, e.loc)]


def _charset(content_type: str | None) -> str | None:
    match = re.search(r"charset=([\w.:-]+)", content_type or "", re.IGNORECASE)
    return match.group(1) if match else None
