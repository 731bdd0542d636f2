"""Publication-day accuracy on real pages: newswatch's date choice against trafilatura's, side by side.

The pages are third-party (``../shared/realdata``): fundus and readability test pages carry the
publication date in their gold metadata, the regional proxies in their gold files. For every page with
a gold date, the *day* each extractor gives is compared with the gold's day as the gold writes it (the
publisher's calendar day; fundus writes local times, readability mostly the page's own ISO value):

* newswatch: ``extract_generic`` (every candidate: JSON-LD, meta, ``<time>``, dateline, URL, htmldate),
  chosen by ``crawler.normalize.published.choose_published`` in the zone a source of that country would
  get (fundus: the folder's country code; other corpora: UTC, the registry's default for a generic source);
* trafilatura: ``trafilatura.extract_metadata(html, default_url=url).date`` (htmldate inside).

Counts per extractor: right day, wrong by exactly one day (the time-zone error this bench exists to
catch), wrong otherwise, no date. Run::

    .venv/bin/python bench/dates.py                 # all pages
    .venv/bin/python bench/dates.py --stride 3      # every third page (quicker)
    .venv/bin/python bench/dates.py --show-misses   # also list the pages we get wrong
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import warnings
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
if str(REPO / "bench") not in sys.path:
    sys.path.insert(0, str(REPO / "bench"))

from eval_extraction import Case, available, load_cases  # noqa: E402

from crawler.normalize.published import choose_published  # noqa: E402
from crawler.parsers.generic import extract_generic  # noqa: E402
from crawler.timezones import country_zone  # noqa: E402

CORPORA = ("fundus", "readability", "regional")
# "Far" from any crawl, so no gold date counts as being in the future.
FAR_FUTURE = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
_GOLD_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def gold_day(case: Case) -> dt.date | None:
    """The day the gold file names, as it writes it."""
    if not case.published:
        return None
    m = _GOLD_DAY.search(case.published)
    if m is None:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def page_zone(case: Case) -> dt.tzinfo:
    """The zone a registry source for this page would have: its country's (fundus), else UTC."""
    if case.corpus == "fundus":
        zone = country_zone(case.name.split("/", 1)[0])
        if zone:
            return ZoneInfo(zone)
    return dt.UTC


def ours(case: Case) -> dt.date | None:
    page = extract_generic(case.html, case.url)
    candidates = [("page", page.published), *page.date_candidates]
    choice = choose_published(
        candidates, zone=page_zone(case), now=FAR_FUTURE, text=f"{page.title or ''}\n{page.body or ''}"
    )
    return choice.published.day if choice is not None else None


def trafilatura_day(case: Case) -> dt.date | None:
    import trafilatura

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            document = trafilatura.extract_metadata(case.html, default_url=case.url)
        except Exception:  # noqa: BLE001 - the baseline fails in its own ways; that is a missing date
            return None
    value = getattr(document, "date", None) if document is not None else None
    if not value:
        return None
    m = _GOLD_DAY.search(str(value))
    return dt.date(int(m[1]), int(m[2]), int(m[3])) if m else None


def verdict(got: dt.date | None, want: dt.date) -> str:
    if got is None:
        return "missing"
    gap = abs((got - want).days)
    return "right" if gap == 0 else "one_day_off" if gap == 1 else "wrong"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stride", type=int, default=1, help="every n-th page of each corpus")
    parser.add_argument("--show-misses", action="store_true", help="list the pages newswatch gets wrong")
    args = parser.parse_args(argv)
    if not available():
        print("no ../shared/realdata beside the checkout: nothing to measure", file=sys.stderr)
        return 1
    totals = {"newswatch": Counter[str](), "trafilatura": Counter[str]()}
    misses: list[str] = []
    print(
        f"{'corpus':<12} {'pages':>5}  {'extractor':<12} {'right':>6} {'±1 day':>7} {'wrong':>6} {'none':>5} {'accuracy':>9}"
    )
    for corpus in CORPORA:
        per = {"newswatch": Counter[str](), "trafilatura": Counter[str]()}
        pages = 0
        for case in load_cases(corpus, stride=args.stride):
            want = gold_day(case)
            if want is None:
                continue
            pages += 1
            mine = ours(case)
            per["newswatch"][verdict(mine, want)] += 1
            per["trafilatura"][verdict(trafilatura_day(case), want)] += 1
            if args.show_misses and verdict(mine, want) != "right":
                misses.append(f"{corpus}/{case.name}: gold {want}, newswatch {mine}")
        for name, counts in per.items():
            totals[name].update(counts)
            print(_line(corpus, pages, name, counts))
    pages = sum(totals["newswatch"].values())
    for name, counts in totals.items():
        print(_line("all", pages, name, counts))
    for line in misses:
        print("  miss:", line)
    return 0


def _line(corpus: str, pages: int, name: str, counts: Counter[str]) -> str:
    accuracy = counts["right"] / pages if pages else 0.0
    return (
        f"{corpus:<12} {pages:>5}  {name:<12} {counts['right']:>6} {counts['one_day_off']:>7} "
        f"{counts['wrong']:>6} {counts['missing']:>5} {accuracy:>9.1%}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
