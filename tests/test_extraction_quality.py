"""Quality gate for the generic extractor: no corpus may fall below its pinned floor.

Measures ``extract_generic`` on a deterministic sample of three third-party corpora with gold answers
(see ``bench/eval_extraction.py``) and compares token F1 / precision / recall, title exact-match and date
match rates with ``tests/extraction_baseline.json``. After a deliberate change that moves the figures,
re-pin with ``.venv/bin/python bench/eval_extraction.py --update-baseline`` and commit the diff.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).parents[1]
BASELINE = Path(__file__).with_name("extraction_baseline.json")
METRICS = ("f1", "precision", "recall", "title_exact", "date_match")


def _load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("eval_extraction", REPO / "bench" / "eval_extraction.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("eval_extraction", module)
    spec.loader.exec_module(module)
    return module


bench = _load_bench()
pytestmark = [
    pytest.mark.skipif(not bench.available(), reason=f"realdata corpus not found at {bench.REALDATA}"),
    pytest.mark.slow,  # extracts every page of the corpora: a minute or more; `make test` runs it
]


@pytest.fixture(scope="module")
def measured() -> dict[str, dict[str, object]]:
    return {corpus: result.summary() for corpus, result in bench.gate_results().items()}


@pytest.fixture(scope="module")
def baseline() -> dict[str, object]:
    return json.loads(BASELINE.read_text(encoding="utf-8"))


def test_baseline_matches_the_gate_sample(baseline: dict[str, object]) -> None:
    assert baseline["stride"] == bench.GATE_STRIDE, "sample changed: re-pin with --update-baseline"
    assert set(baseline["corpora"]) == set(bench.CORPORA)  # type: ignore[arg-type]


@pytest.mark.parametrize("corpus", ["regional", "readability", "fundus"])
def test_corpus_stays_above_its_floor(corpus: str, measured: dict, baseline: dict) -> None:  # type: ignore[type-arg]
    floors = baseline["corpora"][corpus]
    figures = measured[corpus]
    assert figures["pages"] == floors["pages"], f"{corpus}: sample size changed"
    drops = [
        f"{metric} {figures[metric]:.3f} < floor {floors[metric]:.3f}"
        for metric in METRICS
        if metric in floors and figures[metric] is not None and figures[metric] < floors[metric]
    ]
    assert not drops, f"{corpus} extraction quality dropped: " + "; ".join(drops)


def test_scoring_is_sane() -> None:
    assert bench.token_prf("a b c", "a b c") == (1.0, 1.0, 1.0)
    precision, recall, f1 = bench.token_prf("a b c d", "a b")
    assert (precision, recall) == (0.5, 1.0) and abs(f1 - 2 / 3) < 1e-9
    assert bench.token_prf("", "a") == (0.0, 0.0, 0.0)
    assert bench.token_prf("Душанбе, ОБСЕ", "душанбе обсе") == (1.0, 1.0, 1.0)
