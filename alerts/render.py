"""Turning selected articles into a multipart/alternative message (plain text + HTML).

Both parts come from Jinja2 templates; the HTML environment autoescapes, because titles and summaries
are scraped text that may contain markup or script. Header values never contain scraped text except
through :func:`header_text`, which strips control characters, so a title with CR/LF cannot add a header;
``EmailMessage`` with ``policy.SMTP`` refuses such values as a second line of defence.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from alerts.config import MailConfig
from alerts.headers import MAIL_POLICY
from alerts.highlight import query_terms, split_matches
from storage.links import safe_url
from storage.published import Published

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MAX_TITLE_CHARS = 300
MAX_SUMMARY_CHARS = 480
MAX_ENTRIES = 100  # a longer digest is unreadable and may exceed size limits; the rest is in the archive
# Unicode categories Cc (C0, DEL, C1), Zl and Zp: everything that could end or bend a header line.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SENTENCE_END = re.compile(r"(?<=[.!?…。])[\"»”')\]]*\s+")


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One entry of a digest: an article (plus the other sources that reported the same story)."""

    article_id: int
    title: str
    url: str
    source: str
    published_at: dt.datetime | None
    first_seen_at: dt.datetime
    summary: str
    tags: list[str] = field(default_factory=list)
    language: str | None = None
    also_reported_by: list[str] = field(default_factory=list)
    published: Published | None = None  # as precise as the publisher gave it; wins over published_at


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who a digest is for, and what they asked for (shown in the footer, used for unsubscribing)."""

    email: str
    subscription_id: int
    unsubscribe_token: str
    frequency: str = "daily"
    query: str | None = None
    sources: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


def header_text(text: str, limit: int = 200) -> str:
    """One clean line for a header: control and line-separator characters become spaces, then trimmed."""
    cleaned = " ".join(_CONTROL.sub(" ", text or "").split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "…"


def one_line(text: str | None, limit: int = MAX_TITLE_CHARS) -> str:
    """Scraped text squeezed onto one line and cut at a word boundary if very long."""
    cleaned = header_text(text or "", limit=10**9)
    if len(cleaned) <= limit:
        return cleaned
    cut = cleaned[:limit].rsplit(" ", 1)[0] if " " in cleaned[:limit] else cleaned[:limit]
    return cut.rstrip(" ,;:-") + "…"


def short_summary(text: str | None, max_sentences: int = 3, max_chars: int = MAX_SUMMARY_CHARS) -> str:
    """The first two or three sentences, never more than ``max_chars``."""
    flat = one_line((text or "")[: max_chars * 3], limit=10**9)
    if not flat:
        return ""
    chosen: list[str] = []
    for sentence in _SENTENCE_END.split(flat):
        if not sentence:
            continue
        if chosen and (len(chosen) >= max_sentences or len(" ".join([*chosen, sentence])) > max_chars):
            break
        chosen.append(sentence)
    return one_line(" ".join(chosen), limit=max_chars)


def human_date(when: Published | dt.date | None) -> str:
    """'1 Oct 2024'. A publication date shows the publisher's day (a day-only date is never shifted)."""
    if when is None:
        return ""
    if isinstance(when, Published):
        when = when.day
    return f"{when.day} {MONTHS[when.month - 1]} {when.year}"


def digest_subject(count: int, topic: str, when: dt.datetime) -> str:
    """``newswatch: 7 new articles on Tajikistan, 23 Nov 2026`` (singular for one)."""
    noun = "article" if count == 1 else "articles"
    return header_text(f"newswatch: {count} new {noun} on {topic}, {human_date(when)}")


def _mark_html(text: str, terms: tuple[str, ...]) -> Markup:
    return Markup("").join(
        Markup('<mark style="background:#fff3a3;color:inherit;padding:0 1px">{}</mark>').format(piece)
        if hit
        else escape(piece)
        for piece, hit in split_matches(text, terms)
    )


def _mark_text(text: str, terms: tuple[str, ...]) -> str:
    return "".join(f"*{piece}*" if hit else piece for piece, hit in split_matches(text, terms))


def _wrap(text: str, indent: str = "   ") -> str:
    return textwrap.fill(
        text, width=76, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False
    )


_LOADER = PackageLoader("alerts", "templates")
_HTML = Environment(loader=_LOADER, autoescape=select_autoescape(["html.j2"]), undefined=StrictUndefined)
_TEXT = Environment(
    loader=_LOADER, autoescape=False, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True
)
_HTML.filters["mark"] = _mark_html
_TEXT.filters["mark"] = _mark_text
_TEXT.filters["wrap"] = _wrap
for _env in (_HTML, _TEXT):
    _env.filters["human_date"] = human_date


def unsubscribe_links(recipient: Recipient, mail: MailConfig) -> tuple[str | None, str]:
    """(web one-click URL or None, mailto URL) for this subscription."""
    mailto = f"mailto:{mail.sender_address}?subject={quote('unsubscribe ' + recipient.unsubscribe_token)}"
    web = None
    if mail.public_url:
        web = f"{mail.public_url.rstrip('/')}/unsubscribe/{quote(recipient.unsubscribe_token)}"
    return web, mailto


def _context(items: Sequence[DigestItem], recipient: Recipient, mail: MailConfig, now: dt.datetime) -> dict:
    terms = query_terms(recipient.query)
    groups: dict[str, list[dict]] = {}
    ordered = sorted(
        items,
        key=lambda i: (i.published.at if i.published else None) or i.published_at or i.first_seen_at,
        reverse=True,
    )
    for item in ordered[:MAX_ENTRIES]:
        groups.setdefault(item.source, []).append(
            {
                "title": one_line(item.title) or "(untitled)",
                "url": safe_url(item.url),
                "source": item.source,
                "date": item.published or item.published_at or item.first_seen_at,
                "tags": [one_line(tag, 40) for tag in item.tags],
                "summary": short_summary(item.summary),
                "also": [one_line(source, 64) for source in item.also_reported_by],
            }
        )
    web_unsub, mailto_unsub = unsubscribe_links(recipient, mail)
    filters = []
    if recipient.query:
        filters.append(f"matching {one_line(recipient.query, 200)}")
    if recipient.sources:
        filters.append("from " + ", ".join(recipient.sources))
    if recipient.languages:
        filters.append("in " + ", ".join(recipient.languages))
    if recipient.tags:
        filters.append("tagged " + ", ".join(recipient.tags))
    return {
        "subject": digest_subject(len(items), mail.topic, now),
        "count": len(items),
        "hidden": max(len(items) - MAX_ENTRIES, 0),
        "topic": mail.topic,
        "groups": sorted(groups.items(), key=lambda kv: kv[0].lower()),
        "terms": terms,
        "recipient": recipient,
        "filters": filters,
        "frequency": recipient.frequency,
        "date": human_date(now),
        "unsubscribe_url": web_unsub or mailto_unsub,
        "public_url": safe_url(mail.public_url),
    }


def render_parts(
    items: Sequence[DigestItem], recipient: Recipient, mail: MailConfig, now: dt.datetime
) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of a digest."""
    context = _context(items, recipient, mail, now)
    text = _TEXT.get_template("digest.txt.j2").render(context)
    html = _HTML.get_template("digest.html.j2").render(context)
    return context["subject"], text, html


def build_digest_message(
    items: Sequence[DigestItem], recipient: Recipient, mail: MailConfig, now: dt.datetime
) -> EmailMessage:
    """The complete message, with a stable Message-ID stored alongside it in the outbox."""
    subject, text, html = render_parts(items, recipient, mail, now)
    message = new_message(
        mail, to=recipient.email, subject=subject, now=now, idstring=f"digest{recipient.subscription_id}"
    )
    message["List-Id"] = f"newswatch digests <digests.{mail.sender_domain}>"
    web_unsub, mailto_unsub = unsubscribe_links(recipient, mail)
    if web_unsub:
        message["List-Unsubscribe"] = f"<{web_unsub}>, <{mailto_unsub}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    else:
        message["List-Unsubscribe"] = f"<{mailto_unsub}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    return message


def new_message(
    mail: MailConfig | None, *, to: str, subject: str, now: dt.datetime, idstring: str
) -> EmailMessage:
    """An empty message with the identifying headers; the subject is sanitised here."""
    message = EmailMessage(policy=MAIL_POLICY)
    domain = mail.sender_domain if mail else "newswatch.localhost"
    message["Message-ID"] = f"<{secrets.token_hex(10)}.{idstring}@{domain}>"
    message["Date"] = format_datetime(now.astimezone(dt.UTC))
    if mail is not None:
        message["From"] = mail.sender
    message["To"] = to
    message["Subject"] = header_text(subject)
    return message
