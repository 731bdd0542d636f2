"""Regional-sources benchmark: feed parsing, site parsers vs generic extraction, full-text feeds vs page fetches.

1. Feed parsing: ``crawler.feeds.parse_feed`` over every real feed in shared/realdata/feeds, against a
   baseline in the same process: bare ``feedparser.parse`` on the same bytes (our layer adds JSON Feed,
   absolute links, UTC dates and plain dataclasses). Items per second and the ratio.
2. Extraction: per page, the regional site parsers (selectors) against the generic layer
   (``extract_generic``: trafilatura + metadata) on the replica articles and the real Pangea pages.
3. Crawl: a feed of N items on a loopback replica, crawled end to end (``python -m crawler.runner`` in a
   subprocess, SQLite): once with the full text in ``content:encoded`` (no page fetches) and once with
   teasers only (every page fetched). Wall time ratio, requests made, and the children's peak memory.

Usage::

    .venv/bin/python -m bench.regional               # 200 feed items
    .venv/bin/python -m bench.regional --items 500
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import feedparser

from crawler.feeds import parse_feed
from crawler.parsers.generic import extract_generic
from crawler.sources import load_site_parser
from storage.db import make_engine
from storage.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]
FEEDS = ROOT / "../shared/realdata/feeds"
PROXIES = ROOT / "../shared/realdata/regional_proxies"
sys.path.insert(0, str(ROOT))


def _best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    """Best CPU time of ``repeat`` runs: the machine is shared, so wall time mostly measures the neighbours."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bench_feeds() -> None:
    paths = sorted(p for p in FEEDS.rglob("*") if p.is_file() and p.suffix in {".rss", ".atom", ".xml", ".json"}
                   and "output" not in p.parts)  # fmt: skip
    blobs = [p.read_bytes() for p in paths if p.name != "unrecognized.rss"]  # rss-parser's non-feed case
    items = sum(len(parse_feed(blob).entries) for blob in blobs)
    ours = _best_of(lambda: [parse_feed(blob) for blob in blobs])
    xml_blobs = [blob for blob in blobs if not blob.lstrip().startswith(b"{")]
    baseline = _best_of(lambda: [feedparser.parse(blob) for blob in xml_blobs])
    baseline_xml_ours = _best_of(lambda: [parse_feed(blob) for blob in xml_blobs])
    print(f"1. feeds: {len(blobs)} real feeds, {items} items")
    print(f"   parse_feed: {ours * 1000:.1f} ms CPU for all ({items / ours:,.0f} items/s)")
    print(f"   XML feeds only: parse_feed {baseline_xml_ours * 1000:.1f} ms CPU vs bare feedparser "
          f"{baseline * 1000:.1f} ms (ratio {baseline_xml_ours / baseline:.2f}x)")  # fmt: skip


def bench_extraction() -> None:
    pages: list[tuple[str, str, str]] = []  # parser, url, html
    for golden in sorted((ROOT / "tests/golden").glob("*/articles.json")):
        site = golden.parent.name
        parser = "pangea" if site == "ozodi" else site
        for case in json.loads(golden.read_text(encoding="utf-8")):
            html = (ROOT / "newswatch/replicas" / case["file"]).read_text(encoding="utf-8")
            pages.append((parser, case["url"], html))
    for name in ("pangea_rferl_polygraph.info", "pangea_voa_voanews.com"):
        if (PROXIES / f"{name}.html.gz").exists():
            gold = json.loads((PROXIES / f"{name}.gold.json").read_text(encoding="utf-8"))
            html = gzip.decompress((PROXIES / f"{name}.html.gz").read_bytes()).decode("utf-8")
            pages.append(("pangea", gold["url"], html))
    site_times, generic_times = [], []
    for parser_name, url, html in pages:
        parser = load_site_parser(parser_name)
        site_times.append(_best_of(lambda p=parser, u=url, h=html: p.parse(h, u), 3))
        generic_times.append(_best_of(lambda u=url, h=html: extract_generic(h, u), 3))
    site_ms, generic_ms = statistics.median(site_times) * 1000, statistics.median(generic_times) * 1000
    print(
        f"2. extraction: {len(pages)} pages (replicas of six sites + 2 real Pangea pages), median CPU per page"
    )
    print(f"   site parsers {site_ms:.2f} ms vs generic layer {generic_ms:.2f} ms "
          f"(site parser {generic_ms / site_ms:.1f}x faster)")  # fmt: skip


def _feed(base: str, n: int, full_text: bool) -> str:
    paragraph = ("<p>The OSCE Programme Office in Dushanbe and the Ministry of Foreign Affairs of Tajikistan "
                 "discussed border management, training and cooperation in the Gorno-Badakhshan region.</p>")  # fmt: skip
    items = []
    for i in range(n):
        content = f"<content:encoded><![CDATA[{paragraph * 6}]]></content:encoded>" if full_text else ""
        items.append(
            f"<item><title>Dushanbe story {i}</title><link>{base}/story-{i}/</link>"
            f"<pubDate>Mon, 23 Sep 2024 10:{i % 60:02d}:00 +0000</pubDate>"
            f"<description>Teaser {i} [&#8230;]</description>{content}</item>"
        )
    return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Bench</title>'
            + "".join(items) + "</channel></rss>")  # fmt: skip


def _crawl(n: int, full_text: bool) -> tuple[float, float, int, dict]:
    from newswatch.replicas.server import ReplicaServer

    page = (ROOT / "newswatch/replicas/timesca/dushanbe-water-conference-closes-with-call-for-glacier-monitoring/"
            "index.html").read_text(encoding="utf-8")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp, ReplicaServer() as server:
        url = f"sqlite:///{tmp}/bench.db"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        server.put("/category/tajikistan/feed/", _feed(server.base_url, n, full_text), "application/rss+xml")
        for i in range(n):
            server.put(f"/story-{i}/", page.replace("Glacier Monitoring", f"Glacier Monitoring {i}"))
        overrides = {"timesca": {"base_url": server.base_url}}
        options = {"download_delay": 0, "autothrottle": False, "concurrent_per_domain": 8}
        command = [sys.executable, "-m", "crawler.runner", url, "timesca", "--overrides", json.dumps(overrides),
                   "--options", json.dumps(options)]  # fmt: skip
        start, cpu = time.perf_counter(), _children_cpu()
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=True)
        elapsed, cpu = time.perf_counter() - start, _children_cpu() - cpu
        (summary,) = json.loads(done.stdout)
        return elapsed, cpu, len(server.paths()), summary


def bench_crawl(n: int) -> None:
    teaser_time, teaser_cpu, teaser_requests, teaser = _crawl(n, full_text=False)
    full_time, full_cpu, full_requests, full = _crawl(n, full_text=True)
    print(f"3. crawl of a {n}-item feed on loopback (subprocess, SQLite), wall and crawler CPU time:")
    print(f"   teasers only: {teaser_time:.2f} s wall, {teaser_cpu:.2f} s CPU, {teaser_requests} requests, "
          f"{teaser['new']} stored")  # fmt: skip
    print(f"   full text in content:encoded: {full_time:.2f} s wall, {full_cpu:.2f} s CPU, {full_requests} requests, "
          f"{full['new']} stored")  # fmt: skip
    print(f"   ratio teasers/full text: {teaser_time / full_time:.2f}x wall, {teaser_cpu / full_cpu:.2f}x CPU; "
          f"{teaser_requests - full_requests} page fetches saved")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=200, help="items in the crawled feed")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f} (2 cores shared)")
    bench_feeds()
    bench_extraction()
    bench_crawl(args.items)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory: this process {own:.1f} MB, largest crawl child {children:.1f} MB (max RSS)")


if __name__ == "__main__":
    main()
