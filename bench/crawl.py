"""Crawl throughput: the full OSCE pipeline against a bare Scrapy crawl of the same pages (the ceiling).

The OSCE replica serves N generated press releases (``ReplicaServer("osce", synthetic=N)``) on loopback,
20 per listing page. Each crawl runs in its own child process (Scrapy's reactor cannot restart), with
AutoThrottle and delays off and the same concurrency; the time is from spider_opened to spider_closed:

* ``bare``  - a plain Scrapy spider that walks the same listing pages and downloads every article, but
              neither parses nor stores anything: the rate this machine and server allow (baseline);
* ``bare+`` - the same, with the Scrapy-level tuning of crawler/settings.py (``TUNED_SCRAPY_SETTINGS``):
              the ceiling for newswatch's own settings, so "vs bare+" is what parsing and storing cost;
* ``full``  - ``newswatch``'s OSCE spider (--backfill): parse, normalise, relevance, tags, SimHash, batch
              upsert into SQLite, duplicate linking, one CrawlRun;
* ``again`` - the same incremental (scheduled-style) crawl over the unchanged replica: it should cost one
              conditional request per listing entry point and no article request.

Then the OSCE parser's cost per page (site parser + layered fallback + normaliser), measured in this
process over the seed press releases (tests/golden/osce). Prints pages/s, the full/bare ratio (target
≥ 0.70; also against bare+), peak RSS per child, ms/page (target < 5 ms), and the request counts of the second run.

Usage::

    .venv/bin/python bench/crawl.py            # N = 2000
    .venv/bin/python bench/crawl.py --n 300    # a quick look
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

OPTIONS = {
    "download_delay": 0,
    "autothrottle": False,
    "concurrent_requests": 16,
    "concurrent_per_domain": 16,
    "retry_times": 0,
    "RETRY_BACKOFF_BASE": 0,
    "LOG_LEVEL": "ERROR",
}
PAGE_SIZE = 20
# Scrapy settings of crawler/settings.py that make Scrapy itself cheaper; the "bare+" crawl uses them too,
# so that the ratio against it measures only what parsing and storing cost.
TUNED_SCRAPY_SETTINGS = ("CONCURRENT_ITEMS",)


# --- the child processes ------------------------------------------------------------------------------
def child_full(base_url: str, database_url: str, backfill: bool, max_pages: int) -> dict[str, Any]:
    from crawler.runner import run_crawl
    from crawler.sources import load_registry

    source = _general_listing_only(load_registry({"osce": {"base_url": base_url}}).get("osce"))
    marks: dict[str, float] = {}

    def progress(line: str) -> None:  # "<key>: started" at spider_opened, "finished" at spider_closed
        if line.endswith("started"):
            marks["open"] = time.perf_counter()
        elif "finished" in line:
            marks["close"] = time.perf_counter()

    (summary,) = run_crawl(
        database_url,
        [source],
        crawl_options=OPTIONS,
        backfill=backfill,
        max_pages=max_pages,
        progress=progress,
    )
    return {"seconds": marks["close"] - marks["open"], "pages": summary.pages_fetched, "new": summary.items_new,
            "errors": summary.errors, "status": summary.status}  # fmt: skip


def _migrate(database_url: str) -> None:
    from storage.db import make_engine
    from storage.migrate import upgrade

    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()


def _general_listing_only(source: Any) -> Any:
    """Both crawls walk the same pages: the OSCE-wide listing (it lists every press release)."""
    import dataclasses

    return dataclasses.replace(source, entries=tuple(e for e in source.entries if not e.always_relevant))


def child_bare(base_url: str, max_pages: int, tuned: bool = False) -> dict[str, Any]:
    import scrapy
    from scrapy import signals
    from scrapy.crawler import AsyncCrawlerProcess

    from crawler import settings as newswatch_settings
    from crawler.settings import overlay

    counts = {"pages": 0}

    class BareSpider(scrapy.Spider):
        name = "bare"

        async def start(self):  # type: ignore[no-untyped-def]
            yield scrapy.Request(f"{base_url}/press-releases", meta={"page": 0})

        def parse(self, response):  # type: ignore[no-untyped-def]
            counts["pages"] += 1
            for href in response.css("div.views-row h3 a::attr(href)").getall():
                yield response.follow(href, callback=self.article)
            page = response.meta["page"] + 1
            if response.css("li.pager__item--next a") and page < max_pages:
                yield scrapy.Request(f"{base_url}/press-releases?page={page}", meta={"page": page})

        def article(self, response):  # type: ignore[no-untyped-def]
            counts["pages"] += 1

    settings = {
        "ROBOTSTXT_OBEY": True,
        "TELNETCONSOLE_ENABLED": False,
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "USER_AGENT": "newswatch-bench",
        **overlay(OPTIONS),
    }
    if tuned:  # the Scrapy-level tuning newswatch's own settings apply (not parsing or storing anything)
        settings.update({key: getattr(newswatch_settings, key) for key in TUNED_SCRAPY_SETTINGS})
    marks: dict[str, float] = {}

    def opened(spider: Any) -> None:
        marks["open"] = time.perf_counter()

    def closed(spider: Any, reason: str) -> None:
        marks["close"] = time.perf_counter()

    process = AsyncCrawlerProcess(settings)
    crawler = process.create_crawler(BareSpider)
    crawler.signals.connect(opened, signal=signals.spider_opened, weak=False)
    crawler.signals.connect(closed, signal=signals.spider_closed, weak=False)
    process.crawl(crawler)
    process.start()
    return {
        "seconds": marks["close"] - marks["open"],
        "pages": counts["pages"],
        "new": 0,
        "errors": 0,
        "status": "ok",
    }


def run_child(kind: str, **kwargs: Any) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", json.dumps({"kind": kind, **kwargs})]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    if done.returncode != 0:
        raise SystemExit(f"{kind} crawl failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def child_main(job: dict[str, Any]) -> None:
    kind = job.pop("kind")
    result = child_full(**job) if kind == "full" else child_bare(**job)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


# --- parsing cost, in this process ---------------------------------------------------------------------
def parser_ms_per_page(repeat: int) -> dict[str, float]:
    from crawler.normalize import normalize_page
    from crawler.parsers import extract_article
    from crawler.parsers.osce import PARSER as OSCE

    golden = REPO / "tests" / "golden" / "osce"
    pages = [
        (golden / f"{name}.json", golden / f"{name}.html")
        for name in ("seed-001-chairperson", "seed-003-secretary-general")
    ]
    parser = OSCE
    results: dict[str, float] = {}
    for meta, html_path in pages:
        url = json.loads(meta.read_text(encoding="utf-8"))["url"]
        html = html_path.read_text(encoding="utf-8")
        raw = html.encode("utf-8")
        normalize_page(
            extract_article(html, url, parser), source="osce", raw_html=raw
        )  # warm caches and models
        samples = []
        for _ in range(repeat):
            start = time.perf_counter()
            normalize_page(extract_article(html, url, parser), source="osce", raw_html=raw)
            samples.append((time.perf_counter() - start) * 1000)
        site = []
        for _ in range(repeat):
            start = time.perf_counter()
            parser.parse(html, url)
            site.append((time.perf_counter() - start) * 1000)
        results[html_path.stem] = statistics.median(samples)
        results[html_path.stem + " (site parser alone)"] = statistics.median(site)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="generated press releases (default 2000)")
    ap.add_argument("--repeat", type=int, default=200, help="parser timing repetitions per page")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child_main(json.loads(args.child))
        return

    from newswatch.replicas.server import ReplicaServer

    max_pages = args.n // PAGE_SIZE + 20  # a few hand-written releases come on top of the N generated
    with (
        tempfile.TemporaryDirectory() as tmp,
        ReplicaServer("osce", synthetic=args.n, page_size=PAGE_SIZE) as server,
    ):
        database_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        _migrate(database_url)  # a crawl never migrates: its caller brings the schema up to date
        print(
            f"replica: {args.n} generated + {len(server.site.articles) - args.n} hand-written press releases"
            f" at {server.base_url}",
            flush=True,
        )
        bare = run_child("bare", base_url=server.base_url, max_pages=max_pages)
        tuned = run_child("bare", base_url=server.base_url, max_pages=max_pages, tuned=True)
        server.clear_log()
        full = run_child(
            "full", base_url=server.base_url, database_url=database_url, backfill=True, max_pages=max_pages
        )
        served_full = len(server.paths())
        server.clear_log()
        again = run_child(
            "full", base_url=server.base_url, database_url=database_url, backfill=False, max_pages=3
        )
        second_log = [entry for entry in server.log if entry.path != "/robots.txt"]

    print(
        f"\n{'crawl':<8}{'pages':>8}{'seconds':>10}{'pages/s':>10}{'vs bare':>9}{'vs bare+':>10}{'peak RSS MB':>13}"
    )
    for name, result in (("bare", bare), ("bare+", tuned), ("full", full)):
        rate = result["pages"] / result["seconds"]
        ratio = rate / (bare["pages"] / bare["seconds"])
        ratio_tuned = rate / (tuned["pages"] / tuned["seconds"])
        print(
            f"{name:<8}{result['pages']:>8}{result['seconds']:>10.2f}{rate:>10.1f}{ratio:>9.2f}{ratio_tuned:>10.2f}"
            f"{result['peak_rss_mb']:>13.0f}"
        )
    print(
        f"full run: {full['new']} articles stored, {full['errors']} errors, status {full['status']}; server answered {served_full} requests"
    )
    listings = [e for e in second_log if e.path.startswith("/press-releases")]
    articles = [e for e in second_log if not e.path.startswith("/press-releases")]
    print(
        f"second run (unchanged replica): {len(listings)} listing request(s) "
        f"{[f'{e.path} -> {e.status}' for e in listings]}, {len(articles)} article requests, "
        f"{again['new']} new, {again['seconds']:.2f} s"
    )
    print("\nOSCE parse + normalise, median ms/page over", args.repeat, "runs:")
    for name, ms in parser_ms_per_page(args.repeat).items():
        print(f"  {name:<45}{ms:>7.2f} ms")
    print(
        f"peak RSS of this process (server + parser timing): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
