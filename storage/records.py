"""Plain values that cross the boundary into storage, so storage never imports the crawler."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class ArticleRecord:
    """A normalised article ready to be stored. ``content_hash`` is over the normalised body."""

    canonical_url: str
    url: str
    source: str
    title: str
    body: str
    content_hash: str
    summary: str | None = None
    published_at: dt.datetime | None = None
    modified_at: dt.datetime | None = None
    language: str | None = None
    authors: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    dateline: str | None = None
    content_type: str | None = None
    extraction: str = "site"
    relevance_terms: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    simhash: int | None = None
    raw_html: bytes | None = None
    encoding: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class UpsertOutcome:
    """What a batch did: ids of the rows it created, changed and left alone."""

    new: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
