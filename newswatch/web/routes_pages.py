"""The pages people read: search, one article, source health, and the Atom feed of any search."""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import math
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from newswatch.web.archive import run_facets, run_search, snippet_html, snippet_text
from newswatch.web.chart import weekly_chart_svg
from newswatch.web.feeds import FeedEntry, render_atom
from newswatch.web.params import SearchRequest, parse_search
from newswatch.web.queries import (
    RelatedArticle,
    get_article,
    known_sources,
    related_articles,
    source_health,
    weekly_counts,
)
from storage.facets import FacetCounts
from storage.types import utcnow

if TYPE_CHECKING:
    from newswatch.web.app import WebContext
    from storage.db import Session
    from storage.models import Article

FEED_SIZE = 50
CHART_WEEKS = 12
# Inline so it ships without package-data changes; a magnifier on the accent blue.
FAVICON_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#0b5cad"/>'
    '<circle cx="14" cy="14" r="7" fill="none" stroke="#fff" stroke-width="3"/>'
    '<path d="M19 19l6 6" stroke="#fff" stroke-width="3.5" stroke-linecap="round"/></svg>'
)
MAX_ARTICLE_ID = 2**31 - 1  # PostgreSQL INTEGER; larger ids cannot exist, so answer 404 without asking


def _web(request: Request) -> WebContext:
    return request.app.state.web  # type: ignore[no-any-return]


def _link(path: str, items: list[tuple[str, str]]) -> str:
    return f"{path}?{urlencode(items)}" if items else path


def base_url(request: Request) -> str:
    return _web(request).public_url or str(request.base_url).rstrip("/")


def article_id_or_404(request: Request) -> int:
    article_id: int = request.path_params["article_id"]
    if article_id < 1 or article_id > MAX_ARTICLE_ID:
        raise HTTPException(404, f"There is no article {article_id}.")
    return article_id


def article_and_related(session: Session, article_id: int) -> tuple[Article, list[RelatedArticle]]:
    """The article and the other reports of its story; 404 when there is no such article."""
    article = get_article(session, article_id)
    if article is None:
        raise HTTPException(404, f"There is no article {article_id}.")
    return article, related_articles(session, article)


def search_page(request: Request) -> Response:
    """The archive's front door: a GET form whose URL holds the whole query, and its results."""
    web = _web(request)
    search = parse_search(request.query_params, page_size=web.page_size)
    latest = search.is_empty()  # no query yet: show the newest articles under the form
    with web.sessions() as session:
        sources = known_sources(session, web.sources)
        results = run_search(session, dataclasses.replace(search, order="newest") if latest else search)
        facets = None if latest else run_facets(session, search)
    pages = math.ceil(results.total / search.limit)
    context = {
        "request": request,
        "title": f"{search.text} – search" if search.text else "Search the archive",
        "search": search,
        "results": results,
        "latest": latest,
        "snippet_html": snippet_html,
        "pages": pages,
        "prev_url": _link("/", search.query_items(page=search.page - 1)) if search.page > 1 else None,
        "next_url": _link("/", search.query_items(page=search.page + 1)) if search.page < pages else None,
        "first_url": _link("/", search.query_items()),
        "feed_url": _link("/feed.atom", search.query_items()),
        "api_url": _link("/api/articles", search.query_items()),
        "facets": _facet_links(search, facets, sources) if facets else [],
        "facets_note": facets.note if facets else None,
        "sources": sources,
        "languages": {
            **web.languages,
            **{lang: lang for lang in search.languages if lang not in web.languages},
        },
    }
    return web.templates.TemplateResponse(request, "search.html", context)


FACET_TITLES = {"source": "Source", "language": "Language", "topic": "Field of work", "month": "Month"}


def _facet_links(
    search: SearchRequest, facets: FacetCounts, sources: dict[str, str]
) -> list[tuple[str, list[tuple[str, int, str]]]]:
    """(title, [(label, count, URL that adds the value as a filter)]) per facet with values."""
    out: list[tuple[str, list[tuple[str, int, str]]]] = []
    for name, values in facets.counts.items():
        links = []
        for value, count in values:
            if name == "month":
                first = dt.date.fromisoformat(value + "-01")
                last = dt.date(first.year, first.month, calendar.monthrange(first.year, first.month)[1])
                url = _link(
                    "/", search.query_items(since=first.isoformat(), until=last.isoformat(), page=None)
                )
            else:
                url = _link("/", search.query_items(page=None, **{name: value}))
            label = sources.get(value, value) if name == "source" else value
            links.append((label, count, url))
        if links:
            out.append((FACET_TITLES[name], links))
    return out


def article_page(request: Request) -> Response:
    """One article: metadata, the clean body, its tags and the other reports of the same story."""
    web = _web(request)
    article_id = article_id_or_404(request)
    with web.sessions() as session:
        article, related = article_and_related(session, article_id)
        sources = known_sources(session, web.sources)
    context = {
        "request": request,
        "title": article.title,
        "article": article,
        "related": related,
        "source_label": sources.get(article.source, article.source),
        "api_url": f"/api/articles/{article.id}",
    }
    return web.templates.TemplateResponse(request, "article.html", context)


def sources_page(request: Request) -> Response:
    """Each source's health and a weekly chart, so a silent or failing source is noticed."""
    web = _web(request)
    with web.sessions() as session:
        health = source_health(session, web.sources)
        weekly = weekly_counts(session, weeks=CHART_WEEKS)
    chart = weekly_chart_svg(weekly.weeks, weekly.counts, "Articles per week per source")
    context = {
        "request": request,
        "title": "Sources",
        "health": health,
        "chart": chart,
        "weekly": weekly,
        "api_url": "/api/sources",
    }
    return web.templates.TemplateResponse(request, "sources.html", context)


def sources_chart(request: Request) -> Response:
    """The same chart as a standalone SVG image (for embedding elsewhere)."""
    web = _web(request)
    with web.sessions() as session:
        weekly = weekly_counts(session, weeks=CHART_WEEKS)
    svg = weekly_chart_svg(weekly.weeks, weekly.counts, "Articles per week per source")
    return Response(svg, media_type="image/svg+xml; charset=utf-8")


def _feed_title(search: SearchRequest) -> str:
    parts = [f"“{search.text}”"] if search.text else []
    if search.sources:
        parts.append("from " + ", ".join(search.sources))
    if search.tags:
        parts.append("tagged " + ", ".join(search.tags))
    if search.languages:
        parts.append("in " + ", ".join(search.languages))
    return "newswatch: " + (" ".join(parts) if parts else "all articles")


def feed(request: Request) -> Response:
    """Atom feed of a search (newest first unless ``order`` says otherwise)."""
    web = _web(request)
    params = request.query_params
    search = parse_search(params, page_size=FEED_SIZE, api=True)
    if "order" not in params:
        search = dataclasses.replace(search, order="newest")
    with web.sessions() as session:
        results = run_search(session, search)
    base = base_url(request)
    entries = [
        FeedEntry(
            id=hit.id,
            title=hit.title,
            url=hit.url,
            page_url=f"{base}/articles/{hit.id}",
            source=hit.source,
            published_at=hit.published_at,
            published=hit.published,
            summary=snippet_text(hit),
            tags=list(hit.tags or []),
        )
        for hit in results.hits
    ]
    items = search.query_items(order=None if "order" not in params else search.order)
    body = render_atom(
        feed_id=base + _link("/feed.atom", items),
        title=_feed_title(search),
        self_url=base + _link("/feed.atom", items),
        html_url=base + _link("/", items),
        entries=entries,
        now=utcnow(),
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")


def favicon(request: Request) -> Response:
    """Browsers ask for /favicon.ico whatever the page says; answer with the SVG icon."""
    return Response(FAVICON_SVG, media_type="image/svg+xml", headers={"cache-control": "max-age=86400"})


routes = [
    Route("/", search_page, name="search"),
    Route("/articles/{article_id:int}", article_page, name="article"),
    Route("/sources", sources_page, name="sources"),
    Route("/sources/chart.svg", sources_chart, name="sources_chart"),
    Route("/feed.atom", feed, name="feed"),
    Route("/favicon.ico", favicon, name="favicon"),
]
