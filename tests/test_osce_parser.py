"""The OSCE site parser (+ the normaliser) on saved replica pages, against reviewed golden JSON.

Goldens live in tests/golden/osce/: ``<name>.html`` (a saved replica page) and ``<name>.json`` (the
expected normalised article). After a deliberate change, regenerate them and review the diff::

    .venv/bin/python tests/test_osce_parser.py --regen
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from crawler.normalize import normalize_page
from crawler.parsers import extract_article
from crawler.parsers.osce import PARSER as OSCE
from storage.published import published_of

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "osce"
SEEDS = ROOT / "../shared/seeds"
PUBLIC = "https://www.osce.org"
# name -> (replica path, variant)
PAGES = {
    "seed-001-chairperson": ("/cio/69105", "default"),
    "seed-003-secretary-general": ("/sg/89660", "default"),
    "office-community-policing-attachment": ("/programme-office-in-dushanbe/543210", "default"),
    "office-no-dateline": ("/programme-office-in-dushanbe/441560", "default"),
    "renamed-markup-border-college": ("/secretariat/565802", "renamed"),
}
FIELDS = [
    "url", "title", "published_at", "dateline", "content_type", "language", "tags", "attachments",
    "extraction", "summary", "body",
]  # fmt: skip


def extract(html: str, url: str) -> dict[str, Any]:
    page = extract_article(html, url, OSCE)
    record = normalize_page(page, source="osce", raw_html=html.encode("utf-8"), encoding="utf-8")
    out: dict[str, Any] = {}
    for name in FIELDS:
        value = getattr(record, name)
        out[name] = value.isoformat() if isinstance(value, dt.datetime) else value
    published = published_of(record.published_at, record.published_day, record.published_precision)
    out["published_at"] = published.iso() if published else None  # "2010-05-19": the page gives a day
    out["publisher_unit"] = page.publisher_unit
    out["fallback_fields"] = page.fallback_fields
    return out


def goldens() -> list[str]:
    return sorted(path.stem for path in GOLDEN.glob("*.html"))


@pytest.mark.parametrize("name", goldens())
def test_golden_pages(name: str) -> None:
    expected = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    html = (GOLDEN / f"{name}.html").read_text(encoding="utf-8")
    assert extract(html, expected["url"]) == expected


def test_every_golden_page_is_checked() -> None:
    assert set(goldens()) == set(PAGES)
    assert all((GOLDEN / f"{name}.json").exists() for name in PAGES)


def golden(name: str) -> dict[str, Any]:
    return extract((GOLDEN / f"{name}.html").read_text(encoding="utf-8"), PUBLIC + PAGES[name][0])


NAV_ITEMS = [
    "Arms control",
    "Holy See",
    "Court of Conciliation and Arbitration",
    "Mission to Skopje",
    "About us",
]
AFTER_ARTICLE = ["Share this", "Related Stories", "Wallnerstrasse", "Privacy policy"]


@pytest.mark.parametrize(
    ("name", "title_start", "date", "unit", "fields"),
    [
        ("seed-001-chairperson", "Tajikistan is an important contributor", "2010-05-19", "OSCE Chairpersonship",
         ["Rule of law", "Human rights", "Gender equality", "Environmental activities", "Economic activities",
          "Democratization", "Conflict prevention and resolution", "Countering terrorism", "Border management",
          "Arms control", "Combating trafficking in human beings"]),
        ("seed-003-secretary-general", "OSCE Secretary General in meeting with Tajikistan President", "2012-03-27",
         "OSCE Secretary General", []),
    ],
)  # fmt: skip
def test_the_seed_press_releases(
    name: str, title_start: str, date: str, unit: str, fields: list[str]
) -> None:
    article = golden(name)
    assert article["title"].startswith(title_start)
    assert article["published_at"].startswith(date)
    assert article["dateline"].lower() == "dushanbe"
    assert article["publisher_unit"] == unit
    assert article["tags"] == fields
    assert article["content_type"] == "Press release" and article["language"] == "en"
    assert article["extraction"] == "site" and article["fallback_fields"] == []
    body = article["body"]
    for boilerplate in NAV_ITEMS + AFTER_ARTICLE + ["Fields of work", "Publishing date"]:
        assert boilerplate not in body


def seed_paragraphs(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index("Press release") + 2
    return [line for line in lines[start:] if line.strip() and not line.startswith("- ")]


@pytest.mark.parametrize(("name", "seed"), [("seed-001-chairperson", "001_d4786c0659c85617.txt"),
                                            ("seed-003-secretary-general", "003_4f6903038106f065.txt")])  # fmt: skip
def test_the_body_is_the_seed_text_exactly(name: str, seed: str) -> None:
    path = SEEDS / seed
    if not path.exists():
        pytest.skip(f"seed captures not found at {SEEDS} (shared/ must sit beside the checkout)")
    paragraphs = seed_paragraphs(path)
    body = " ".join(golden(name)["body"].split())  # the normaliser turns no-break spaces into spaces
    # The normaliser may drop the dateline from the first paragraph; every word of the seed is there.
    assert " ".join(paragraphs[0].split()).split(" - ", 1)[-1].split(" – ", 1)[-1] in body
    for paragraph in paragraphs[1:]:
        assert " ".join(paragraph.split()) in body


def test_attachments_are_absolute_links() -> None:
    assert golden("office-community-policing-attachment")["attachments"] == [
        "https://www.osce.org/files/f/documents/5/4/543210_0.pdf"
    ]


def test_renamed_markup_falls_back_to_the_generic_layer_and_says_so() -> None:
    article = golden("renamed-markup-border-college")
    assert article["title"] == "OSCE Border Management Staff College graduates 25 officers from 12 countries"
    assert article["published_at"].startswith("2024-04-04")
    assert "Staff Course of the OSCE Border Management Staff College" in article["body"]
    assert {"title", "body", "published"} <= set(article["fallback_fields"])
    assert article["extraction"] == "generic"
    for boilerplate in NAV_ITEMS:
        assert boilerplate not in article["body"]


def regenerate() -> None:
    """Save the replica's pages as goldens (with the public base URL) and their current extraction."""
    sys.path.insert(0, str(ROOT / "tests"))
    from newswatch.replicas.server import ReplicaServer

    GOLDEN.mkdir(parents=True, exist_ok=True)
    for name, (path, variant) in PAGES.items():
        server = ReplicaServer("osce", variant=variant)
        html = server.site.render_article(server.site.article(path)).replace(server.base_url, PUBLIC)
        server.stop()
        (GOLDEN / f"{name}.html").write_text(html, encoding="utf-8")
        result = extract(html, PUBLIC + path)
        (GOLDEN / f"{name}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", "utf-8")
        print(f"wrote {name}: {result['title'][:60]!r} fallbacks={result['fallback_fields']}")


if __name__ == "__main__":
    if "--regen" not in sys.argv:
        sys.exit("usage: python tests/test_osce_parser.py --regen")
    regenerate()
