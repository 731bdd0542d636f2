"""The bridge from a validated web request to ``storage.search`` and back to display values."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from newswatch.web.params import SearchRequest
from storage.db import Session
from storage.facets import FACETS, FacetCounts, facet_counts
from storage.links import safe_url
from storage.search import (
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    QueryError,
    SearchFilters,
    SearchHit,
    SearchPage,
    render_snippet,
    search_articles,
)

__all__ = ["QueryError", "hit_json", "run_search", "snippet_html", "snippet_text"]


def run_facets(session: Session, request: SearchRequest, names: tuple[str, ...] = FACETS) -> FacetCounts:
    """Facet counts for the request's search (see ``storage.facets``)."""
    return facet_counts(session, request.text, _filters(request), names)


def _filters(request: SearchRequest) -> SearchFilters:
    return SearchFilters(
        sources=request.sources,
        languages=request.languages,
        tags=request.tags,
        topics=request.topics,
        sections=request.sections,
        since=request.since,  # calendar days, compared with the publisher's day
        until=request.until,
    )


def run_search(session: Session, request: SearchRequest) -> SearchPage:
    """Run the request; ``QueryError`` (a malformed query) propagates for the caller to word as a 400."""
    filters = _filters(request)
    return search_articles(
        session, request.text, filters, limit=request.limit, offset=request.offset, order=request.order
    )


def snippet_html(hit: SearchHit) -> Markup:
    """The snippet escaped first, then the highlight markers turned into ``<mark>``."""
    if not hit.snippet:
        return Markup("")
    return Markup(render_snippet(hit.snippet, "<mark>", "</mark>", lambda text: str(escape(text))))


def snippet_text(hit: SearchHit) -> str:
    """The snippet as plain text, highlight markers removed (for JSON and feeds)."""
    return (hit.snippet or "").replace(HIGHLIGHT_START, "").replace(HIGHLIGHT_END, "")


def hit_json(hit: SearchHit, page_url: str) -> dict[str, Any]:
    published = hit.published
    return {
        "id": hit.id,
        "url": safe_url(hit.url),
        "page_url": page_url,
        "source": hit.source,
        "title": hit.title,
        "published_at": published.iso() if published else None,
        "published_precision": published.precision if published else None,
        "language": hit.language,
        "tags": list(hit.tags or []),
        "snippet": snippet_text(hit),
        "snippet_html": str(snippet_html(hit)),
        "score": hit.score,
        "duplicate_of": hit.duplicate_of,
    }
