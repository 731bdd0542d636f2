"""One full crawl round of many sources with 1, 2 and 4 ``newswatch worker`` processes.

Sixty replica sites (copies of the Eurasianet replica, a listing plus article pages) answer every
request after ``--latency`` seconds, as distant real sites do, so crawls are I/O bound. The leader
(an in-process ``Service`` in cluster mode) enqueues every source at once; the round ends when every
source has a finished run. Reported per worker count: wall time and its ratio to one worker, CPU
seconds per stored article (all processes), peak RSS per worker process (crawl children included
separately), and the broker and database load (messages published, PostgreSQL transactions).

Needs RabbitMQ on 127.0.0.1:5672 and PostgreSQL on 127.0.0.1:5432 (a throw-away database is made).

    .venv/bin/python -m bench.cluster --sources 60 --latency 0.2 --workers 1 2 4
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tomllib
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from sqlalchemy import create_engine, func, select, text  # noqa: E402

from alerts.config import MailConfig  # noqa: E402
from scheduler.config import ClusterConfig, ServiceConfig  # noqa: E402
from scheduler.service import Service  # noqa: E402
from storage.db import make_engine, make_session_factory  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Article, CrawlRun  # noqa: E402

PG_ADMIN = os.environ.get("NEWSWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BROKER = os.environ.get("NEWSWATCH_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
TEMPLATE = "eurasianet"
FAST = {"download_delay": 0, "autothrottle": False, "retry_times": 0, "download_timeout": 60}


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(value)


def bench_sources(urls: list[str]) -> dict[str, dict[str, Any]]:
    with (ROOT / "crawler" / "sources.toml").open("rb") as fh:
        template = tomllib.load(fh)["sources"][TEMPLATE]
    tables: dict[str, dict[str, Any]] = {}
    for i, url in enumerate(urls):
        tables[f"b{i:03d}"] = {**template, "name": f"bench site {i}", "base_url": url, "homepage": url,
                               "enabled": True}  # fmt: skip
    return tables


def write_config(path: Path, db_url: str, cluster: ClusterConfig, sources: dict[str, dict[str, Any]],
                 disabled: list[str]) -> None:  # fmt: skip
    lines = [f"database_url = {toml_value(db_url)}", 'log_level = "WARNING"', "[crawl]"]
    lines += [f"{k} = {toml_value(v)}" for k, v in FAST.items()]
    lines += ["[cluster]", f"broker_url = {toml_value(cluster.broker_url)}", f"queue = {toml_value(cluster.queue)}",
              f"worker_concurrency = {cluster.worker_concurrency}", "worker_heartbeat_seconds = 2"]  # fmt: skip
    lines += ["[alerts]", f"outbox_dir = {toml_value(str(path.parent / 'outbox'))}"]
    for key in disabled:
        lines += [f"[sources.{key}]", "enabled = false"]
    for key, table in sources.items():
        entries = table.get("entry", [])
        lines.append(f"[sources.{key}]")
        lines += [f"{k} = {toml_value(v)}" for k, v in table.items() if k != "entry"]
        for entry in entries:
            lines.append(f"[[sources.{key}.entry]]")
            lines += [f"{k} = {toml_value(v)}" for k, v in entry.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def fresh_database(admin: Any, name: str) -> str:
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def pg_xacts(admin: Any, name: str) -> int:
    with admin.connect() as conn:
        return int(conn.execute(text("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = :n"),
                                {"n": name}).scalar() or 0)  # fmt: skip


def rss_of_tree(pid: int) -> tuple[int, int]:
    """(RSS of the process, largest RSS among its children) in KiB, from /proc."""

    def rss(p: int) -> int:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    children: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            children += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        pass
    return rss(pid), max((rss(c) for c in children), default=0)


def one_round(
    workers: int, args: argparse.Namespace, urls: list[str], admin: Any, workdir: Path
) -> dict[str, Any]:
    name = f"nw_bench_cluster_{uuid.uuid4().hex[:8]}"
    db_url = fresh_database(admin, name)
    cluster = ClusterConfig(broker_url=BROKER, queue=f"nw-bench-{uuid.uuid4().hex[:8]}",
                            worker_concurrency=args.concurrency, worker_heartbeat_seconds=2)  # fmt: skip
    sources = bench_sources(urls)
    from crawler.sources import load_registry

    disabled = load_registry().keys()
    config = workdir / f"w{workers}.toml"
    write_config(config, db_url, cluster, sources, disabled)
    procs = []
    for i in range(workers):
        log = (workdir / f"w{workers}-{i}.log").open("ab")
        procs.append(subprocess.Popen([sys.executable, "-c", "from newswatch.cli import main; main()", "worker"],
                                      env={**os.environ, "NEWSWATCH_CONFIG": str(config)}, cwd=workdir,
                                      stdout=log, stderr=subprocess.STDOUT))  # fmt: skip
    overrides: dict[str, dict[str, Any]] = {key: {"enabled": False} for key in disabled}
    overrides.update(sources)
    service = Service(ServiceConfig(
        database_url=db_url, source_overrides=overrides, crawl_options=FAST, max_pages=3, jitter_seconds=0,
        catch_up_stagger_seconds=0, crawl_interval_seconds=3600, lease_seconds=30, heartbeat_seconds=5,
        mail=MailConfig(outbox_dir=workdir / "outbox"), cluster=cluster, log_level="WARNING",
    ))  # fmt: skip
    engine = make_engine(db_url)
    sessions = make_session_factory(engine)
    time.sleep(3)  # workers connect (their start-up is not part of a round)
    xacts_before = pg_xacts(admin, name)
    cpu_before = os.times()
    peak_worker = peak_child = 0
    started = time.monotonic()
    service.start()
    try:
        while time.monotonic() - started < args.timeout:
            with sessions() as session:
                done = session.scalar(select(func.count(func.distinct(CrawlRun.source)))
                                      .where(CrawlRun.status != "running"))  # fmt: skip
            for proc in procs:
                own, child = rss_of_tree(proc.pid)
                peak_worker, peak_child = max(peak_worker, own), max(peak_child, child)
            if done == len(urls):
                break
            time.sleep(0.2)
        wall = time.monotonic() - started
    finally:
        service.stop()
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=120)
    cpu_after = os.times()
    cpu = (cpu_after.children_user + cpu_after.children_system + cpu_after.user + cpu_after.system) - (
        cpu_before.children_user + cpu_before.children_system + cpu_before.user + cpu_before.system
    )
    with sessions() as session:
        articles = session.scalar(select(func.count()).select_from(Article)) or 0
        statuses = dict(
            session.execute(select(CrawlRun.status, func.count()).group_by(CrawlRun.status)).all()
        )
    engine.dispose()
    xacts = pg_xacts(admin, name) - xacts_before
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return {"workers": workers, "wall_s": round(wall, 2), "sources_done": sum(statuses.values()),
            "statuses": statuses, "articles": articles, "cpu_s": round(cpu, 1),
            "cpu_ms_per_article": round(1000 * cpu / max(articles, 1), 1),
            "peak_rss_worker_mib": round(peak_worker / 1024, 1), "peak_rss_crawl_child_mib": round(peak_child / 1024, 1),
            "broker_messages": len(urls), "pg_transactions": xacts,
            "pg_transactions_per_s": round(xacts / wall, 1)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sources", type=int, default=60)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds each replica response waits")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--concurrency", type=int, default=2, help="crawl slots per worker")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    from newswatch.replicas.server import ReplicaServer

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    workdir = ROOT / "var" / "bench-cluster"
    workdir.mkdir(parents=True, exist_ok=True)
    servers = [ReplicaServer(TEMPLATE).start() for _ in range(args.sources)]
    for server in servers:
        server.latency = args.latency
    try:
        results = [one_round(n, args, [s.base_url for s in servers], admin, workdir) for n in args.workers]
    finally:
        for server in servers:
            server.stop()
        admin.dispose()
    base = results[0]["wall_s"]
    print(f"{args.sources} sources, {args.latency:.2f} s per response, {args.concurrency} crawl slots per worker, "
          f"{os.cpu_count()} cores")  # fmt: skip
    for row in results:
        row["speedup_vs_first"] = round(base / row["wall_s"], 2)
        print(json.dumps(row))
    print(f"peak RSS of this process (leader + replica servers): "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
