"""A cluster on one machine: a leader, real ``newswatch worker`` processes, RabbitMQ and PostgreSQL.

Real parts throughout: the broker is the RabbitMQ server on 127.0.0.1:5672 (each test has a queue of
its own), the database a throw-away PostgreSQL database, the sites the replica servers, each crawl a
real Scrapy child of a real worker process.

- three workers and a leader: every source crawled at each interval, never two crawls of one source
  at once, work shared by several workers;
- kill -9 of a worker mid-crawl: the job is delivered again and finished by another worker, the
  killed run is closed as killed, no article lost or duplicated;
- the broker unreachable for a while: the leader keeps running and says so once; jobs resume after.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from service_helpers import only, start_serve, wait_until, write_config
from sqlalchemy import func, select

from alerts.config import MailConfig
from newswatch.replicas.server import ReplicaServer
from scheduler.config import ClusterConfig, ServiceConfig
from scheduler.service import Service
from storage.cluster import list_jobs, list_workers
from storage.db import make_engine, make_session_factory
from storage.models import Article, CrawlRun

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

BROKER_URL = os.environ.get("NEWSWATCH_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
FAST_CRAWL = {"download_delay": 0, "autothrottle": False, "retry_times": 0, "download_timeout": 60}
SLOW_ARTICLE = "/cio/69105"


def _broker_reachable() -> str | None:
    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=3):
            return None
    except OSError as exc:
        return f"RabbitMQ not reachable at 127.0.0.1:5672: {exc}"


@pytest.fixture
def broker() -> Iterator[ClusterConfig]:
    """A queue of this test's own on the real broker, deleted afterwards."""
    reason = _broker_reachable()
    if reason:
        if IN_CI:
            pytest.fail(f"{reason} (CI must run the cluster tests)")
        pytest.skip(reason)
    queue = f"nw-test-{uuid.uuid4().hex[:8]}"
    yield ClusterConfig(broker_url=BROKER_URL, queue=queue, worker_heartbeat_seconds=1, lock_wait_seconds=30,
                        enqueue_retry_seconds=1)  # fmt: skip
    from kombu import Connection

    with Connection(BROKER_URL) as conn:
        try:
            conn.default_channel.queue_delete(queue)
        except Exception:  # noqa: BLE001 - never declared (a test that failed early)
            pass


@pytest.fixture
def pg_url(request: pytest.FixtureRequest, tmp_path: Path, fresh_migrated_url: Any) -> str:
    request.param = "postgres"  # type: ignore[attr-defined]
    return str(fresh_migrated_url(request, tmp_path))


@pytest.fixture
def sessions(pg_url: str) -> Iterator[Any]:
    engine = make_engine(pg_url)
    yield make_session_factory(engine)
    engine.dispose()


def leader_config(
    db_url: str, replicas: dict[str, str], cluster: ClusterConfig, **values: Any
) -> ServiceConfig:
    defaults: dict[str, Any] = dict(
        database_url=db_url, source_overrides=only(replicas), crawl_options=FAST_CRAWL, max_pages=3,
        jitter_seconds=0, catch_up_stagger_seconds=0.1, shutdown_timeout_seconds=10, lease_seconds=30,
        heartbeat_seconds=1, mail=MailConfig(outbox_dir=Path("unused"), admin_email="admin@example.org"),
        cluster=cluster,
    )  # fmt: skip
    defaults.update(values)
    return ServiceConfig(**defaults)


def write_worker_config(
    tmp_path: Path, db_url: str, replicas: dict[str, str], cluster: ClusterConfig
) -> Path:
    table = {"broker_url": cluster.broker_url, "queue": cluster.queue, "worker_concurrency": 2,
             "worker_heartbeat_seconds": 1, "lock_wait_seconds": cluster.lock_wait_seconds}  # fmt: skip
    return write_config(tmp_path, db_url, replicas, tables={"cluster": table})


class Workers:
    """``newswatch worker`` subprocesses, each logging to a file of its own."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, count: int) -> None:
        for _ in range(count):
            log = self.config.parent / f"worker-{len(self.procs)}.log"
            command = [sys.executable, "-c", "from newswatch.cli import main; main()", "worker"]
            with log.open("ab") as out:
                self.procs.append(subprocess.Popen(
                    command, env={**os.environ, "NEWSWATCH_CONFIG": str(self.config)}, cwd=self.config.parent,
                    stdout=out, stderr=subprocess.STDOUT,
                ))  # fmt: skip

    def logs(self) -> list[str]:
        return [p.read_text(errors="replace") for p in sorted(self.config.parent.glob("worker-*.log"))]

    def stop(self) -> list[int | None]:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes: list[int | None] = []
        for proc in self.procs:
            try:
                codes.append(proc.wait(timeout=60))
            except subprocess.TimeoutExpired:
                proc.kill()
                codes.append(proc.wait())
        return codes


def runs_by_source(sessions: Any) -> dict[str, list[CrawlRun]]:
    with sessions() as session:
        runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
    by_source: dict[str, list[CrawlRun]] = {}
    for run in runs:
        by_source.setdefault(run.source, []).append(run)
    return by_source


def assert_never_two_at_once(runs: list[CrawlRun]) -> None:
    spans = sorted((run.started_at, run.finished_at) for run in runs)
    for (_start, end), (next_start, _end) in zip(spans, spans[1:], strict=False):
        assert end is not None and end <= next_start, f"two crawls of {runs[0].source} overlapped: {spans}"


def test_three_workers_and_a_leader_crawl_each_source_every_interval_never_twice_at_once(
    tmp_path: Path, pg_url: str, sessions: Any, broker: ClusterConfig
) -> None:
    keys = ["osce", "timesca", "khovar", "eurasianet"]
    servers = [ReplicaServer(key) for key in keys]
    for server in servers:
        server.start()
    replicas = {key: server.base_url for key, server in zip(keys, servers, strict=True)}
    workers = Workers(write_worker_config(tmp_path, pg_url, replicas, broker))
    service = Service(leader_config(pg_url, replicas, broker, crawl_interval_seconds=4))
    try:
        workers.start(3)
        wait_until(lambda: len(list_workers_now(sessions)) == 3, 60, "three workers reporting")
        service.start()

        def two_good_runs_each() -> bool:
            runs = runs_by_source(sessions)
            return all(sum(r.status == "ok" for r in runs.get(key, [])) >= 2 for key in keys)

        wait_until(two_good_runs_each, 300, "two finished crawls of every source")
    finally:
        service.stop()
        codes = workers.stop()
        for server in servers:
            server.stop()
    assert codes == [0, 0, 0]  # SIGTERM: a warm shutdown, running crawls finished
    runs = runs_by_source(sessions)
    assert set(runs) == set(keys)
    for key in keys:
        assert all(r.status == "ok" for r in runs[key]), [(r.status, r.log_excerpt) for r in runs[key]]
        assert_never_two_at_once(runs[key])
    busy_workers = [log for log in workers.logs() if "crawl " in log and " started (pid" in log]
    assert len(busy_workers) >= 2, "the work was not shared between workers"
    with sessions() as session:
        assert list_jobs(session) == []  # every job the leader enqueued was finished
        assert list_workers(session) == []  # stopped workers leave the list
        urls = session.scalars(select(Article.canonical_url)).all()
    assert urls and len(urls) == len(set(urls))


def list_workers_now(sessions: Any) -> list[Any]:
    with sessions() as session:
        return list_workers(session)


def test_kill_9_of_a_worker_mid_crawl_hands_the_job_to_another_worker(
    tmp_path: Path, pg_url: str, sessions: Any, broker: ClusterConfig
) -> None:
    with ReplicaServer("osce") as osce:
        replicas = {"osce": osce.base_url}
        # the reference: what one undisturbed crawl of this replica stores
        reference_db = f"sqlite:///{tmp_path / 'reference.db'}"
        reference_cfg = tmp_path / "reference"
        reference_cfg.mkdir()
        subprocess.run(
            [sys.executable, "-c", "from newswatch.cli import main; main()", "crawl", "osce"],
            env={**os.environ, "NEWSWATCH_CONFIG": str(write_worker_config(reference_cfg, reference_db, replicas,
                                                                               broker))},
            cwd=reference_cfg, check=True, capture_output=True, timeout=180,
        )  # fmt: skip
        reference_engine = make_engine(reference_db)
        with make_session_factory(reference_engine)() as session:
            expected = set(session.scalars(select(Article.canonical_url)).all())
        reference_engine.dispose()
        assert expected

        osce.fail(SLOW_ARTICLE, "slow", delay=20, times=1)  # the first crawl hangs on this page
        workers = Workers(write_worker_config(tmp_path, pg_url, replicas, broker))
        service = Service(leader_config(pg_url, replicas, broker, crawl_interval_seconds=600))
        try:
            workers.start(2)
            wait_until(lambda: len(list_workers_now(sessions)) == 2, 60, "two workers reporting")
            service.start()

            def crawling_worker_pid() -> int | None:
                with sessions() as session:
                    jobs = list_jobs(session)
                    running = session.scalar(select(func.count()).where(CrawlRun.status == "running"))
                if jobs and jobs[0].worker and running:
                    return int(jobs[0].worker.rsplit(":", 1)[1])
                return None

            victim = wait_until(crawling_worker_pid, 90, "a crawl under way")
            time.sleep(2)  # well into it: the listing is read, the slow page is pending
            os.kill(victim, signal.SIGKILL)

            def finished_after_the_kill() -> bool:
                runs = runs_by_source(sessions).get("osce", [])
                return any(r.status == "ok" for r in runs) and all(r.status != "running" for r in runs)

            wait_until(finished_after_the_kill, 120, "the redelivered crawl to finish")
        finally:
            service.stop()
            workers.stop()
    runs = runs_by_source(sessions)["osce"]
    assert [r.status for r in runs] == ["killed", "ok"], [(r.status, r.log_excerpt) for r in runs]
    # closed by its own child ("its worker died mid-crawl") or, if that child was cut off, by the redelivered
    # crawl under the lock ("its crawl process died"): either way the row says why
    assert "died" in (runs[0].log_excerpt or "")
    assert_never_two_at_once(runs)
    with sessions() as session:
        stored = session.scalars(select(Article.canonical_url)).all()
    assert len(stored) == len(set(stored))
    assert set(stored) == expected  # nothing lost


class TcpProxy:
    """A loopback TCP forwarder that can be switched off and on: the broker "goes away" for the leader."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        with self._lock:
            if self._listener is not None:
                self._listener.close()
                self._listener = None
            for conn in self._conns:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                conn.close()
            self._conns.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def test_the_leader_keeps_running_while_the_broker_is_down_and_jobs_resume_after(
    tmp_path: Path, pg_url: str, sessions: Any, broker: ClusterConfig, caplog: pytest.LogCaptureFixture
) -> None:
    proxy = TcpProxy(("127.0.0.1", 5672))
    leader_cluster = ClusterConfig(broker_url=f"amqp://guest:guest@127.0.0.1:{proxy.port}//", queue=broker.queue,
                                   enqueue_retry_seconds=1)  # fmt: skip
    with ReplicaServer("timesca") as site:
        replicas = {"timesca": site.base_url}
        workers = Workers(write_worker_config(tmp_path, pg_url, replicas, broker))
        service = Service(leader_config(pg_url, replicas, leader_cluster, crawl_interval_seconds=2))
        caplog.set_level("INFO", logger="scheduler")
        try:
            workers.start(1)
            wait_until(lambda: len(list_workers_now(sessions)) == 1, 60, "a worker reporting")
            service.start()  # the broker is down from the start
            wait_until(
                lambda: "cannot reach the broker" in caplog.text, 60, "the leader to say the broker is down"
            )
            assert runs_by_source(sessions) == {}
            assert service.scheduler is not None and service.scheduler.running
            proxy.up()
            wait_until(lambda: any(r.status == "ok" for r in runs_by_source(sessions).get("timesca", [])), 120,
                       "a crawl once the broker is back")  # fmt: skip
        finally:
            service.stop()
            workers.stop()
            proxy.down()
    assert caplog.text.count("cannot reach the broker") == 1  # said once per outage, not at every retry
    assert "reachable again" in caplog.text


def test_kill_9_of_the_leader_a_standby_takes_over_and_no_crawl_runs_twice(
    tmp_path: Path, pg_url: str, sessions: Any, broker: ClusterConfig
) -> None:
    from scheduler.lease import Lease

    keys = ["timesca", "khovar"]
    servers = [ReplicaServer(key).start() for key in keys]
    replicas = {key: server.base_url for key, server in zip(keys, servers, strict=True)}
    config = write_worker_config(tmp_path, pg_url, replicas, broker)
    workers = Workers(config)
    flags = ("--lease-seconds", "4", "--heartbeat-seconds", "1", "--crawl-interval-seconds", "3")
    leader = start_serve(config, tmp_path / "leader.log", *flags)
    lease = Lease(sessions)
    standby = None
    try:
        info = wait_until(lease.current, 120, "the leader to take the lease")
        assert info.holder.endswith(f":{leader.pid}")
        standby = start_serve(config, tmp_path / "standby.log", "--standby", *flags)  # waits for the lease
        workers.start(2)

        def ok_runs() -> int:
            return sum(r.status == "ok" for runs in runs_by_source(sessions).values() for r in runs)

        wait_until(lambda: ok_runs() >= len(keys), 240, "a first round of crawls")
        leader.kill()  # kill -9
        leader.wait()
        before = ok_runs()
        taken = wait_until(lambda: (i := lease.current()) and i.holder.endswith(f":{standby.pid}") and i, 120,
                           "the standby to take over")  # fmt: skip
        assert taken
        wait_until(lambda: ok_runs() >= before + 2 * len(keys), 240, "crawls scheduled by the new leader")
    finally:
        for proc in (leader, standby):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        standby_code = standby.wait(timeout=60) if standby is not None else None
        workers.stop()
        for server in servers:
            server.stop()
    assert standby_code == 0
    for key, runs in runs_by_source(sessions).items():
        assert all(r.status == "ok" for r in runs), (key, [(r.status, r.log_excerpt) for r in runs])
        assert_never_two_at_once(runs)
