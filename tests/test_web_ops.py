"""``/healthz`` and ``/metrics`` as a probe and Prometheus get them: over HTTP from `newswatch web`."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func
from sqlalchemy import select as sql_select
from test_web_data import live_server_fixture  # noqa: F401  (the `server` fixture)

from scheduler.lease import Lease
from storage.db import make_engine, make_session_factory
from storage.models import Article


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


def test_healthz_says_503_without_a_scheduler_and_200_while_one_holds_its_lease(
    server: str, sqlite_url: str
) -> None:
    status, headers, body = get(server + "/healthz")
    report = json.loads(body)
    assert status == 503 and headers["content-type"] == "application/json"
    assert report["status"] == "degraded" and report["database"] == "ok"
    assert any("no scheduler" in problem for problem in report["problems"])
    assert set(report["last_crawl_age_seconds"]) >= {"osce"}  # the archive's sources with finished runs

    engine = make_engine(sqlite_url)
    lease = Lease(make_session_factory(engine), holder="test-host:1", ttl_seconds=60)
    lease.acquire()
    try:
        status, _, body = get(server + "/healthz")
    finally:
        lease.release()
        engine.dispose()
    report = json.loads(body)
    assert status == 200, report
    assert report["status"] == "ok" and report["problems"] == []
    assert report["scheduler"]["holder"] == "test-host:1" and report["scheduler"]["fresh"] is True


def test_metrics_parse_as_prometheus_text_and_match_the_archive(server: str, sqlite_url: str) -> None:
    status, headers, body = get(server + "/metrics")
    assert status == 200
    assert headers["content-type"].startswith("text/plain; version=0.0.4")
    families = {family.name: family for family in text_string_to_metric_families(body.decode())}
    assert {"newswatch_crawls", "newswatch_fetch_errors", "newswatch_articles", "newswatch_outbox_messages",
            "newswatch_digest_delivery_seconds"} <= set(families)  # fmt: skip
    stored = {s.labels["source"]: s.value for s in families["newswatch_articles"].samples}
    engine = make_engine(sqlite_url)
    with make_session_factory(engine)() as session:
        expected = dict(
            session.execute(sql_select(Article.source, func.count()).group_by(Article.source)).all()
        )
    engine.dispose()
    assert stored == {source: float(count) for source, count in expected.items()}
    crawl_samples = [s for s in families["newswatch_crawls"].samples if s.name == "newswatch_crawls_total"]
    assert crawl_samples and all({"source", "status"} <= set(s.labels) for s in crawl_samples)
    outbox = {s.labels["status"] for s in families["newswatch_outbox_messages"].samples}
    assert outbox == {"queued", "sending", "sent", "failed"}


def test_healthz_reports_an_unreachable_database_as_down_without_a_traceback() -> None:
    from test_web_data import TestClient

    from newswatch.web import create_app

    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 2})
    app = create_app(make_session_factory(engine))
    with TestClient(app) as client:
        response = client.get("/healthz")
    engine.dispose()
    assert response.status_code == 503
    report = response.json()
    assert report["status"] == "down" and report["database"].startswith("unreachable: ")
    assert "Traceback" not in response.text
