"""Render a sample digest's HTML part and screenshot it with headless Chromium, for the README.

The sample articles are made up but shaped like real ones (OSCE press releases, regional news in
English and Russian, a near-duplicate reported by two outlets); the message goes through exactly the
code that renders real digests. Needs Debian's chromium (``apt-get install -y chromium``).

Usage::

    .venv/bin/python scripts/render_digest_example.py            # writes docs/digest-example.png
    .venv/bin/python scripts/render_digest_example.py --html-only out.html
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from alerts.config import MailConfig
from alerts.render import DigestItem, Recipient, render_parts

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
NOW = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)


def sample_items() -> list[DigestItem]:
    day = dt.timedelta(days=1)
    return [
        DigestItem(
            article_id=1, source="osce", language="en", first_seen_at=NOW - day / 4, published_at=NOW - day / 3,
            title="OSCE trains Tajik border officers in border management at the Dushanbe staff college",
            url="https://www.osce.org/programme-office-in-dushanbe/example-border-course",
            tags=["border management", "training"], also_reported_by=["asiaplus"],
            summary=("DUSHANBE, 22 November 2026 - Twenty-four officers of the Border Troops completed a "
                     "two-week course on border management and risk analysis. The course, organized by the OSCE "
                     "Programme Office in Dushanbe, covered cross-border co-operation with Afghanistan. "
                     "Participants also visited the Panji Poyon crossing point."),
        ),
        DigestItem(
            article_id=2, source="osce", language="en", first_seen_at=NOW - day / 2, published_at=NOW - day,
            title="Khujand workshop on women's economic empowerment",
            url="https://www.osce.org/programme-office-in-dushanbe/example-khujand-workshop",
            tags=["gender equality", "economic activities"],
            summary=("KHUJAND, 21 November 2026 - Thirty women entrepreneurs from the Sughd region took part in "
                     "a workshop on access to credit. The event was supported by the OSCE Programme Office."),
        ),
        DigestItem(
            article_id=3, source="asiaplus", language="ru", first_seen_at=NOW - day / 5, published_at=NOW - day / 5,
            title="В Душанбе обсудили управление границей с экспертами ОБСЕ",
            url="https://asiaplustj.info/ru/news/tajikistan/security/example",
            tags=["безопасность"],
            summary=("Эксперты обсудили вопросы border management и обмена информацией. Встреча прошла в "
                     "рамках программы ОБСЕ по укреплению границ."),
        ),
        DigestItem(
            article_id=4, source="timesca", language="en", first_seen_at=NOW - day / 6, published_at=NOW - day / 6,
            title="Tajikistan and Kyrgyzstan agree next steps on border delimitation",
            url="https://timesca.com/example-border-delimitation",
            tags=["Central Asia"],
            summary=("The two governments' working groups met in Batken and agreed on a schedule for the remaining "
                     "sections. Officials said the border management agreement would be signed in spring."),
        ),
    ]  # fmt: skip


def render_html() -> str:
    recipient = Recipient(
        email="ana@example.org", subscription_id=1, unsubscribe_token="example-token", frequency="daily",
        query='"border management" OR Khujand',
    )  # fmt: skip
    mail = MailConfig(
        sender="newswatch <alerts@newswatch.example.org>", public_url="https://newswatch.example.org"
    )
    return render_parts(sample_items(), recipient, mail, NOW)[2]


def screenshot(html: str, out: Path, width: int = 700, height: int = 940) -> None:
    chromium = shutil.which("chromium") or CHROMIUM
    if not Path(chromium).exists():
        sys.exit(f"{CHROMIUM} not found: install it with `apt-get install -y chromium`")
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "digest.html"
        page.write_text(html, encoding="utf-8")
        command = [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
            "--mute-audio", f"--user-data-dir={tmp}/profile", f"--window-size={width},{height}",
            f"--screenshot={out}", page.as_uri(),
        ]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True, timeout=120)
    print(f"wrote {out} ({out.stat().st_size // 1024} kB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "digest-example.png")
    parser.add_argument("--html-only", type=Path, default=None, help="write the HTML here and stop")
    args = parser.parse_args()
    html = render_html()
    if args.html_only:
        args.html_only.write_text(html, encoding="utf-8")
        print(f"wrote {args.html_only}")
        return
    args.out.parent.mkdir(parents=True, exist_ok=True)
    screenshot(html, args.out)


if __name__ == "__main__":
    main()
