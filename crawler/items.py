"""What a parser hands to the normaliser.

A ``ParsedPage`` is raw extraction output: strings as found on the page (dates unparsed, text not yet
repaired). The normaliser turns it into a ``storage.records.ArticleRecord``; that record is the item
that flows through the Scrapy pipelines into storage.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(slots=True)
class ParsedPage:
    url: str
    title: str | None = None
    body: str | None = None  # paragraphs separated by blank lines
    summary: str | None = None
    published: str | dt.datetime | None = None  # as found: "19 May 2010", ISO 8601, RFC 822 ...
    modified: str | dt.datetime | None = None
    authors: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)  # declared by the page (OSCE fields of work)
    content_type: str | None = None  # "Press release", "News", ...
    publisher_unit: str | None = None  # OSCE "Source:" line, e.g. "OSCE Chairpersonship"
    dateline: str | None = None  # place, when the parser found it itself
    language: str | None = None  # declared (html lang, og:locale); detection fills the gap
    attachments: list[str] = field(default_factory=list)  # absolute URLs of attached documents
    extraction: str = "site"  # which method produced the body: site | generic | feed
    fallback_fields: list[str] = field(default_factory=list)  # fields the generic layer had to fill


class SiteParser(Protocol):
    """One module per site: knows its selectors, nothing else."""

    name: str

    def parse(self, html: str, url: str) -> ParsedPage: ...
