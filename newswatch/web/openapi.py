"""The OpenAPI 3.0 document of the JSON API, written by hand so it states exact limits and shapes.

Schemathesis generates requests from it (tests/test_web_schema.py), so every bound here is one the
handlers enforce: a request the document allows must not get a 500.
"""

from __future__ import annotations

from typing import Any

from newswatch.web.params import MAX_API_LIMIT, MAX_FILTER_CHARS, MAX_OFFSET, MAX_QUERY_CHARS, ORDERS


def _array_param(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description + " Repeat the parameter to allow several values.",
        "style": "form",
        "explode": True,
        "schema": {
            "type": "array",
            "maxItems": 20,
            "items": {"type": "string", "maxLength": MAX_FILTER_CHARS},
        },
    }


SEARCH_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": "q",
        "in": "query",
        "required": False,
        "description": (
            'Query in the archive\'s language: words (any form: officer finds officers), "phrases", OR, '
            "-excluded, prefix*, =exact (this form only)."
        ),
        "schema": {"type": "string", "maxLength": MAX_QUERY_CHARS},
    },
    _array_param("source", "Only these sources (registry names, e.g. osce)."),
    _array_param("language", "Only these languages (ISO 639-1: en, ru, tg)."),
    _array_param(
        "tag", "Only articles with this tag, of either kind (case, accents and hyphens do not matter)."
    ),
    _array_param("topic", "Only articles with this OSCE field of work (a tag of kind topic)."),
    _array_param("section", "Only articles in this site category (a tag of kind section)."),
    {
        "name": "since",
        "in": "query",
        "required": False,
        "description": "Published on or after this day (UTC): YYYY-MM-DD, today, yesterday, or an age: 7d, 2w, 3m, 1y.",
        "schema": {"type": "string", "maxLength": 32},
    },
    {
        "name": "until",
        "in": "query",
        "required": False,
        "description": "Published on or before this day (UTC): YYYY-MM-DD, today, yesterday, or an age: 7d, 2w.",
        "schema": {"type": "string", "maxLength": 32},
    },
    {
        "name": "order",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": list(ORDERS), "default": "relevance"},
    },
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_API_LIMIT, "default": 20},
    },
    {
        "name": "offset",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
    },
]

FACETS_PARAMETER: dict[str, Any] = {
    "name": "facets",
    "in": "query",
    "required": False,
    "description": (
        "Comma-separated facets to count for this search: source, language, topic (OSCE field of work), "
        "month. Counted over the newest 2,000 matches; beyond that facets_estimated is true."
    ),
    "schema": {"type": "string", "maxLength": 64},
}

_NULLABLE_STRING = {"type": "string", "nullable": True}
_NULLABLE_DATETIME = {"type": "string", "format": "date-time", "nullable": True}
_PUBLISHED = {
    "type": "string",
    "nullable": True,
    "description": "ISO 8601 date-time with offset, or a bare YYYY-MM-DD when the publisher gave only the day",
}
_PRECISION = {
    "type": "string",
    "nullable": True,
    "description": "day (the publisher gave only the day) or minute",
}
# storage.links.safe_url: null when the stored link is not http(s), so no client renders a script link
_ORIGINAL_URL = {
    "type": "string",
    "format": "uri",
    "nullable": True,
    "description": "the original, http(s) only",
}
_STRINGS = {"type": "array", "items": {"type": "string"}}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["status", "message"],
                "properties": {"status": {"type": "integer"}, "message": {"type": "string"}},
            }
        },
    },
    "SearchHit": {
        "type": "object",
        "required": [
            "id",
            "url",
            "page_url",
            "source",
            "title",
            "published_at",
            "language",
            "tags",
            "snippet",
        ],
        "properties": {
            "id": {"type": "integer"},
            "url": _ORIGINAL_URL,
            "page_url": {"type": "string"},
            "source": {"type": "string"},
            "title": {"type": "string"},
            "published_at": _PUBLISHED,
            "published_precision": _PRECISION,
            "language": _NULLABLE_STRING,
            "tags": _STRINGS,
            "snippet": {"type": "string", "description": "plain text"},
            "snippet_html": {"type": "string", "description": "escaped HTML with <mark> around matches"},
            "score": {"type": "number", "nullable": True},
            "duplicate_of": {"type": "integer", "nullable": True},
        },
    },
    "SearchPage": {
        "type": "object",
        "required": ["total", "offset", "limit", "items"],
        "properties": {
            "total": {"type": "integer", "minimum": 0},
            "offset": {"type": "integer", "minimum": 0},
            "limit": {"type": "integer", "minimum": 1},
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/SearchHit"}},
            "facets": {
                "type": "object",
                "description": "Only when facets were asked for: facet name -> values, most frequent first "
                "(months newest first).",
                "additionalProperties": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["value", "count"],
                        "properties": {
                            "value": {"type": "string"},
                            "count": {"type": "integer", "minimum": 0},
                        },
                    },
                },
            },
            "facets_estimated": {
                "type": "boolean",
                "description": "true when the search has more matches than were counted (the newest 2,000)",
            },
        },
    },
    "RelatedArticle": {
        "type": "object",
        "required": ["id", "url", "source", "title", "is_original"],
        "properties": {
            "id": {"type": "integer"},
            "url": _ORIGINAL_URL,
            "source": {"type": "string"},
            "title": {"type": "string"},
            "published_at": _PUBLISHED,
            "published_precision": _PRECISION,
            "is_original": {"type": "boolean"},
        },
    },
    "Article": {
        "type": "object",
        "required": ["id", "url", "canonical_url", "source", "title", "body", "tags", "also_reported_by"],
        "properties": {
            "id": {"type": "integer"},
            "url": _ORIGINAL_URL,
            "canonical_url": {"type": "string"},
            "page_url": {"type": "string"},
            "source": {"type": "string"},
            "title": {"type": "string"},
            "summary": _NULLABLE_STRING,
            "body": {"type": "string"},
            "published_at": _PUBLISHED,
            "published_precision": _PRECISION,
            "modified_at": _NULLABLE_DATETIME,
            "first_seen_at": _NULLABLE_DATETIME,
            "language": _NULLABLE_STRING,
            "authors": _STRINGS,
            "tags": _STRINGS,
            "dateline": _NULLABLE_STRING,
            "content_type": _NULLABLE_STRING,
            "duplicate_of": {"type": "integer", "nullable": True},
            "also_reported_by": {"type": "array", "items": {"$ref": "#/components/schemas/RelatedArticle"}},
        },
    },
    "Source": {
        "type": "object",
        "required": ["name", "label", "last_run", "consecutive_failures", "last_success_at", "healthy"],
        "properties": {
            "name": {"type": "string"},
            "label": {"type": "string"},
            "last_run": {
                "type": "object",
                "nullable": True,
                "properties": {
                    "started_at": _NULLABLE_DATETIME,
                    "finished_at": _NULLABLE_DATETIME,
                    "status": _NULLABLE_STRING,
                    "items_new": {"type": "integer", "nullable": True},
                    "errors": {"type": "integer", "nullable": True},
                },
            },
            "consecutive_failures": {"type": "integer", "minimum": 0},
            "last_success_at": _NULLABLE_DATETIME,
            "healthy": {"type": "boolean", "nullable": True},
            "note": {
                "type": "string",
                "nullable": True,
                "description": "degraded: <entry> failed (<cause>), used <fallback> / site parser failing: ...",
            },
            "fallback_rate": {"type": "number", "nullable": True, "minimum": 0},
        },
    },
}


def _json(schema_ref: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": schema_ref}}}}


_ERROR_400 = _json("#/components/schemas/Error", "The request is malformed; the message says why.")
_ERROR_404 = _json("#/components/schemas/Error", "No such article.")


def openapi_document(server_url: str) -> dict[str, Any]:
    """The document served at ``/openapi.json``."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "newswatch archive API",
            "version": "1.0.0",
            "description": "Read-only access to the newswatch archive of news about Tajikistan and the OSCE.",
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/api/articles": {
                "get": {
                    "operationId": "searchArticles",
                    "summary": "Search the archive (paginated).",
                    "parameters": [*SEARCH_PARAMETERS, FACETS_PARAMETER],
                    "responses": {
                        "200": _json("#/components/schemas/SearchPage", "One page of results."),
                        "400": _ERROR_400,
                    },
                }
            },
            "/api/articles/{article_id}": {
                "get": {
                    "operationId": "getArticle",
                    "summary": "One article with its body and other reports of the same story.",
                    "parameters": [
                        {
                            "name": "article_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1},
                        }
                    ],
                    "responses": {
                        "200": _json("#/components/schemas/Article", "The article."),
                        "404": _ERROR_404,
                    },
                }
            },
            "/api/sources": {
                "get": {
                    "operationId": "listSources",
                    "summary": "Every known source and its crawl health.",
                    "responses": {
                        "200": {
                            "description": "All sources.",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["items"],
                                        "properties": {
                                            "items": {
                                                "type": "array",
                                                "items": {"$ref": "#/components/schemas/Source"},
                                            }
                                        },
                                    }
                                }
                            },
                        }
                    },
                }
            },
        },
        "components": {"schemas": SCHEMAS},
    }
