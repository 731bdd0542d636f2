"""Turning a query string into a validated search request, with messages a reader can act on.

Every page, the API and the feeds share this parser, so a URL means the same thing wherever it is
pasted, and bad input is refused (400) before it can reach the database.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from starlette.datastructures import QueryParams

from newswatch.relative_dates import parse_date_filter

MAX_QUERY_CHARS = 500
MAX_FILTER_VALUES = 20
MAX_FILTER_CHARS = 64
MAX_OFFSET = 10_000
MAX_API_LIMIT = 100
Order = Literal["relevance", "newest"]
ORDERS = ("relevance", "newest")
_ORDER_NAMES: dict[str, Order] = {"relevance": "relevance", "newest": "newest"}
DATE_FORMAT_HINT = "YYYY-MM-DD (e.g. 2024-03-01), today, yesterday, or an age such as 7d, 2w, 3m, 1y"

# C0/C1 control characters (other than tab/newline) never belong in a query; PostgreSQL also refuses NUL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class BadRequest(ValueError):
    """The request cannot be answered as asked; the message says why, in the reader's terms."""


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """What the reader asked for: text, filters, ordering and the slice of results."""

    text: str = ""
    sources: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None
    order: Order = "relevance"
    offset: int = 0
    limit: int = 20

    @property
    def page(self) -> int:
        return self.offset // self.limit + 1

    def is_empty(self) -> bool:
        filters = (
            self.sources,
            self.languages,
            self.tags,
            self.topics,
            self.sections,
            self.since,
            self.until,
        )
        return not (self.text or any(filters))

    def query_items(self, **changes: object) -> list[tuple[str, str]]:
        """The request as (name, value) pairs for building links (pagination, feed, API)."""
        items: list[tuple[str, str]] = []
        if self.text:
            items.append(("q", self.text))
        items += [("source", s) for s in self.sources]
        items += [("language", lang) for lang in self.languages]
        items += [("tag", t) for t in self.tags]
        items += [("topic", t) for t in self.topics]
        items += [("section", t) for t in self.sections]
        if self.since:
            items.append(("since", self.since.isoformat()))
        if self.until:
            items.append(("until", self.until.isoformat()))
        if self.order != "relevance":
            items.append(("order", self.order))
        for name, value in changes.items():
            items = [item for item in items if item[0] != name]
            if value not in (None, ""):
                items.append((name, str(value)))
        return items


def _clean(name: str, value: str, max_chars: int) -> str:
    if _CONTROL.search(value):
        raise BadRequest(f"{name} contains control characters; remove them and try again")
    value = value.strip()
    if len(value) > max_chars:
        raise BadRequest(f"{name} is too long ({len(value)} characters; at most {max_chars})")
    return value


def _values(params: QueryParams, name: str) -> tuple[str, ...]:
    raw = params.getlist(name)
    if len(raw) > MAX_FILTER_VALUES:
        raise BadRequest(f"too many {name} filters ({len(raw)}; at most {MAX_FILTER_VALUES})")
    cleaned = (_clean(name, value, MAX_FILTER_CHARS) for value in raw)
    return tuple(dict.fromkeys(value for value in cleaned if value))


def _date(params: QueryParams, name: str) -> dt.date | None:
    raw = _clean(name, params.get(name, ""), 32)
    if not raw:
        return None
    try:
        parsed = parse_date_filter(raw, dt.datetime.now(dt.UTC).date())
    except ValueError:
        raise BadRequest(f"{name} must be a date written {DATE_FORMAT_HINT} (got {raw!r})") from None
    value = parsed.date() if isinstance(parsed, dt.datetime) else parsed
    if not 1900 <= value.year <= 2999:
        raise BadRequest(f"{name} must be a date between 1900 and 2999 (got {raw!r})")
    return value


def _integer(params: QueryParams, name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name, "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise BadRequest(f"{name} must be a whole number between {low} and {high} (got {raw[:40]!r})")
    value = int(raw)
    if not low <= value <= high:
        raise BadRequest(f"{name} must be between {low} and {high} (got {value})")
    return value


def parse_search(params: QueryParams, *, page_size: int, api: bool = False) -> SearchRequest:
    """Validate a search query string.

    Pages paginate with ``page`` (``page_size`` results each); the API and feeds use ``limit`` and
    ``offset``. Either way the offset is capped, because deep pages cost a scan and nobody reads them.
    """
    text = _clean("q", params.get("q", ""), MAX_QUERY_CHARS)
    raw_order = params.get("order", "").strip() or "relevance"
    order = _ORDER_NAMES.get(raw_order)
    if order is None:
        raise BadRequest(f"order must be one of {', '.join(ORDERS)} (got {raw_order[:40]!r})")
    since, until = _date(params, "since"), _date(params, "until")
    if since and until and since > until:
        raise BadRequest(f"since ({since}) is after until ({until}); swap them or widen the range")
    if api:
        limit = _integer(params, "limit", page_size, 1, MAX_API_LIMIT)
        offset = _integer(params, "offset", 0, 0, MAX_OFFSET)
    else:
        limit = page_size
        max_page = MAX_OFFSET // page_size + 1
        page = _integer(params, "page", 1, 1, max_page)
        offset = (page - 1) * page_size
    return SearchRequest(
        text=text,
        sources=_values(params, "source"),
        languages=_values(params, "language"),
        tags=_values(params, "tag"),
        topics=_values(params, "topic"),
        sections=_values(params, "section"),
        since=since,
        until=until,
        order=order,
        offset=offset,
        limit=limit,
    )


def day_start(day: dt.date) -> dt.datetime:
    """Midnight UTC at the start of ``day``: ``since`` includes the whole first day."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def day_end(day: dt.date) -> dt.datetime:
    """The last microsecond of ``day`` (UTC): ``until`` includes the whole last day."""
    return dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)
