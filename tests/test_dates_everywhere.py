"""A day-only date is that day on every output path; times are the reader's, with the zone named.

One archive holds three articles, all published on 1 October 2024 by their publishers:

* ``day``  - Khovar (Asia/Dushanbe, east of UTC) gave only the day; stored from 00:00 Dushanbe, which
  is 30 Sep 19:00 UTC, the instant the old code showed as "30 Sep";
* ``east`` - Khovar at 02:30 Dushanbe time (30 Sep 21:30 UTC);
* ``west`` - Eurasianet (America/New_York, west of UTC) at 22:30 New York time (2 Oct 02:30 UTC).

Each output (CLI table / JSON / CSV / show / export, the JSON API, Atom, the web pages and the digest's
HTML and text parts) is read as its receiver gets it, and the filters are checked on the day boundaries.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import warnings
from pathlib import Path
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result

from newswatch.cli import cli
from newswatch.web import create_app, make_readonly_engine
from storage.articles import upsert_articles
from storage.db import make_engine, make_session_factory, session_scope
from storage.published import Published
from storage.records import ArticleRecord

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette.testclient import TestClient

DUSHANBE = ZoneInfo("Asia/Dushanbe")
NEW_YORK = ZoneInfo("America/New_York")
OCT_1 = dt.date(2024, 10, 1)
PUBLISHED = {
    "day": ("khovar", Published.on_day(OCT_1, DUSHANBE)),
    "east": ("khovar", Published.at_moment(dt.datetime(2024, 10, 1, 2, 30, tzinfo=DUSHANBE), DUSHANBE)),
    "west": ("eurasianet", Published.at_moment(dt.datetime(2024, 10, 1, 22, 30, tzinfo=NEW_YORK), NEW_YORK)),
}
ATOM = "{http://www.w3.org/2005/Atom}"


def _record(key: str) -> ArticleRecord:
    source, published = PUBLISHED[key]
    return ArticleRecord(
        canonical_url=f"https://{source}.example/{key}/",
        url=f"https://{source}.example/{key}/",
        source=source,
        title=f"Border talks in Dushanbe ({key})",
        body=f"The border commission met in Dushanbe to discuss crossing points. Report {key}.",
        content_hash=key,
        summary=f"The border commission met ({key}).",
        published_at=published.at,
        published_day=published.day,
        published_precision=published.precision,
        language="en",
    )


@pytest.fixture
def archive(sqlite_url: str) -> dict[str, int]:
    engine = make_engine(sqlite_url)
    with session_scope(make_session_factory(engine)) as session:
        outcome = upsert_articles(session, [_record(key) for key in PUBLISHED])
    engine.dispose()
    return dict(zip(PUBLISHED, outcome.new, strict=True))


@pytest.fixture
def runner(
    sqlite_url: str, archive: dict[str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSWATCH_CONFIG", raising=False)
    monkeypatch.setenv("NEWSWATCH_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("NEWSWATCH_DISPLAY_TIMEZONE", "Asia/Dushanbe")
    return CliRunner()


def run(runner: CliRunner, *args: str) -> Result:
    result = runner.invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def by_key(rows: list[dict], archive: dict[str, int]) -> dict[str, dict]:
    ids = {v: k for k, v in archive.items()}
    return {ids[int(row["id"])]: row for row in rows}


def test_cli_json_csv_and_table(runner: CliRunner, archive: dict[str, int]) -> None:
    rows = by_key(json.loads(run(runner, "search", "border", "--format", "json").stdout), archive)
    assert (rows["day"]["published_at"], rows["day"]["published_precision"]) == ("2024-10-01", "day")
    assert rows["east"]["published_at"] == "2024-09-30T21:30:00+00:00"
    assert rows["west"]["published_at"] == "2024-10-02T02:30:00+00:00"
    assert {rows[k]["published_precision"] for k in ("east", "west")} == {"minute"}

    table = list(csv.DictReader(io.StringIO(run(runner, "search", "border", "--format", "csv").stdout)))
    assert by_key(table, archive)["day"]["published_at"] == "2024-10-01"

    listing = run(runner, "search", "border").stdout
    assert listing.count("2024-10-01  ") == 3 and "2024-09-30" not in listing and "2024-10-02" not in listing


def test_show_names_the_readers_zone_and_keeps_a_day_a_day(
    runner: CliRunner, archive: dict[str, int]
) -> None:
    day = run(runner, "show", str(archive["day"])).stdout
    assert "published_at:   1 Oct 2024\n" in day and "19:00" not in day and "30 Sep" not in day
    east = run(runner, "show", str(archive["east"])).stdout
    assert "published_at:   1 Oct 2024, 02:30 Asia/Dushanbe" in east
    data = json.loads(run(runner, "show", str(archive["day"]), "--format", "json").stdout)
    assert (data["published_at"], data["published_precision"], data["published_day"]) == (
        "2024-10-01",
        "day",
        "2024-10-01",
    )


def test_export_writes_the_publishers_day(runner: CliRunner, archive: dict[str, int]) -> None:
    lines = [json.loads(line) for line in run(runner, "export", "border").stdout.splitlines()]
    rows = by_key(lines, archive)
    assert rows["day"]["published_at"] == "2024-10-01" and rows["day"]["published_precision"] == "day"
    assert {row["published_day"] for row in lines} == {"2024-10-01"}
    exported = list(csv.DictReader(io.StringIO(run(runner, "export", "--format", "csv").stdout)))
    assert by_key(exported, archive)["day"]["published_at"] == "2024-10-01"


@pytest.mark.parametrize(
    "args,expected",
    [
        (["--since", "2024-10-01"], {"day", "east", "west"}),
        (["--until", "2024-10-01"], {"day", "east", "west"}),
        (["--since", "2024-10-01", "--until", "2024-10-01"], {"day", "east", "west"}),
        (["--until", "2024-09-30"], set()),
        (["--since", "2024-10-02"], set()),
    ],
)
def test_cli_filters_compare_publisher_days(
    runner: CliRunner, archive: dict[str, int], args: list[str], expected: set[str]
) -> None:
    rows = json.loads(run(runner, "search", *args, "--format", "json").stdout)
    assert set(by_key(rows, archive)) == expected


@pytest.fixture
def client(sqlite_url: str, archive: dict[str, int]) -> TestClient:
    engine = make_readonly_engine(sqlite_url)
    app = create_app(make_session_factory(engine), sources={"khovar": "Khovar"}, reader_zone="Asia/Dushanbe")
    with TestClient(app) as test_client:
        yield test_client
    engine.dispose()


def test_api_dates_and_filters(client: TestClient, archive: dict[str, int]) -> None:
    article = client.get(f"/api/articles/{archive['day']}").json()
    assert (article["published_at"], article["published_precision"]) == ("2024-10-01", "day")
    items = client.get("/api/articles", params={"since": "2024-10-01"}).json()["items"]
    assert {item["id"] for item in items} == set(archive.values())
    assert client.get("/api/articles", params={"until": "2024-09-30"}).json()["items"] == []
    listed = {item["id"]: item for item in client.get("/api/articles").json()["items"]}
    assert listed[archive["day"]]["published_at"] == "2024-10-01"


def test_atom_gives_a_day_as_noon_utc(client: TestClient, archive: dict[str, int]) -> None:
    feed = ET.fromstring(client.get("/feed.atom", params={"q": "border"}).content)
    published = {
        entry.find(f"{ATOM}id").text.rsplit("/", 1)[1]: entry.find(f"{ATOM}published").text  # type: ignore[union-attr]
        for entry in feed.iter(f"{ATOM}entry")
    }
    assert published[str(archive["day"])] == "2024-10-01T12:00:00Z"  # 1 Oct from UTC-11 to UTC+11
    assert published[str(archive["east"])] == "2024-09-30T21:30:00Z"


def test_web_pages_show_the_day_and_name_the_zone(client: TestClient, archive: dict[str, int]) -> None:
    page = client.get(f"/articles/{archive['day']}").text
    assert '<time datetime="2024-10-01">1 Oct 2024</time>' in page
    assert "Asia/Dushanbe" in page  # the footer names the zone times are shown in
    east = client.get(f"/articles/{archive['east']}").text
    assert "1 Oct 2024, 02:30 Asia/Dushanbe" in east
    search = client.get("/", params={"q": "border"}).text
    assert search.count(">1 Oct 2024</time>") == 3 and "30 Sep 2024" not in search


def test_digest_html_and_text_show_the_publishers_day(runner: CliRunner) -> None:
    run(runner, "subscribers", "add", "ana@example.org", "--query", "border")
    for part in ("text", "html"):
        out = run(
            runner, "digest", "preview", "ana@example.org", "--since", "2024-09-01", "--part", part
        ).stdout
        assert out.count("1 Oct 2024") >= 3, out
        assert "30 Sep 2024" not in out and "2 Oct 2024" not in out
    later = runner.invoke(cli, ["digest", "preview", "ana@example.org", "--since", "2024-10-02"])
    assert "Nothing new" in later.output
