"""A small, real-looking archive for the web tests: OSCE releases and regional news in three languages.

Stored through ``storage.articles.upsert_articles`` like the crawler does, plus crawl runs and source
state for the sources page, one near-duplicate story and one article carrying an XSS attempt.
Imported by the other ``test_web_*`` modules (this module holds fixtures, no tests).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import select as io_select
import shutil
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from newswatch.web import create_app, make_readonly_engine
from storage.articles import set_duplicate_of, upsert_articles
from storage.db import make_engine, make_session_factory, session_scope
from storage.models import Article, CrawlRun, SourceState
from storage.records import ArticleRecord

with warnings.catch_warnings():
    # Starlette 0.52's TestClient touches an alias anyio deprecated; not our code, and only at import.
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette.testclient import TestClient

XSS = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'
SOURCES = {
    "osce": "OSCE press releases",
    "asiaplus": "Asia-Plus",
    "ozodi": "Radio Ozodi",
    "tdi": "The Diplomatic Insight",
}


def _when(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=9, tzinfo=dt.UTC)


ARTICLES: list[dict] = [
    {
        "source": "osce",
        "url": "https://www.osce.org/programme-office-in-dushanbe/570001",
        "title": "OSCE trains Tajik border guards on border management in Dushanbe",
        "body": "DUSHANBE, 12 March 2024 - The OSCE Programme Office in Dushanbe held a five-day course on "
        "border management for 25 officers of the Border Troops.\n\nThe course covered risk analysis, "
        "document security and human rights at crossing points.\n\nThe Head of the Programme Office said "
        "co-operation on border security remains a priority.",
        "published": "2024-03-12",
        "language": "en",
        "tags": ["border management", "security"],
    },
    {
        "source": "osce",
        "url": "https://www.osce.org/programme-office-in-dushanbe/570002",
        "title": "OSCE supports media freedom conference in Khujand",
        "body": "KHUJAND, 20 March 2024 - Journalists and editors from Sughd region discussed media freedom "
        "and access to information at a conference supported by the OSCE.\n\nParticipants agreed a set "
        "of recommendations on the safety of journalists.",
        "published": "2024-03-20",
        "language": "en",
        "tags": ["media freedom"],
    },
    {
        "source": "asiaplus",
        "url": "https://asiaplustj.info/ru/news/tajikistan/20240313/obse-pogranichniki",
        "title": "ОБСЕ обучила таджикских пограничников в Душанбе",
        "body": "Программный офис ОБСЕ в Душанбе провёл курс по управлению границами для офицеров "
        "Пограничных войск.\n\nКурс был посвящён анализу рисков и безопасности документов.",
        "published": "2024-03-13",
        "language": "ru",
        "tags": ["border management"],
    },
    {
        "source": "ozodi",
        "url": "https://www.ozodi.org/a/32870001.html",
        "title": "САҲА дар Душанбе барои сарҳадбонон курс гузаронд",
        "body": "Дафтари барномаҳои САҲА дар Душанбе барои афсарони қӯшунҳои сарҳадӣ курси омӯзишӣ "
        "гузаронд.\n\nДар курс масъалаҳои амнияти ҳуҷҷатҳо баррасӣ шуданд.",
        "published": "2024-03-14",
        "language": "tg",
        "tags": ["border management"],
    },
    {
        "source": "tdi",
        "url": "https://thediplomaticinsight.com/tajikistan-osce-border-2024",
        "title": "Tajikistan and OSCE deepen border management co-operation",
        "body": "Dushanbe, 15 March 2024 (TDI): Tajikistan and the OSCE agreed to deepen co-operation on "
        "border management, following a training course for Border Troops officers in Dushanbe.",
        "published": "2024-03-15",
        "language": "en",
        "tags": ["border management", "diplomacy"],
    },
    {
        "source": "tdi",
        "url": "https://thediplomaticinsight.com/xss-test",
        "title": f"Khujand Declaration {XSS}",
        "body": f"A commentary on the Khujand Declaration and regional co-operation. {XSS}\n\n"
        "Second paragraph about Central Asia.",
        "published": "2024-03-21",
        "language": "en",
        "tags": [f"tag{XSS}"],
    },
    {
        "source": "asiaplus",
        "url": "https://asiaplustj.info/en/news/tajikistan/20240110/water",
        "title": "Rogun: Tajikistan outlines water-energy plans",
        "body": "Officials in Dushanbe presented plans for the Rogun hydropower plant and regional water "
        "co-operation.",
        "published": "2024-01-10",
        "language": "en",
        "tags": ["energy"],
    },
]
# Enough extra OSCE items to need several pages at the test page size of 5.
ARTICLES += [
    {
        "source": "osce",
        "url": f"https://www.osce.org/programme-office-in-dushanbe/58{n:04d}",
        "title": f"OSCE Programme Office in Dushanbe holds workshop number {n} on gender equality",
        "body": f"DUSHANBE, {n} February 2024 - A workshop on gender equality and women's participation "
        f"in public life was held in Dushanbe (event {n}).",
        "published": f"2024-02-{n:02d}",
        "language": "en",
        "tags": ["gender equality"],
    }
    for n in range(1, 13)
]


def record(item: dict) -> ArticleRecord:
    return ArticleRecord(
        canonical_url=item["url"],
        url=item["url"],
        source=item["source"],
        title=item["title"],
        body=item["body"],
        content_hash=hashlib.sha256(item["body"].encode()).hexdigest(),
        published_at=_when(item["published"]),
        language=item["language"],
        tags=item["tags"],
        authors=item.get("authors", []),
    )


def fill_archive(url: str) -> dict[str, int]:
    """Store ARTICLES, mark the Russian and Tajik border stories as duplicates of the OSCE one, add runs."""
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as session:
        upsert_articles(session, [record(item) for item in ARTICLES])
        ids = dict(session.execute(select(Article.url, Article.id)).tuples().all())
        original = ids[ARTICLES[0]["url"]]
        for item in ARTICLES[2:4]:
            set_duplicate_of(session, ids[item["url"]], original)
        now = dt.datetime(2024, 3, 22, 6, tzinfo=dt.UTC)
        session.add_all(
            [
                CrawlRun(
                    source="osce", started_at=now - dt.timedelta(days=1), finished_at=now, status="failed"
                ),
                CrawlRun(source="osce", started_at=now, finished_at=now, status="ok", items_new=3),
                CrawlRun(source="asiaplus", started_at=now, finished_at=now, status="failed", errors=4),
                SourceState(
                    source="asiaplus", consecutive_failures=3, last_success_at=now - dt.timedelta(days=2)
                ),
                SourceState(source="osce", consecutive_failures=0, last_success_at=now),
            ]
        )
    engine.dispose()
    return ids


# The web layer only reads, so one filled archive per module and backend serves every test in it.
@pytest.fixture(
    name="archive", scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def archive_fixture(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    fresh_migrated_url: Callable[[pytest.FixtureRequest, Path], str],
) -> tuple[str, dict[str, int]]:
    """(database URL, {article url: id}) of a filled archive, on SQLite and on PostgreSQL."""
    url = fresh_migrated_url(request, tmp_path_factory.mktemp("web"))
    return url, fill_archive(url)


@pytest.fixture(name="client", scope="module")
def client_fixture(archive: tuple[str, dict[str, int]]) -> Iterator[TestClient]:
    url, _ = archive
    engine = make_readonly_engine(url)
    app = create_app(make_session_factory(engine), sources=SOURCES, page_size=5)
    with TestClient(app) as test_client:
        yield test_client
    engine.dispose()


@pytest.fixture(name="ids", scope="module")
def ids_fixture(archive: tuple[str, dict[str, int]]) -> dict[str, int]:
    return archive[1]


@pytest.fixture(name="server")
def live_server_fixture(sqlite_url: str, tmp_path: Path) -> Iterator[str]:
    """`newswatch web --port 0` on a filled archive, as a browser or a probe meets it; yields its base URL."""
    fill_archive(sqlite_url)
    env = {**os.environ, "NEWSWATCH_DATABASE_URL": sqlite_url, "NEWSWATCH_CONFIG": ""}
    newswatch = shutil.which("newswatch", path=str(Path(sys.executable).parent)) or "newswatch"
    process = subprocess.Popen([newswatch, "web", "--host", "127.0.0.1", "--port", "0"], cwd=tmp_path, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert process.stderr is not None
        ready, _, _ = io_select.select([process.stderr], [], [], 60)
        line = process.stderr.readline() if ready else ""
        match = re.search(r"serving on (http://127\.0\.0\.1:\d+)/", line)
        assert match, f"server did not start: {line!r}"
        yield match.group(1)
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()
