"""CLI start-up benchmark: how long the everyday commands take, as a person at a terminal waits for them.

Each command runs as a fresh process (the installed ``newswatch`` script), ``--runs`` times, interleaved
with a bare ``python -c pass`` so that a busy machine slows the baseline as much as the commands. Prints
the median wall time per command, its ratio to the baseline's median in the same run, and the peak
memory of the largest run. The target (issue 15) is a median under 0.5 s for ``--help``,
``search``, ``show`` and ``status``.

The archive is a SQLite file of ``--n`` generated articles (bench/generate.py through bench/search.py's
loader), migrated and warmed by one untimed run of each command first.

Examples::

    .venv/bin/python -m bench.cli
    .venv/bin/python -m bench.cli --runs 20 --n 20000
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 0.5

COMMANDS: dict[str, list[str]] = {
    "newswatch --help": ["--help"],
    "search": ["search", "border Dushanbe"],
    "show": ["show", "1"],
    "status": ["status"],
    "stats": ["stats"],
}


def _newswatch() -> list[str]:
    """The console script installed beside this interpreter (what a user runs), else the module."""
    script = Path(sys.executable).with_name("newswatch")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from newswatch.cli import main; main()"]


def _run(argv: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS in MB of one run of ``argv``.

    The RSS includes the pages the child shared with this process at fork (ru_maxrss counts them),
    so it is an upper bound; the baseline row shows that floor.
    """
    started = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{' '.join(argv)} exited with {child.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def _loadavg() -> str:
    try:
        return " ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "?"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="timed runs per command (default 10)")
    parser.add_argument("--n", type=int, default=2000, help="articles in the archive (default 2,000)")
    args = parser.parse_args(argv)

    from bench.search import load_sqlite

    with tempfile.TemporaryDirectory(prefix="nw-bench-cli-") as folder:
        db = Path(folder) / "archive.db"
        load_sqlite(str(db), args.n, seed=1)
        env = {**os.environ, "NEWSWATCH_DATABASE_URL": f"sqlite:///{db}"}
        env.pop("NEWSWATCH_CONFIG", None)
        newswatch = _newswatch()
        runs: dict[str, list[str]] = {"python -c pass": [sys.executable, "-c", "pass"]}
        runs.update({label: [*newswatch, *command] for label, command in COMMANDS.items()})
        for argv_ in runs.values():  # warm the page cache and the .pyc files; not timed
            _run(argv_, env)
        samples: dict[str, list[tuple[float, float, float]]] = {label: [] for label in runs}
        load_before = _loadavg()
        for _ in range(args.runs):
            for label, argv_ in runs.items():
                samples[label].append(_run(argv_, env))

    base_wall = statistics.median(s[0] for s in samples["python -c pass"])
    base_cpu = statistics.median(s[1] for s in samples["python -c pass"])
    print(f"{args.runs} runs each, interleaved; archive {args.n:,} articles; load average {load_before} → "
          f"{_loadavg()}")  # fmt: skip
    print("CPU = user + system seconds of the process: what a quiet machine's wall time would be")
    print(f"{'command':<18} {'wall median':>11} {'× pass':>7} {'CPU median':>11} {'× pass':>7} {'peak MB':>8}"
          f"  target wall < {TARGET_SECONDS} s")  # fmt: skip
    for label, runs_ in samples.items():
        wall = statistics.median(s[0] for s in runs_)
        cpu = statistics.median(s[1] for s in runs_)
        peak = max(s[2] for s in runs_)
        verdict = "" if label == "python -c pass" else ("ok" if wall < TARGET_SECONDS else "SLOW")
        print(f"{label:<18} {wall:>11.3f} {wall / base_wall:>7.1f} {cpu:>11.3f} {cpu / base_cpu:>7.1f} "
              f"{peak:>8.0f}  {verdict}")  # fmt: skip


if __name__ == "__main__":
    main()
