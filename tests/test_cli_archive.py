"""``newswatch search | show | export | stats`` end to end through the real CLI and a migrated database."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newswatch.cli import cli
from storage.articles import upsert_articles
from storage.db import make_engine, make_session_factory, session_scope
from storage.models import CrawlRun
from storage.records import ArticleRecord

T0 = dt.datetime(2024, 3, 1, 9, tzinfo=dt.UTC)

ROWS = [
    ("osce", "en", T0, ["border"], "Border management training in Dushanbe",
     "The OSCE Programme Office in Dushanbe trained border officers from Khorog."),
    ("osce", "en", T0 + dt.timedelta(days=30), ["water"], "Water dialogue on the Panj river",
     "Experts discussed water and hydropower. A <script> tag & an ampersand stay as text."),
    ("avesta", "ru", T0 + dt.timedelta(days=60), ["border"], "ОБСЕ провела семинар в Душанбе",
     "Семинар по пограничному управлению прошёл в Душанбе."),
    ("khovar", "tg", None, [], "Ҳукумати Тоҷикистон",
     "Ҳукумати Ҷумҳурии Тоҷикистон дар Душанбе ҷаласа баргузор кард."),
]  # fmt: skip


def store(url: str) -> None:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    records = [
        ArticleRecord(
            canonical_url=f"https://{source}.example/news/{i}/",
            url=f"https://{source}.example/news/{i}/",
            source=source,
            title=title,
            body=body,
            content_hash=str(i),
            published_at=published,
            language=lang,
            tags=tags,
            authors=["A. Author"] if i == 0 else [],
        )  # fmt: skip
        for i, (source, lang, published, tags, title, body) in enumerate(ROWS)
    ]
    with session_scope(factory) as session:
        upsert_articles(session, records)
        session.add(
            CrawlRun(source="osce", started_at=T0, finished_at=T0 + dt.timedelta(minutes=2), status="ok")
        )
        session.add(CrawlRun(source="ozodi", started_at=T0, status="failed"))
    engine.dispose()


@pytest.fixture
def runner(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    store(sqlite_url)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSWATCH_CONFIG", raising=False)
    monkeypatch.setenv("NEWSWATCH_DATABASE_URL", sqlite_url)
    return CliRunner()


def run(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(cli, list(args), catch_exceptions=False)


def test_search_prints_a_readable_list(runner: CliRunner) -> None:
    result = run(runner, "search", "dushanbe")
    assert result.exit_code == 0, result.output
    assert "1 results; showing 1-1" in result.stdout
    assert "[1] Border management training in Dushanbe" in result.stdout
    assert "2024-03-01  osce  en  https://osce.example/news/0/" in result.stdout
    assert "\x1b[" not in result.stdout and "\x02" not in result.stdout  # not a terminal: no escapes


def test_search_json_has_the_documented_fields_and_marks_matches(runner: CliRunner) -> None:
    result = run(runner, "search", "Душанбе", "--format", "json")
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    # one hit from each source; their order is the ranking's business, not this test's
    assert sorted(h["source"] for h in hits) == ["avesta", "khovar"]
    first = next(h for h in hits if h["source"] == "avesta")
    assert {"id", "url", "source", "title", "published_at", "snippet", "score", "tags"} <= first.keys()
    assert first["published_at"] == "2024-04-30T09:00:00+00:00"
    assert "**Душанбе**" in first["snippet"]


def test_search_csv_and_filters(runner: CliRunner) -> None:
    result = run(runner, "search", "border OR Душанбе", "--source", "avesta", "--source", "khovar",
                 "--lang", "ru", "--format", "csv")  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["title"] for r in rows] == ["ОБСЕ провела семинар в Душанбе"]
    dated = run(runner, "search", "--since", "2024-03-15", "--until", "2024-03-31", "--format", "json")
    assert [h["title"] for h in json.loads(dated.stdout)] == ["Water dialogue on the Panj river"]
    same_day = run(runner, "search", "--until", "2024-03-01", "--format", "json")  # a bare date: whole day
    assert [h["id"] for h in json.loads(same_day.stdout)] == [1]
    tagged = run(runner, "search", "--tag", "border", "--order", "newest", "--format", "json")
    assert [h["id"] for h in json.loads(tagged.stdout)] == [3, 1]


def test_search_browse_and_paging(runner: CliRunner) -> None:
    first = json.loads(run(runner, "search", "--limit", "2", "--format", "json").stdout)
    second = json.loads(run(runner, "search", "--limit", "2", "--offset", "2", "--format", "json").stdout)
    assert [h["id"] for h in first] == [3, 2] and [h["id"] for h in second] == [1, 4]


@pytest.mark.parametrize("query", ["*", "-border", "OR OR", "x" * 5000])
def test_a_query_error_is_one_line_and_exit_2(runner: CliRunner, query: str) -> None:
    result = run(runner, "search", "--", query)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("newswatch: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_bad_date_is_a_usage_error(runner: CliRunner) -> None:
    result = run(runner, "search", "x", "--since", "last tuesday")
    assert result.exit_code == 2 and "is not a date" in result.stderr


def test_show_by_id_and_by_url_leniently(runner: CliRunner) -> None:
    by_id = run(runner, "show", "1")
    assert by_id.exit_code == 0
    assert by_id.stdout.startswith("Border management training in Dushanbe\n=")
    assert "authors:        A. Author" in by_id.stdout and "tags:           border" in by_id.stdout
    assert by_id.stdout.rstrip().endswith("trained border officers from Khorog.")
    for url in (
        "https://osce.example/news/1",
        "https://osce.example/news/1/#top",
        "http://osce.example/news/1/",
    ):
        shown = run(runner, "show", url, "--format", "json")
        assert shown.exit_code == 0, url
        assert json.loads(shown.stdout)["title"] == "Water dialogue on the Panj river"
    missing = run(runner, "show", "https://nowhere.example/")
    assert missing.exit_code == 1 and "no archived article" in missing.stderr


def test_export_jsonl_to_stdout_is_complete(runner: CliRunner) -> None:
    result = run(runner, "export")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["id"] for row in lines] == [1, 2, 3, 4]
    assert lines[1]["body"].endswith("stay as text.") and lines[0]["tags"] == ["border"]


def test_export_csv_to_a_file_with_filters_and_progress(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    result = run(runner, "export", "Душанбе OR dushanbe", "--source", "osce", "--source", "khovar",
                 "--format", "csv", "-o", str(target))  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert [r["id"] for r in rows] == ["1", "4"] and rows[1]["title"] == "Ҳукумати Тоҷикистон"
    assert "exported 2 articles" in result.stderr
    assert not (tmp_path / "out.csv.partial").exists()


def test_export_with_a_bad_query_writes_nothing(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "bad.jsonl"
    result = run(runner, "export", "--", "- -", "-o", str(target))
    assert result.exit_code == 2 and not target.exists() and not (tmp_path / "bad.jsonl.partial").exists()


def test_stats_per_source(runner: CliRunner) -> None:
    table = run(runner, "stats")
    assert table.exit_code == 0
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["source", "articles", "newest_published", "last_crawl", "last_status"]
    assert any(line.split()[:3] == ["osce", "2", "2024-03-31"] and line.endswith("ok") for line in lines)
    assert any(line.split() == ["ozodi", "0", "2024-03-01T09:00", "failed"] for line in lines)
    assert lines[-1].split() == ["(all)", "4"]
    data = {row["source"]: row for row in json.loads(run(runner, "stats", "--format", "json").stdout)}
    assert data["khovar"] == {
        "source": "khovar", "articles": 1, "newest_published": None, "last_crawl": None, "last_status": None,
    }  # fmt: skip
    assert data["osce"]["last_crawl"] == "2024-03-01T09:02:00+00:00"


def test_search_on_both_backends(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store(db_url)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSWATCH_CONFIG", raising=False)
    monkeypatch.setenv("NEWSWATCH_DATABASE_URL", db_url)
    result = CliRunner().invoke(cli, ["search", '"border management" OR Ҳукумати', "--format", "json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert sorted(h["id"] for h in hits) == [1, 4]
    assert all("**" in h["snippet"] for h in hits if h["id"] == 4)


def test_terminal_output_puts_matches_in_bold() -> None:
    from newswatch.cli.archive import _render_hits
    from storage.search import HIGHLIGHT_END, HIGHLIGHT_START, SearchHit

    hit = SearchHit(
        id=7, url="https://osce.example/7", source="osce", title="Border talks", published_at=T0, language="en",
        tags=[], snippet=f"talks on the {HIGHLIGHT_START}border{HIGHLIGHT_END} today", score=1.0, duplicate_of=None,
    )  # fmt: skip
    on_tty = _render_hits([hit], 120_000, True, 0, tty=True)
    assert "\x1b[1mborder\x1b[22m" in on_tty and on_tty.startswith("about 120,000 results")
    assert "talks on the border today" in _render_hits([hit], 1, False, 0, tty=False)
