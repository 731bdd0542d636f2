"""Soak benchmark: the real ``newswatch serve`` through hundreds of crawl jobs; its memory must stay flat.

Starts the replica sites on loopback, writes a throw-away configuration pointing every source at them,
runs ``newswatch serve`` as a subprocess with a fast schedule until at least ``--jobs`` crawl runs have
finished, sampling the serve process's RSS from /proc, then stops it with SIGTERM. Prints the RSS after
two full cycles (the baseline: imports done, pools warm) and at the end, their ratio, the peak,
and throughput. Exit status 1 if RSS grew by more than ``--max-growth`` or serve did not exit 0.

    .venv/bin/python bench/soak.py --jobs 200
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.sources import load_registry  # noqa: E402
from newswatch.replicas.server import REPLICAS, ReplicaServer  # noqa: E402


def rss_kib(pid: int) -> int:
    """Resident set size of one process (not its children: crawls run in their own processes)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def finished_runs(db: Path) -> tuple[int, int]:
    """(finished crawl runs, of which not ok)."""
    if not db.exists():
        return 0, 0
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        try:
            done, bad = conn.execute(
                "SELECT count(*), coalesce(sum(status != 'ok'), 0) FROM crawl_run WHERE status != 'running'"
            ).fetchone()
        except sqlite3.OperationalError:  # tables not created yet
            return 0, 0
    return int(done), int(bad)


def toml_config(db: Path, replicas: dict[str, str], disabled: list[str]) -> str:
    lines = [
        f'database_url = "sqlite:///{db}"',
        'log_level = "WARNING"',
        "[crawl]",
        "download_delay = 0",
        "autothrottle = false",
        "retry_times = 0",
        "max_pages = 2",
        "[scheduler]",
        "jitter_seconds = 0",
        "shutdown_timeout_seconds = 20",
        "crawl_timeout_seconds = 120",
        "[alerts]",
        f'outbox_dir = "{db.parent / "outbox"}"',
    ]
    for key, url in replicas.items():
        lines += [f"[sources.{key}]", f'base_url = "{url}"']
    for key in disabled:
        lines += [f"[sources.{key}]", "enabled = false"]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=200, help="crawl runs to complete (default 200)")
    parser.add_argument("--interval", type=float, default=4.0, help="seconds between crawls of one source")
    parser.add_argument("--max-growth", type=float, default=0.10, help="allowed RSS growth (default 10%%)")
    parser.add_argument("--timeout", type=float, default=1800, help="give up after this many seconds")
    args = parser.parse_args()

    keys = [source.key for source in load_registry().enabled()]
    servers = {key: ReplicaServer(key).start() for key in keys if (REPLICAS / key).is_dir()}
    disabled = [key for key in keys if key not in servers]
    if args.jobs <= 2 * len(servers):
        parser.error(f"--jobs must exceed {2 * len(servers)}: the baseline is taken after two full cycles")
    with tempfile.TemporaryDirectory(prefix="newswatch-soak-") as tmp:
        db = Path(tmp) / "soak.db"
        config = Path(tmp) / "newswatch.toml"
        config.write_text(
            toml_config(db, {k: s.base_url for k, s in servers.items()}, disabled), encoding="utf-8"
        )
        env = {**os.environ, "NEWSWATCH_CONFIG": str(config)}
        command = [sys.executable, "-c", "from newswatch.cli import main; main()", "serve", "--crawl-interval-seconds", str(args.interval),
                   "--digest-interval-seconds", "30", "--lease-seconds", "30", "--heartbeat-seconds", "5"]  # fmt: skip
        log_path = Path(tmp) / "serve.log"
        started = time.monotonic()
        with log_path.open("wb") as log:
            serve = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
        samples: list[tuple[int, int]] = []  # (finished runs, rss KiB)
        baseline: tuple[int, int] | None = None
        ready_rss = None  # the last sample before any crawl finished: imports done, first crawls running
        try:
            while True:
                if serve.poll() is not None:
                    print(log_path.read_text(errors="replace")[-3000:], file=sys.stderr)
                    raise SystemExit(f"serve exited early with status {serve.returncode}")
                rss = rss_kib(serve.pid)
                done, bad = finished_runs(db)
                if done == 0:
                    ready_rss = rss
                samples.append((done, rss))
                if baseline is None and done >= 2 * len(servers):
                    baseline = (done, rss)
                print(f"\r{done:4d} crawl runs finished ({bad} not ok), serve RSS {rss / 1024:6.1f} MiB",
                      end="", file=sys.stderr, flush=True)  # fmt: skip
                if done >= args.jobs:
                    break
                if time.monotonic() - started > args.timeout:
                    raise SystemExit(f"\ntimed out after {args.timeout:.0f} s with {done} runs")
                time.sleep(2)
        finally:
            serve.send_signal(signal.SIGTERM)
            try:
                code = serve.wait(timeout=60)
            except subprocess.TimeoutExpired:
                serve.kill()
                code = serve.wait()
            for server in servers.values():
                server.stop()
        elapsed = time.monotonic() - started
        done, bad = finished_runs(db)
        assert baseline is not None
        end_rss = samples[-1][1]
        peak = max(rss for _, rss in samples)
        growth = end_rss / baseline[1] - 1
        result = {
            "sources": sorted(servers),
            "crawl_runs": done,
            "runs_not_ok": bad,
            "elapsed_s": round(elapsed, 1),
            "runs_per_min": round(done / elapsed * 60, 1),
            "rss_before_first_run_done_mib": round(ready_rss / 1024, 1) if ready_rss else None,
            "rss_baseline_mib": round(baseline[1] / 1024, 1),
            "baseline_after_runs": baseline[0],
            "rss_end_mib": round(end_rss / 1024, 1),
            "rss_peak_mib": round(peak / 1024, 1),
            "rss_end_vs_baseline": round(end_rss / baseline[1], 3),
            "serve_exit_status": code,
        }
        print(file=sys.stderr)
        print(json.dumps(result, indent=2))
        ok = growth <= args.max_growth and code == 0
        print(f"RSS end/baseline = {end_rss / baseline[1]:.3f} (limit {1 + args.max_growth:.2f}); "
              f"serve exit {code}: {'PASS' if ok else 'FAIL'}")  # fmt: skip
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
