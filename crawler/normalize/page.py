"""ParsedPage -> ArticleRecord: the one place every source's output becomes a storable article.

Site parsers, the generic extractor and feed readers all hand over raw strings; this step repairs them,
parses dates, reads the dateline, detects the language, canonicalises the URL and hashes the body. It
refuses (NotAnArticle) what is not an article, with a reason a person can read in the crawl log.
Relevance, tags and near-duplicate hashes are later pipeline steps, not this one.
"""

from __future__ import annotations

import datetime as dt

from crawler.items import ParsedPage
from crawler.normalize.dateline import parse_dateline
from crawler.normalize.dates import parse_published
from crawler.normalize.encoding import repair_text
from crawler.normalize.errors import NotAnArticle
from crawler.normalize.hashing import content_hash
from crawler.normalize.language import detect_language
from crawler.normalize.published import choose_published
from crawler.normalize.summary import clean_summary, decode_entities, drop_repeated_lead
from crawler.normalize.text import first_sentences, normalize_body, normalize_inline
from crawler.normalize.urls import canonical_url
from storage.records import ArticleRecord

__all__ = ["normalize_page", "MIN_BODY_CHARS", "MAX_TITLE_CHARS"]

MIN_BODY_CHARS = 80
MAX_TITLE_CHARS = 500


def normalize_page(
    page: ParsedPage,
    *,
    source: str,
    raw_html: bytes | None = None,
    encoding: str | None = None,
    now: dt.datetime | None = None,
    zone: dt.tzinfo = dt.UTC,
) -> ArticleRecord:
    """Clean one parsed page into an ``ArticleRecord``; raise ``NotAnArticle`` saying why it is not one.

    ``zone`` is the source's time zone: dates printed without one are read in it, and a date's
    calendar day is the one there.
    """
    if not page.url or not page.url.strip():
        raise NotAnArticle("no URL")
    title = normalize_inline(decode_entities(repair_text(page.title or "")))
    if not title:
        raise NotAnArticle("no title")
    if len(title) > MAX_TITLE_CHARS:
        raise NotAnArticle(f"title too long ({len(title)} chars): probably not a headline")
    body = drop_repeated_lead(normalize_body(decode_entities(repair_text(page.body or ""))))
    if len(body) < MIN_BODY_CHARS:
        raise NotAnArticle(f"body too short ({len(body)} chars)")

    fallback_fields = list(dict.fromkeys(page.fallback_fields))
    dateline = parse_dateline(body)
    languages = _date_languages(page.language)
    candidates: list[tuple[str, object]] = [("page", page.published), *page.date_candidates]
    if dateline is not None and dateline.date is not None:
        candidates.append(("dateline", dateline.date))
    text = f"{title}\n{body}"
    choice = choose_published(candidates, zone=zone, now=now, languages=languages, text=text)
    if choice is None and dateline is not None and dateline.month_day is not None:
        # "1-уми июл": nothing else dates the page, so the year is the one that is not in the future
        today = (now or dt.datetime.now(dt.UTC)).astimezone(zone).date()
        choice = choose_published([("dateline", dateline.day(today))], zone=zone, now=now, text=text)
    published = choice.published if choice is not None else None
    if choice is not None and not choice.origin.startswith("page"):
        fallback_fields.append(f"published:{choice.origin.split(':')[0].split('+')[0]}")
    modified_value = (
        parse_published(page.modified, now=now, languages=languages, zone=zone) if page.modified else None
    )
    modified = modified_value.at if modified_value is not None else None

    summary = normalize_inline(decode_entities(repair_text(page.summary or "")))
    lead_text = dateline.rest if dateline is not None else body
    summary = clean_summary(summary, title, lead_text) if summary else first_sentences(lead_text)

    place = normalize_inline(page.dateline) if page.dateline else (dateline.place if dateline else None)
    extra: dict[str, object] = {}
    if fallback_fields:
        extra["fallback_fields"] = fallback_fields
    if dateline is not None and dateline.agency:
        extra["agency"] = dateline.agency
    if choice is not None and choice.rejected:
        extra["rejected_dates"] = list(choice.rejected)
    if page.publisher_unit:
        extra["publisher_unit"] = normalize_inline(repair_text(page.publisher_unit))

    return ArticleRecord(
        canonical_url=canonical_url(page.url),
        url=page.url.strip(),
        source=source,
        title=title,
        body=body,
        content_hash=content_hash(body),
        summary=summary or None,
        published_at=published.at if published is not None else None,
        published_day=published.day if published is not None else None,
        published_precision=published.precision if published is not None else None,
        modified_at=modified,
        language=detect_language(f"{title}\n{body}", page.language),
        authors=_clean_list(page.authors),
        tags=_clean_list(page.tags),
        dateline=place or None,
        content_type=normalize_inline(page.content_type) or None,
        extraction=page.extraction,
        attachments=list(dict.fromkeys(a.strip() for a in page.attachments if a and a.strip())),
        raw_html=raw_html,
        encoding=encoding,
        extra=extra,
    )


def _clean_list(values: list[str]) -> list[str]:
    """Repaired, single-line, de-duplicated (case-insensitively), order kept."""
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        clean = normalize_inline(repair_text(value or ""))
        if clean and clean.casefold() not in seen:
            seen.add(clean.casefold())
            out.append(clean)
    return out


def _date_languages(declared: str | None) -> list[str] | None:
    if not declared:
        return None
    code = declared.split("-")[0].split("_")[0].lower()
    return [code, "en"] if code in {"ru", "en", "uk", "kk", "ky", "uz"} else None
