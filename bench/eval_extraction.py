"""How well does ``extract_generic`` find the article? Token F1 against gold bodies, per corpus.

Corpora (third-party pages with gold answers, under ``../shared/realdata`` beside the checkout):

* ``regional``    - regional_proxies/*.html.gz + .gold.json (RFE/RL & VOA CMS, Sputnik, RT, Kommersant, ...)
* ``readability`` - mozilla/readability test pages: source.html, expected.html, expected-metadata.json
* ``fundus``      - flairNLP/fundus test pages: <Publisher>_<date>.html.gz + <Publisher>.json gold

For each page: bag-of-words token precision / recall / F1 of the extracted body against the gold body
(lowercased Unicode word tokens), title exact match (whitespace-normalised), date match (same moment
within a time-zone's worth of slack, since gold files mix local and UTC) and ms per page.

Usage::

    .venv/bin/python bench/eval_extraction.py                  # full corpora, ours beside trafilatura
    .venv/bin/python bench/eval_extraction.py --worst 10       # also the 10 worst pages overall
    .venv/bin/python bench/eval_extraction.py --stride 3 --extractor generic   # a quick subset, ours only
    .venv/bin/python bench/eval_extraction.py --gate           # the quality gate's deterministic sample
    .venv/bin/python bench/eval_extraction.py --update-baseline   # re-pin tests/extraction_baseline.json
    .venv/bin/python bench/eval_extraction.py --extractor trafilatura   # the baseline alone: trafilatura defaults
    .venv/bin/python bench/eval_extraction.py --speed          # CPU ms/page vs trafilatura and ftfy

The quality gate test (tests/test_extraction_quality.py) imports this file and measures the same sample.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import datetime as dt
import gzip
import json
import re
import resource
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from lxml import html as lxml_html  # noqa: E402

from crawler.items import ParsedPage  # noqa: E402
from crawler.normalize import decode_html, parse_date, repair_text  # noqa: E402
from crawler.normalize.text import normalize_inline  # noqa: E402
from crawler.parsers.generic import extract_generic  # noqa: E402


def _find_realdata() -> Path:
    """``shared/realdata`` beside the checkout, or beside a parent (git worktrees live one level deeper)."""
    for parent in REPO.parents:
        candidate = parent / "shared" / "realdata"
        if candidate.is_dir():
            return candidate
    return REPO / ".." / "shared" / "realdata"


REALDATA = _find_realdata()
BASELINE = REPO / "tests" / "extraction_baseline.json"
CORPORA = ("regional", "readability", "fundus")
# The gate's sample: every page of small corpora, every n-th page (sorted by path) of large ones.
GATE_STRIDE = {"regional": 1, "readability": 4, "fundus": 6}
# Floors sit this far under the measured figure. Extraction is deterministic for pinned library versions, so
# the body figures get a tight margin (a real regression on one or two pages must fail the gate); title and
# date rates move in steps of one page in ~30 (1/33 = 0.03), so they get one page of slack.
FLOOR_MARGIN = {"f1": 0.01, "precision": 0.015, "recall": 0.015, "title_exact": 0.035, "date_match": 0.035}
DATE_SLACK = dt.timedelta(hours=14)
_DATE_ONLY_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}$"
)  # UTC-12..UTC+14: a date-only value may be read in another zone

# Words; CJK scripts have no spaces, so each of their characters is a token.
_TOKEN_RE = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]|[^\W\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+"
)


@dataclass(slots=True)
class Case:
    corpus: str
    name: str
    url: str
    html: str
    body: str
    title: str | None = None
    published: str | None = None


@dataclass(slots=True)
class Score:
    name: str
    precision: float
    recall: float
    f1: float
    title_ok: bool | None
    date_ok: bool | None
    ms: float


@dataclass(slots=True)
class CorpusResult:
    corpus: str
    scores: list[Score] = field(default_factory=list)

    def summary(self) -> dict[str, float | int | None]:
        s = self.scores
        titles = [x.title_ok for x in s if x.title_ok is not None]
        dates = [x.date_ok for x in s if x.date_ok is not None]
        return {
            "pages": len(s),
            "precision": round(statistics.fmean(x.precision for x in s), 4) if s else 0.0,
            "recall": round(statistics.fmean(x.recall for x in s), 4) if s else 0.0,
            "f1": round(statistics.fmean(x.f1 for x in s), 4) if s else 0.0,
            "title_exact": round(sum(titles) / len(titles), 4) if titles else None,
            "title_pages": len(titles),
            "date_match": round(sum(dates) / len(dates), 4) if dates else None,
            "date_pages": len(dates),
            "ms_per_page_mean": round(statistics.fmean(x.ms for x in s), 1) if s else 0.0,
            "ms_per_page_median": round(statistics.median(x.ms for x in s), 1) if s else 0.0,
        }


# --------------------------------------------------------------------------------------------- corpora


def available() -> bool:
    return REALDATA.is_dir()


def load_cases(corpus: str, *, stride: int = 1) -> list[Case]:
    loader = {"regional": _regional, "readability": _readability, "fundus": _fundus}[corpus]
    cases = sorted(loader(), key=lambda c: c.name)
    return cases[::stride]


def _read_html(path: Path) -> str:
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return decode_html(data)[0]


def _regional() -> Iterator[Case]:
    for gold_path in sorted((REALDATA / "regional_proxies").glob("*.gold.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        html_path = gold_path.with_name(gold_path.name.replace(".gold.json", ".html.gz"))
        body = gold.get("articleBody") or _fundus_body(gold.get("body"))
        yield Case(
            "regional",
            gold_path.name.removesuffix(".gold.json"),
            gold.get("url") or "https://example.invalid/",
            _read_html(html_path),
            body,
            title=gold.get("title"),
            published=gold.get("publishing_date"),
        )


def _readability() -> Iterator[Case]:
    root = REALDATA / "readability-testpages" / "test" / "test-pages"
    for case_dir in sorted(p for p in root.iterdir() if (p / "source.html").exists()):
        expected = case_dir / "expected.html"
        if not expected.exists():
            continue
        meta_path = case_dir / "expected-metadata.json"
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
        expected_text = lxml_html.fromstring(_read_html(expected)).text_content()
        yield Case(
            "readability",
            case_dir.name,
            f"http://fakehost/{case_dir.name}/",
            _read_html(case_dir / "source.html"),
            expected_text,
            title=meta.get("title"),
            published=meta.get("publishedTime"),
        )


def _fundus_body(body: object) -> str:
    if not isinstance(body, dict):
        return str(body or "")
    parts: list[str] = list(body.get("summary") or [])
    for section in body.get("sections") or []:
        parts.extend(section.get("headline") or [])
        parts.extend(section.get("paragraphs") or [])
    return "\n\n".join(parts)


def _fundus() -> Iterator[Case]:
    root = REALDATA / "fundus" / "tests" / "resources" / "parser" / "test_data"
    for gold_path in sorted(root.glob("*/*.json")):
        if gold_path.name == "meta.info":
            continue
        publisher = gold_path.stem
        meta_path = gold_path.parent / "meta.info"
        urls = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
        html_paths = sorted(gold_path.parent.glob(f"{publisher}_*.html.gz"))
        entries = list(json.loads(gold_path.read_text(encoding="utf-8")).items())
        pages = {p: _read_html(p) for p in html_paths}
        for (version, gold), html_path in zip(entries, _match_fundus(entries, pages), strict=True):
            if html_path is None:
                continue
            yield Case(
                "fundus",
                f"{gold_path.parent.name}/{publisher}/{version}",
                urls.get(html_path.name, {}).get("url", "https://example.invalid/"),
                pages[html_path],
                _fundus_body(gold.get("body")),
                title=gold.get("title"),
                published=gold.get("publishing_date"),
            )


def _match_fundus(entries: list[tuple[str, dict]], pages: dict[Path, str]) -> list[Path | None]:
    """Which saved page each gold entry describes: the one containing most of its paragraphs."""

    def squash(text: str) -> str:
        return " ".join(_TOKEN_RE.findall(text.lower()))

    flat = {path: squash(html) for path, html in pages.items()}
    free = set(pages)
    matched: list[Path | None] = []
    for _, gold in entries:
        paragraphs = [
            p for s in (gold.get("body") or {}).get("sections") or [] for p in s.get("paragraphs") or []
        ]
        probes = [squash(p)[:60] for p in [gold.get("title") or "", *paragraphs] if len(squash(p)) > 20]
        ranked = sorted(free, key=lambda path: (-sum(p in flat[path] for p in probes), path.name))
        best = ranked[0] if ranked else None
        if best is not None:
            free.discard(best)
        matched.append(best)
    return matched


# --------------------------------------------------------------------------------------------- scoring


def tokens(text: str) -> collections.Counter[str]:
    return collections.Counter(_TOKEN_RE.findall(text.lower()))


def token_prf(extracted: str, gold: str) -> tuple[float, float, float]:
    """Bag-of-words precision, recall and F1 of ``extracted`` against ``gold``."""
    got, want = tokens(extracted), tokens(gold)
    overlap = sum((got & want).values())
    if not got or not want:
        return (0.0, 0.0, 0.0) if (got or want) else (1.0, 1.0, 1.0)
    precision, recall = overlap / sum(got.values()), overlap / sum(want.values())
    f1 = 2 * precision * recall / (precision + recall) if overlap else 0.0
    return precision, recall, f1


def _title_ok(extracted: str | None, gold: str | None) -> bool | None:
    if not gold or not gold.strip():
        return None
    return normalize_inline(repair_text(extracted or "")) == normalize_inline(gold)


def _date_ok(extracted: object, gold: str | None) -> bool | None:
    if not gold:
        return None
    far_future = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
    want = parse_date(gold, now=far_future)
    if want is None:
        return None
    if isinstance(extracted, str) and _DATE_ONLY_RE.match(extracted.strip()):
        # A page that states only the day is right if it names the gold's day (as the gold writes it).
        try:
            return (
                dt.datetime.fromisoformat(gold.strip().replace("Z", "+00:00")).date().isoformat()
                == extracted.strip()
            )
        except ValueError:
            pass
    got = parse_date(extracted, now=far_future) if extracted else None  # type: ignore[arg-type]
    return got is not None and abs(got - want) <= DATE_SLACK


def _plain_trafilatura(html: str, url: str) -> ParsedPage:
    """The baseline: trafilatura with its default settings, as a ParsedPage."""
    import trafilatura

    document = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    if document is None or isinstance(document, dict):
        return ParsedPage(url=url)
    return ParsedPage(url=url, title=document.title, body=document.text, published=document.date)


EXTRACTORS = {"generic": extract_generic, "trafilatura": _plain_trafilatura}


def score_case(case: Case, extractor: str = "generic") -> Score:
    start = time.process_time()  # CPU time: the machine is shared, wall time mostly measures the others
    page = EXTRACTORS[extractor](case.html, case.url)
    ms = (time.process_time() - start) * 1000
    precision, recall, f1 = token_prf(page.body or "", case.body)
    return Score(
        case.name,
        precision,
        recall,
        f1,
        _title_ok(page.title, case.title),
        _date_ok(page.published, case.published),
        ms,
    )


def evaluate(corpus: str, *, stride: int = 1, extractor: str = "generic") -> CorpusResult:
    result = CorpusResult(corpus)
    for case in load_cases(corpus, stride=stride):
        result.scores.append(score_case(case, extractor))
    return result


def gate_results() -> dict[str, CorpusResult]:
    """The quality gate's measurement: the deterministic sample of every corpus."""
    return {corpus: evaluate(corpus, stride=GATE_STRIDE[corpus]) for corpus in CORPORA}


def floors_from(results: dict[str, CorpusResult]) -> dict[str, object]:
    floors: dict[str, object] = {}
    for corpus, result in results.items():
        summary = result.summary()
        pinned: dict[str, object] = {"pages": summary["pages"], "measured": summary}
        for key in ("f1", "precision", "recall", "title_exact", "date_match"):
            value = summary[key]
            if isinstance(value, float):
                pinned[key] = max(0.0, round(value - FLOOR_MARGIN[key], 3))
        floors[corpus] = pinned
    return {
        "about": "Floors for tests/test_extraction_quality.py: extract_generic on the gate sample "
        "(bench/eval_extraction.py --gate). Re-pin with --update-baseline after a deliberate change.",
        "stride": GATE_STRIDE,
        "margin": FLOOR_MARGIN,
        "corpora": floors,
    }


# --------------------------------------------------------------------------------------------- speed


def _cpu_ms_per_item(fn: object, items: list, repeat: int = 1) -> float:  # type: ignore[type-arg]
    start = time.process_time()
    for _ in range(repeat):
        for item in items:
            fn(item)  # type: ignore[operator]
    return (time.process_time() - start) * 1000 / (len(items) * repeat)


def speed() -> None:
    """CPU ms per page of the pipeline's steps, each against a baseline run in this same process."""
    import trafilatura

    from crawler.normalize import NotAnArticle, normalize_page

    cases = [c for corpus in CORPORA for c in load_cases(corpus, stride=GATE_STRIDE[corpus])]
    extract_generic(cases[0].html, cases[0].url)  # warm-up: lazy imports, tld lists, langid model
    trafilatura.extract(cases[0].html, url=cases[0].url)
    base = _cpu_ms_per_item(lambda c: trafilatura.extract(c.html, url=c.url), cases)
    ours = _cpu_ms_per_item(lambda c: extract_generic(c.html, c.url), cases)
    print(f"pages: {len(cases)} (the gate sample)")
    print(f"baseline trafilatura.extract (defaults):   {base:7.1f} cpu ms/page")
    print(f"extract_generic (metadata + precision):    {ours:7.1f} cpu ms/page   ratio {ours / base:.2f}x")

    pages = [extract_generic(c.html, c.url) for c in cases]

    def normalise(page: ParsedPage) -> None:
        try:
            normalize_page(page, source="bench")
        except NotAnArticle:
            pass

    normalise(pages[0])
    norm = _cpu_ms_per_item(normalise, pages)
    print(
        f"normalize_page on those pages:             {norm:7.1f} cpu ms/page   ratio {norm / base:.2f}x of baseline"
    )

    import ftfy

    seed = REALDATA.parent / "seeds" / "004_389954f3aa60489e.txt"
    if seed.exists():
        damaged = [seed.read_text(encoding="utf-8")]
        fixed = _cpu_ms_per_item(lambda t: ftfy.fix_text(t), damaged, repeat=50)
        ours_fix = _cpu_ms_per_item(repair_text, damaged, repeat=50)
        kb = len(damaged[0].encode("utf-8")) / 1024
        print(f"baseline ftfy.fix_text on seed 004 ({kb:.1f} KB): {fixed:7.2f} cpu ms")
        print(
            f"repair_text on seed 004:                   {ours_fix:7.2f} cpu ms    ratio {ours_fix / fixed:.2f}x"
        )
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak memory (max RSS of this process): {peak_kb / 1024:.1f} MB")


# --------------------------------------------------------------------------------------------- main


def _fmt(value: object) -> str:
    return f"{value:6.3f}" if isinstance(value, float) else f"{'-':>6}"


def _row(label: str, s: dict[str, float | int | None]) -> str:
    return (
        f"{label:<24} {s['pages']:>5} {_fmt(s['precision'])} {_fmt(s['recall'])} {_fmt(s['f1'])} "
        f"{_fmt(s['title_exact'])} {_fmt(s['date_match'])} {s['ms_per_page_mean']:>9} {s['ms_per_page_median']:>6}"
    )


def _pooled(results: dict[str, CorpusResult]) -> CorpusResult:
    every = CorpusResult("overall")
    for result in results.values():
        every.scores.extend(result.scores)
    return every


def side_by_side(cases: dict[str, list[Case]], extractors: list[str]) -> dict[str, dict[str, CorpusResult]]:
    """Score every extractor on the same cases, page by page, in this one process."""
    out: dict[str, dict[str, CorpusResult]] = {name: {} for name in extractors}
    for corpus, corpus_cases in cases.items():
        for name in extractors:
            out[name][corpus] = CorpusResult(corpus)
        for case in corpus_cases:
            for name in extractors:
                out[name][corpus].scores.append(score_case(case, name))
    return out


def _report_pages(results: dict[str, dict[str, CorpusResult]], worst: int, margin: float = 0.2) -> None:
    """The worst pages overall, and every page scoring more than ``margin`` below trafilatura."""
    ours = [(c, s) for c, r in results["generic"].items() for s in r.scores]
    theirs = {(c, s.name): s for c, r in results.get("trafilatura", {}).items() for s in r.scores}

    def line(corpus: str, score: Score) -> str:
        other = theirs.get((corpus, score.name))
        versus = f"  trafilatura F1={other.f1:.2f}" if other is not None else ""
        return (
            f"    {corpus:<11} {score.name:<52} P={score.precision:.2f} R={score.recall:.2f} "
            f"F1={score.f1:.2f}{versus}"
        )

    if worst:
        print(f"worst {worst} pages (generic):")
        for corpus, score in sorted(ours, key=lambda cs: cs[1].f1)[:worst]:
            print(line(corpus, score))
    if theirs:
        behind = [(c, s) for c, s in ours if theirs[(c, s.name)].f1 - s.f1 > margin]
        print(f"pages more than {margin} F1 below trafilatura: {len(behind)}")
        for corpus, score in sorted(behind, key=lambda cs: cs[1].f1 - theirs[(cs[0], cs[1].name)].f1):
            print(line(corpus, score))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--gate", action="store_true", help="measure only the quality gate's sample")
    parser.add_argument("--update-baseline", action="store_true", help=f"re-pin {BASELINE.relative_to(REPO)}")
    parser.add_argument("--corpus", choices=CORPORA, action="append", help="limit to these corpora")
    parser.add_argument("--stride", type=int, default=0, help="every n-th page of each corpus (quick runs)")
    parser.add_argument("--limit", type=int, default=0, help="at most N pages per corpus (quick runs)")
    parser.add_argument("--worst", type=int, default=0, help="list the N worst pages overall")
    parser.add_argument(
        "--extractor",
        choices=sorted(EXTRACTORS),
        help="score only this extractor (default: generic and trafilatura side by side)",
    )
    parser.add_argument("--json", type=Path, help="also write every page's scores to this file")
    parser.add_argument("--speed", action="store_true", help="speed vs plain trafilatura and ftfy, then stop")
    args = parser.parse_args(argv)
    if not available():
        print(f"no corpora at {REALDATA.resolve()}", file=sys.stderr)
        return 2
    if args.speed:
        speed()
        return 0
    gate = args.gate or args.update_baseline
    corpora = args.corpus or list(CORPORA)
    if args.update_baseline and (set(corpora) != set(CORPORA) or args.stride or args.limit):
        print("--update-baseline needs every corpus and the gate's own sample", file=sys.stderr)
        return 2
    extractors = [args.extractor] if args.extractor else ["generic", "trafilatura"]
    if args.update_baseline:
        extractors = ["generic"]
    cases: dict[str, list[Case]] = {}
    for corpus in corpora:
        stride = args.stride or (GATE_STRIDE[corpus] if gate else 1)
        picked = load_cases(corpus, stride=stride)
        cases[corpus] = picked[: args.limit] if args.limit else picked
    results = side_by_side(cases, extractors)
    print(
        f"{'corpus / extractor':<24} {'pages':>5} {'P':>6} {'R':>6} {'F1':>6} {'title':>6} {'date':>6} "
        f"{'cpu ms/pg':>9} {'median':>6}"
    )
    for corpus in [*corpora, "overall"]:
        summaries = {}
        for name in extractors:
            result = _pooled(results[name]) if corpus == "overall" else results[name][corpus]
            summaries[name] = result.summary()
            print(_row(f"{corpus} {name}", summaries[name]))
        if len(extractors) == 2:
            ours, theirs = summaries["generic"], summaries["trafilatura"]
            ratio = float(ours["ms_per_page_mean"] or 0) / max(0.1, float(theirs["ms_per_page_mean"] or 0))
            print(
                f"{corpus + ' delta':<24} {'':>5} {'':>6} {'':>6} "
                f"{float(ours['f1'] or 0) - float(theirs['f1'] or 0):+6.3f} {'':>6} {'':>6} {ratio:>8.2f}x"
            )
    if "generic" in results:
        _report_pages(results, args.worst)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak memory (max RSS of this process): {peak_kb / 1024:.1f} MB")
    if args.json:
        dump = {
            name: {c: [dataclasses.asdict(s) for s in r.scores] for c, r in per.items()}
            for name, per in results.items()
        }
        args.json.write_text(json.dumps(dump, indent=1), encoding="utf-8")
    if args.update_baseline:
        BASELINE.write_text(
            json.dumps(floors_from(results["generic"]), indent=2, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
        print(f"wrote {BASELINE.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
