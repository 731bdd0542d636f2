"""Parse + normalise cost per page, stage by stage, in this process (no crawl, no database).

Pages: the OSCE golden press releases through the OSCE site parser (target < 5 ms per page for parse +
normalise), and the real pages of shared/realdata/regional_proxies through the generic extractor alone, as a page of an
unknown site would go (target < 10 ms). For each page, the median over ``--repeat`` runs of:

* ``parse``      - ``extract_article`` (site parser, then generic fallback for what it missed);
* ``normalise``  - ``normalize_page`` of that parsed page, and inside it
* ``  repair``   - ``repair_text`` of title and body (encoding damage, ftfy where it has work),
* ``  language`` - ``detect_language`` of title and body.

A bare ``lxml.html.fromstring`` of the same page is printed as the baseline: one parse of the tree is
the least any extraction costs, so ``× lxml`` shows how many such parses a stage is worth.

Example::

    .venv/bin/python -m bench.parse --repeat 100
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "golden"
REALDATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "realdata"
OSCE_PAGES = ("seed-001-chairperson", "seed-003-secretary-general", "office-no-dateline")


def _median_ms(func: Callable[[], Any], repeat: int) -> float:
    func()  # warm caches and models
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _pages() -> list[tuple[str, str, str, Any]]:
    """(label, url, html, site parser or None) for the OSCE goldens and a few other sites' goldens."""
    from crawler.sources import load_registry, load_site_parser

    osce = load_site_parser(load_registry().get("osce").parser)
    pages = []
    for name in OSCE_PAGES:
        html_path = GOLDEN / "osce" / f"{name}.html"
        if html_path.exists():
            url = json.loads((GOLDEN / "osce" / f"{name}.json").read_text(encoding="utf-8"))["url"]
            pages.append((f"osce/{name}", url, html_path.read_text(encoding="utf-8"), osce))
    for path in sorted(REALDATA.glob("regional_proxies/*.html.gz")):  # real pages of unknown sites
        html = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
        pages.append(
            (
                f"generic: {path.name.removesuffix('.html.gz')}"[:44],
                f"https://example.org/{path.name}",
                html,
                None,
            )
        )
    return pages


def _measure(url: str, html: str, site_parser: Any, repeat: int) -> tuple[float, ...]:
    """lxml, parse, normalise, repair, language: median ms of one page."""
    import lxml.html

    from crawler.normalize import normalize_page
    from crawler.normalize.encoding import repair_text
    from crawler.normalize.language import detect_language
    from crawler.parsers import extract_article

    raw = html.encode("utf-8")
    page = extract_article(html, url, site_parser)
    text = f"{page.title or ''}\n{page.body or ''}"
    return (
        _median_ms(lambda: lxml.html.fromstring(raw), repeat),
        _median_ms(lambda: extract_article(html, url, site_parser), repeat),
        _median_ms(lambda: normalize_page(page, source="bench", raw_html=raw), repeat),
        _median_ms(lambda: (repair_text(page.title or ""), repair_text(page.body or "")), repeat),
        _median_ms(lambda: detect_language(text, page.language), repeat),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=100, help="timed runs per page and stage (default 100)")
    args = parser.parse_args(argv)

    print(f"median ms per page over {args.repeat} runs")
    print(f"{'page':<45}{'lxml':>7}{'parse':>8}{'normalise':>10}{'repair':>8}{'language':>9}{'total':>8}"
          f"{'× lxml':>8}")  # fmt: skip
    for label, url, html, site_parser in _pages():
        lxml_ms, parse_ms, normalise_ms, repair_ms, language_ms = _measure(
            url, html, site_parser, args.repeat
        )
        total = parse_ms + normalise_ms
        print(f"{label:<45}{lxml_ms:>7.2f}{parse_ms:>8.2f}{normalise_ms:>10.2f}{repair_ms:>8.2f}{language_ms:>9.2f}"
              f"{total:>8.2f}{total / lxml_ms:>8.1f}")  # fmt: skip
    print("targets: osce parse + normalise < 5 ms, generic < 10 ms")


if __name__ == "__main__":
    main()
