"""The JSON API: the same searches as the pages, one article, and source health; plus its OpenAPI document."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from newswatch.web.archive import hit_json, run_facets, run_search
from newswatch.web.openapi import openapi_document
from newswatch.web.params import parse_search
from newswatch.web.queries import source_health
from newswatch.web.routes_pages import article_and_related, article_id_or_404, base_url
from storage.facets import parse_facet_names
from storage.links import safe_url
from storage.published import Published

if TYPE_CHECKING:
    from newswatch.web.app import WebContext


def _web(request: Request) -> WebContext:
    return request.app.state.web  # type: ignore[no-any-return]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def _published_iso(value: Published | None) -> str | None:
    """ISO 8601 with offset, or a bare YYYY-MM-DD when the publisher gave only the day."""
    return value.iso() if value is not None else None


def _precision(value: Published | None) -> str | None:
    return value.precision if value is not None else None


def api_articles(request: Request) -> Response:
    """Search the archive; ``limit`` ≤ 100 and ``offset`` ≤ 10000."""
    web = _web(request)
    search = parse_search(request.query_params, page_size=web.page_size, api=True)
    names = parse_facet_names(request.query_params.get("facets"))
    with web.sessions() as session:
        page = run_search(session, search)
        facets = run_facets(session, search, names) if names else None
    base = base_url(request)
    body: dict[str, Any] = {
        "total": page.total,
        "offset": page.offset,
        "limit": page.limit,
        "items": [hit_json(hit, f"{base}/articles/{hit.id}") for hit in page.hits],
    }
    if facets is not None:
        body["facets"] = {
            name: [{"value": value, "count": count} for value, count in values]
            for name, values in facets.counts.items()
        }
        body["facets_estimated"] = facets.estimated
    return JSONResponse(body)


def api_article(request: Request) -> Response:
    """One article with its clean body and the other reports of the same story."""
    web = _web(request)
    article_id = article_id_or_404(request)
    with web.sessions() as session:
        article, related = article_and_related(session, article_id)
    base = base_url(request)
    return JSONResponse(
        {
            "id": article.id,
            "url": safe_url(article.url),
            "canonical_url": article.canonical_url,
            "page_url": f"{base}/articles/{article.id}",
            "source": article.source,
            "title": article.title,
            "summary": article.summary,
            "body": article.body,
            "published_at": _published_iso(article.published),
            "published_precision": _precision(article.published),
            "modified_at": _iso(article.modified_at),
            "first_seen_at": _iso(article.first_seen_at),
            "language": article.language,
            "authors": list(article.authors or []),
            "tags": list(article.tags or []),
            "dateline": article.dateline,
            "content_type": article.content_type,
            "duplicate_of": article.duplicate_of,
            "also_reported_by": [
                {
                    "id": item.id,
                    "url": safe_url(item.url),
                    "source": item.source,
                    "title": item.title,
                    "published_at": _published_iso(item.published),
                    "published_precision": _precision(item.published),
                    "is_original": item.is_original,
                }
                for item in related
            ],
        }
    )


def api_sources(request: Request) -> Response:
    """Every known source with its last crawl run and failure streak."""
    web = _web(request)
    with web.sessions() as session:
        health = source_health(session, web.sources)
    return JSONResponse({"items": [row.as_json() for row in health]})


def api_schema(request: Request) -> Response:
    return JSONResponse(openapi_document(base_url(request)))


routes = [
    Route("/api/articles", api_articles, name="api_articles"),
    Route("/api/articles/{article_id:int}", api_article, name="api_article"),
    Route("/api/sources", api_sources, name="api_sources"),
    Route("/openapi.json", api_schema, name="openapi"),
]
