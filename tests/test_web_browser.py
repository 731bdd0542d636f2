"""End to end in real headless Chromium: `newswatch web` in a subprocess, driven by Playwright.

Uses Debian's /usr/bin/chromium (never a downloaded browser). Skipped with the reason when it is
missing, except in CI (CI=true), where .ci/run installs it and this test must run.
Set NEWSWATCH_UPDATE_SCREENSHOT=1 to refresh docs/web-search.png for the README.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from test_web_data import live_server_fixture  # noqa: F401  (the `server` fixture)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.chromium


@pytest.fixture
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing; .ci/run should have installed Debian's chromium")
        pytest.skip(
            f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) to run this"
        )
    return CHROMIUM


def test_search_filter_open_article_and_follow_the_feed(
    chromium_path: str, server: str, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            problems: list[str] = []
            page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: problems.append(str(exc)))

            # Search with the query language.
            page.goto(server + "/")
            page.fill("#q", "Dushanbe -gender")
            page.click("button[type=submit]")
            page.wait_for_selector("li.hit")
            all_hits = page.locator("li.hit").count()
            assert all_hits >= 3
            assert "q=Dushanbe+-gender" in page.url
            assert page.locator("li.hit mark").count() > 0, "matches are highlighted"

            # Narrow with the filters; the URL keeps the whole query.
            page.select_option("select[name=language]", "en")
            page.select_option("select[name=source]", "osce")
            page.click("button[type=submit]")
            page.wait_for_selector("li.hit")
            assert "source=osce" in page.url and "language=en" in page.url
            titles = page.locator("li.hit h2 a").all_inner_texts()
            assert titles == ["OSCE trains Tajik border guards on border management in Dushanbe"]
            assert page.locator("select[name=source]").input_value() == "osce"
            page.screenshot(path=str(tmp_path / "search-filtered.png"))

            # Open the article.
            page.click("li.hit h2 a")
            page.wait_for_selector("article.article h1")
            assert page.inner_text("article h1") == titles[0]
            assert "ОБСЕ обучила таджикских пограничников в Душанбе" in page.inner_text("section.related")
            assert page.locator(".body p").count() == 3
            page.go_back()
            page.wait_for_selector("li.hit")

            # Follow the feed link: the browser gets an Atom document of the same search.
            feed_link = page.locator("a.feed")
            assert page.locator('link[rel=alternate][type="application/atom+xml"]').count() == 1
            with page.expect_response(lambda r: "/feed.atom" in r.url) as response_info:
                try:
                    feed_link.click()
                except Exception:  # noqa: BLE001 - Chromium may treat the feed as a download; the response is what matters
                    pass
            feed = response_info.value
            assert feed.status == 200
            assert feed.headers["content-type"].startswith("application/atom+xml")
            body = feed.text()
            assert "<feed" in body and "OSCE trains Tajik border guards" in body
            assert "source=osce" in feed.url

            # A picture of the search page, for the README.
            page.goto(server + "/?q=%22border+management%22+OR+%22media+freedom%22")
            page.wait_for_selector("li.hit")
            shot = tmp_path / "web-search.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            if os.environ.get("NEWSWATCH_UPDATE_SCREENSHOT"):
                shutil.copyfile(shot, ROOT / "docs" / "web-search.png")

            # Readable on a phone: nothing wider than the screen.
            page.set_viewport_size({"width": 360, "height": 740})
            page.goto(server + "/sources")
            page.wait_for_selector("svg.chart")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"page is {overflow}px wider than a phone screen"
            page.screenshot(path=str(tmp_path / "sources-mobile.png"), full_page=True)

            assert problems == [], "no script errors or CSP violations"
        finally:
            browser.close()
