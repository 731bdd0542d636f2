"""The digest message: structure, headers, escaping of hostile scraped text, highlighting."""

from __future__ import annotations

import datetime as dt
import re
from email import message_from_bytes
from email.policy import SMTP
from email.policy import default as default_policy
from html.parser import HTMLParser

import pytest
from test_alerts_support import T0

from alerts.config import MailConfig
from alerts.render import (
    DigestItem,
    Recipient,
    build_digest_message,
    digest_subject,
    header_text,
    short_summary,
)

MAIL = MailConfig(
    sender="newswatch <alerts@newswatch.example.org>", public_url="https://newswatch.example.org"
)
RECIPIENT = Recipient(
    email="reader@example.org", subscription_id=7, unsubscribe_token="tok_123-abc", frequency="daily",
    query='"border management" Khujand -football',
)  # fmt: skip
HOSTILE_TITLES = [
    "Breaking\r\nBcc: victim@example.com\r\nSubject: pwned",
    "<script>alert('x')</script><img src=x onerror=alert(1)> & co",
    "B" * 2000,
    "مرز تاجیکستان — Граница Таджикистана 🇹🇯👩‍👩‍👧 border management\u202e reversed",
    "Null\x00byte and bell\x07 and form\x0cfeed\u2028line",
]


def item(n: int, title: str, **kwargs) -> DigestItem:  # type: ignore[no-untyped-def]
    values = dict(
        article_id=n, title=title, url=f"https://osce.example.org/news/{n}", source="osce",
        published_at=T0, first_seen_at=T0, tags=["border", "<b>tag</b>"], language="en",
        summary=("Officers studied border management in Khujand. The OSCE paid for the course. "
                 "A third sentence follows. A fourth sentence should not appear."),
    )  # fmt: skip
    values.update(kwargs)
    return DigestItem(**values)  # type: ignore[arg-type]


class Collector(HTMLParser):
    """Records the elements and links of the HTML part, as a mail client would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.links: list[str] = []
        self.marks: list[str] = []
        self._in_mark = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in_mark = tag == "mark"
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")

    def handle_data(self, data: str) -> None:
        if self._in_mark:
            self.marks.append(data)
            self._in_mark = False


def parsed(items: list[DigestItem], mail: MailConfig = MAIL):  # type: ignore[no-untyped-def]
    message = build_digest_message(items, RECIPIENT, mail, T0)
    return message_from_bytes(message.as_bytes(policy=SMTP), policy=default_policy)


def test_subject_counts_and_says_singular_for_one() -> None:
    assert digest_subject(7, "Tajikistan", dt.datetime(2026, 11, 23, tzinfo=dt.UTC)) == (
        "newswatch: 7 new articles on Tajikistan, 23 Nov 2026"
    )
    assert digest_subject(1, "Tajikistan", T0) == "newswatch: 1 new article on Tajikistan, 23 Nov 2026"


def test_message_structure_and_headers() -> None:
    message = parsed(
        [item(1, "OSCE supports border management training"), item(2, "Second", source="asiaplus")]
    )
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["Subject"] == "newswatch: 2 new articles on Tajikistan, 23 Nov 2026"
    assert message["From"] == "newswatch <alerts@newswatch.example.org>"
    assert message["To"] == "reader@example.org"
    assert re.fullmatch(r"<[^<>@\s]+@newswatch\.example\.org>", message["Message-ID"].strip())
    assert message["Date"] == "Mon, 23 Nov 2026 06:00:00 +0000"
    assert message["List-Id"] == "newswatch digests <digests.newswatch.example.org>"
    assert message["List-Unsubscribe"] == (
        "<https://newswatch.example.org/unsubscribe/tok_123-abc>, "
        "<mailto:alerts@newswatch.example.org?subject=unsubscribe%20tok_123-abc>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_without_a_public_url_only_the_mailto_unsubscribe_is_offered() -> None:
    message = parsed([item(1, "Title")], MailConfig(sender="nw <nw@example.org>"))
    assert message["List-Unsubscribe"] == "<mailto:nw@example.org?subject=unsubscribe%20tok_123-abc>"
    assert message["List-Unsubscribe-Post"] is None


def test_entries_are_grouped_by_source_linked_summarised_and_highlighted() -> None:
    message = parsed(
        [item(1, "OSCE supports border management training"), item(2, "Khujand fair", source="asiaplus")]
    )
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert text.index("ASIAPLUS (1)") < text.index("OSCE (1)")
    assert "OSCE supports *border management* training" in text
    assert "https://osce.example.org/news/1" in text
    assert "23 Nov 2026 · osce · border, <b>tag</b>" in text
    assert "A third sentence follows." in text and "fourth" not in text
    collector = Collector()
    collector.feed(html)
    assert "https://osce.example.org/news/1" in collector.links
    assert "https://newswatch.example.org/unsubscribe/tok_123-abc" in collector.links
    assert {"border management", "Khujand"} <= set(collector.marks)
    assert "football" not in collector.marks
    assert "&lt;b&gt;tag&lt;/b&gt;" in html


@pytest.mark.parametrize(
    "title", HOSTILE_TITLES, ids=["crlf", "script", "2000-chars", "rtl-mixed", "controls"]
)
def test_hostile_titles_render_safely_and_headers_stay_intact(title: str) -> None:
    evil = item(1, title, summary=title + " <script>steal()</script>", url="javascript:alert(1)")
    message = parsed([evil, item(2, "Normal title")])
    # Exactly the headers we set: nothing injected, nothing lost.
    assert message["Bcc"] is None
    assert message["Subject"] == "newswatch: 2 new articles on Tajikistan, 23 Nov 2026"
    assert sorted(message.keys()) == sorted(
        ["Message-ID", "Date", "From", "To", "Subject", "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post",
         "Auto-Submitted", "MIME-Version", "Content-Type"]
    )  # fmt: skip
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    collector = Collector()
    collector.feed(html)
    assert "script" not in collector.tags and "img" not in collector.tags
    assert "javascript:" not in html and all(
        link.startswith(("https:", "mailto:")) for link in collector.links
    )
    assert "https://osce.example.org/news/2" in collector.links  # the check above saw the links
    assert "\x00" not in text and "\x07" not in text
    # Titles stay on one line in the text part and are cut to a readable length.
    title_line = next(line for line in text.splitlines() if line.startswith(" * ") and "Normal" not in line)
    assert len(title_line) <= 310
    if "Граница" in title:
        assert "مرز تاجیکستان" in html and "👩‍👩‍👧" in html and 'dir="auto"' in html


def test_header_text_removes_line_breaks_and_controls() -> None:
    assert header_text("a\r\nBcc: x\x00y\u2028z") == "a Bcc: x y z"
    assert len(header_text("x" * 500)) == 200


def test_summary_keeps_two_or_three_sentences() -> None:
    assert short_summary("One. Two! Three? Four.") == "One. Two! Three?"
    long = "A" * 300 + ". " + "B" * 300 + ". C."
    assert short_summary(long) == "A" * 300 + "."
    assert short_summary(None) == ""


@pytest.mark.chromium
@pytest.mark.slow
def test_the_readme_screenshot_script_produces_a_small_png(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    if not (shutil.which("chromium") or Path("/usr/bin/chromium").exists()):
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    script = Path(__file__).resolve().parents[1] / "scripts" / "render_digest_example.py"
    out = tmp_path / "digest.png"
    subprocess.run(
        [sys.executable, str(script), "--out", str(out)], check=True, capture_output=True, timeout=180
    )
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and 10_000 < len(data) < 300_000


def test_a_huge_digest_shows_the_newest_hundred_and_says_how_many_more() -> None:
    many = [item(n, f"Story number {n}", published_at=T0 + dt.timedelta(minutes=n)) for n in range(130)]
    message = parsed(many)
    assert message["Subject"] == "newswatch: 130 new articles on Tajikistan, 23 Nov 2026"
    text = message.get_body(("plain",)).get_content()
    assert "Story number 129" in text and "Story number 30\r\n" in text and "Story number 29\r\n" not in text
    assert "... and 30 more, not shown here: https://newswatch.example.org." in text
    assert "…and 30 more, not shown here." in message.get_body(("html",)).get_content()
