"""The web application: Starlette routes, Jinja2 templates, security headers and readable errors.

``create_app`` takes plain values (a session factory and the source names), so tests and the CLI wire
it the same way and nothing is read from configuration here.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newswatch.web import routes_api, routes_ops, routes_pages, routes_unsubscribe
from newswatch.web.archive import QueryError
from newswatch.web.params import BadRequest
from storage.db import SessionFactory
from storage.links import safe_url
from storage.published import Published, zone_label

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}
LANGUAGES = {"en": "English", "ru": "Russian", "tg": "Tajik"}


@dataclass
class WebContext:
    """What every handler needs, hung on ``app.state.web``."""

    sessions: SessionFactory
    sources: dict[str, str]
    page_size: int
    public_url: str | None
    templates: Jinja2Templates
    languages: dict[str, str] = field(default_factory=lambda: dict(LANGUAGES))
    # Writable, used only by the one-click unsubscribe (routes_unsubscribe); None disables it.
    write_sessions: SessionFactory | None = None


class SecurityHeaders:
    """Adds CSP and friends to every response, including errors and static files."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _date(value: Published | dt.datetime | dt.date | None, fmt: str = "%d %b %Y") -> str:
    """A publication's day as the publisher gave it ('1 Oct 2024'); other datetimes in UTC."""
    if value is None:
        return "undated"
    if isinstance(value, Published):
        return value.day_label()
    if isinstance(value, dt.datetime):
        value = value.astimezone(dt.UTC)
    return value.strftime(fmt)


def _machine_date(value: Published | None) -> str:
    """For ``<time datetime>``: YYYY-MM-DD for a day-only date, else ISO 8601 with offset."""
    return value.iso() if value is not None else ""


def _paragraphs(body: str | None) -> list[str]:
    """Split a clean body into paragraphs: blank lines if it has them, else single newlines."""
    text = (body or "").strip()
    if not text:
        return []
    parts = re.split(r"\n\s*\n", text) if re.search(r"\n\s*\n", text) else text.split("\n")
    return [" ".join(part.split()) for part in parts if part.strip()]


def make_templates(reader_zone: dt.tzinfo = dt.UTC) -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date"] = _date
    env.filters["machine_date"] = _machine_date
    env.filters["when"] = lambda value: value.label(reader_zone) if value is not None else "undated"
    env.globals["reader_zone"] = zone_label(reader_zone)
    env.filters["paragraphs"] = _paragraphs
    env.filters["safe_url"] = safe_url  # every stored URL shown as a link goes through it
    env.globals["Markup"] = Markup
    return Jinja2Templates(env=env)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def error_response(request: Request, status: int, message: str) -> Response:
    """A JSON error for the API, an HTML page for people; never a traceback."""
    if _wants_json(request):
        return JSONResponse({"error": {"status": status, "message": message}}, status_code=status)
    if request.url.path == "/feed.atom":
        return Response(message + "\n", status_code=status, media_type="text/plain; charset=utf-8")
    web: WebContext = request.app.state.web
    message = message[:1].upper() + message[1:]
    context = {"request": request, "status": status, "message": message, "title": f"Error {status}"}
    return web.templates.TemplateResponse(request, "error.html", context, status_code=status)


async def _bad_request(request: Request, exc: Exception) -> Response:
    return error_response(request, 400, str(exc))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    messages = {404: "There is nothing at this address.", 405: "This address only answers GET requests."}
    response = error_response(request, exc.status_code, exc.detail or messages.get(exc.status_code, "Error"))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return error_response(request, 500, "Something went wrong on our side; the error has been logged.")


def create_app(
    sessions: SessionFactory,
    *,
    sources: dict[str, str] | None = None,
    page_size: int = 20,
    public_url: str | None = None,
    write_sessions: SessionFactory | None = None,
    reader_zone: str = "UTC",
) -> Starlette:
    """Build the ASGI app.

    ``sessions`` should come from a read-only engine (``newswatch.web.readonly``); ``sources`` maps
    source names to display labels (the crawler's registry); ``public_url`` is the base URL used in
    feeds when the server sits behind a proxy (default: the request's own base URL).
    ``write_sessions`` (a writable engine's factory) serves only ``POST /unsubscribe/{token}``, the
    digests' one-click unsubscribe; without it that POST answers 503 and the app cannot write at all.
    ``reader_zone`` (an IANA name) is the zone times are shown in, named in the footer.
    """
    templates = make_templates(ZoneInfo(reader_zone))
    web = WebContext(
        sessions=sessions,
        sources=dict(sources or {}),
        page_size=page_size,
        public_url=public_url.rstrip("/") if public_url else None,
        templates=templates,
        write_sessions=write_sessions,
    )
    routes: list[Any] = [
        *routes_pages.routes,
        *routes_api.routes,
        *routes_unsubscribe.routes,
        *routes_ops.routes,
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            BadRequest: _bad_request,
            QueryError: _bad_request,
            HTTPException: _http_error,
            Exception: _server_error,
        },
    )
    app.state.web = web
    app.add_middleware(SecurityHeaders)
    return app
