"""A real HTTP server on 127.0.0.1 that plays the sites we crawl, for tests, benchmarks and the demo.

Each site is a data folder ``newswatch/replicas/<site>/`` served as the document root::

    newswatch/replicas/<site>/
        robots.txt                       -> /robots.txt
        some/article/index.html          -> /some/article/  and  /some/article
        feed.xml, sitemap.xml.gz         -> /feed.xml, /sitemap.xml.gz (bytes as stored)
        news/index.html@page=2           -> /news/?page=2   (a query URL: file name + "@" + the query)
        site.py                          optional plug-in: ``install(server, **options)`` may add
                                         generated routes (listings, synthetic pages) and returns an
                                         object kept as ``server.site``; without one, files naming
                                         ``{{BASE_URL}}`` get this server's address (``templated.py``)
        _anything                        private data for site.py (templates, metadata); never served

Extension-less files and ``.html`` are served as ``text/html; charset=utf-8``; everything else by
``mimetypes``. Every response carries an ETag (hash of the body) and a Last-Modified (when that body was
first served), and conditional GETs (If-None-Match / If-Modified-Since) get a 304.

What tests use:

- ``with ReplicaServer("osce") as server: server.base_url`` — port 0, so parallel tests never collide;
- ``server.log`` — every request as ``LoggedRequest(path, status, conditional)`` (path includes the query);
  ``server.paths()`` filters it, ``server.clear_log()`` resets it;
- ``server.put(path, body)`` — add or replace a page at runtime; ``server.route(path, handler)`` — a page
  generated per request from its query (``handler(query) -> Page | None``);
- ``server.fail(path, kind, ...)`` — fault injection per path: ``"status"`` (e.g. 500), ``"slow"`` (sleep
  ``delay`` seconds before answering, beyond a crawler's timeout; logged on arrival with status 0), ``"oversized"`` (pad the body to
  ``size`` bytes), ``"charset"`` (declare the wrong charset in Content-Type), ``"drop"`` (close the
  connection without answering); ``times`` limits how often it fires (None = always).
"""

from __future__ import annotations

import email.utils
import hashlib
import importlib.util
import mimetypes
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .templated import install_templated

REPLICAS = Path(__file__).resolve().parent
HTML = "text/html; charset=utf-8"


@dataclass
class Page:
    """One response body. ``headers`` are added as they are."""

    body: bytes
    content_type: str = HTML
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LoggedRequest:
    path: str  # path and query as requested
    status: int
    conditional: bool  # the request carried If-None-Match or If-Modified-Since
    user_agent: str = ""


@dataclass
class Fault:
    kind: str  # status | slow | oversized | charset | drop
    status: int = 500
    delay: float = 5.0
    size: int = 12 * 1024 * 1024
    charset: str = "iso-8859-1"
    times: int | None = None


Handler = Callable[[dict[str, list[str]]], Page | None]


class ReplicaServer:
    """See the module docstring. Start/stop explicitly or use it as a context manager."""

    def __init__(
        self, site: str | Path | None = None, *, host: str = "127.0.0.1", port: int = 0, **options: Any
    ):
        self.root: Path | None = None
        if site is not None:
            self.root = site if isinstance(site, Path) else REPLICAS / site
            if not self.root.is_dir():
                raise FileNotFoundError(f"no replica site folder {self.root}")
        self.pages: dict[str, Page] = {}
        self.routes: dict[str, Handler] = {}
        self.faults: dict[str, Fault] = {}
        self.latency = 0.0  # seconds every answer waits, as a distant site's would (bench/cluster.py)
        self.log: list[LoggedRequest] = []
        self._first_served: dict[str, float] = {}
        self._lock = threading.Lock()
        self._httpd = _Server((host, port), _RequestHandler)
        self._httpd.replica = self
        self._thread: threading.Thread | None = None
        self.site: Any = None
        if self.root is not None and (self.root / "site.py").exists():
            self.site = _load_plugin(self.root / "site.py").install(self, **options)
        elif options:
            raise TypeError(f"options {sorted(options)} need a site.py plug-in in {self.root}")
        elif self.root is not None:
            install_templated(self, self.root)

    # --- lifecycle ---------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self) -> ReplicaServer:
        if self._thread is None:
            self._thread = threading.Thread(target=self._httpd.serve_forever, name="replica", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> ReplicaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- content -----------------------------------------------------------------------------------
    def put(self, path: str, body: str | bytes, content_type: str | None = None, **headers: str) -> None:
        """Add or replace a page (``path`` may carry a query) while the server runs."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self._lock:
            self.pages[path] = Page(data, content_type or _guess_type(path), headers=dict(headers))

    @staticmethod
    def make_page(body: bytes, content_type: str = HTML, status: int = 200, **headers: str) -> Page:
        """A response for a ``route`` handler (site plug-ins use this instead of importing Page)."""
        return Page(body, content_type, status, dict(headers))

    def route(self, path: str, handler: Handler) -> None:
        """Generate ``path`` per request from its query; the handler returns None for "not found"."""
        with self._lock:
            self.routes[path] = handler

    def fail(self, path: str, kind: str = "status", **options: Any) -> None:
        """Inject a fault for requests to ``path`` (with or without its query); see the module docstring."""
        if kind not in {"status", "slow", "oversized", "charset", "drop"}:
            raise ValueError(f"unknown fault kind {kind!r}")
        with self._lock:
            self.faults[path] = Fault(kind, **options)

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    # --- the request log ---------------------------------------------------------------------------
    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()

    def paths(self, prefix: str = "", *, include_robots: bool = False) -> list[str]:
        with self._lock:
            return [
                r.path
                for r in self.log
                if r.path.startswith(prefix) and (include_robots or r.path != "/robots.txt")
            ]

    # --- resolution (called from the handler threads) ----------------------------------------------
    def _fault_for(self, target: str) -> Fault | None:
        path = target.split("?", 1)[0]
        with self._lock:
            for key in (target, unquote(target), path):
                fault = self.faults.get(key)
                if fault is not None:
                    if fault.times is not None:
                        if fault.times <= 0:
                            return None
                        fault.times -= 1
                    return fault
        return None

    def resolve(self, target: str) -> Page | None:
        parts = urlsplit(target)
        path, query = unquote(parts.path) or "/", parts.query
        with self._lock:
            for key in (target, unquote(target), f"{path}?{unquote(query)}" if query else path):
                if key in self.pages:
                    return self.pages[key]
            handler = self.routes.get(path) or self.routes.get(path.rstrip("/") or "/")
        if handler is not None:
            return handler(parse_qs(query, keep_blank_values=True))
        return self._static(path, unquote(query))

    def _static(self, path: str, query: str) -> Page | None:
        if self.root is None:
            return None
        relative = path.lstrip("/")
        if any(part.startswith((".", "_")) or part == ".." for part in Path(relative).parts):
            return None
        if relative == "site.py":
            return None
        base = self.root / relative
        suffix = f"@{query}" if query else ""
        candidates = [Path(f"{base}{suffix}"), Path(f"{base}.html{suffix}"), base / f"index.html{suffix}"]
        root = self.root.resolve()
        for candidate in candidates:
            if candidate.is_file() and root in candidate.resolve().parents:
                return Page(candidate.read_bytes(), _guess_type(candidate.name.split("@", 1)[0]))
        return None

    def validators(self, target: str, body: bytes) -> tuple[str, float]:
        etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
        with self._lock:
            first = self._first_served.setdefault(f"{target} {etag}", time.time())
        return etag, first

    def record(self, entry: LoggedRequest) -> None:
        with self._lock:
            self.log.append(entry)


def _guess_type(name: str) -> str:
    lower = name.lower().split("?", 1)[0]
    if lower.endswith((".html", ".htm", "/")) or "." not in lower.rsplit("/", 1)[-1]:
        return HTML
    if lower.endswith(".gz"):
        return "application/gzip"
    guessed, _ = mimetypes.guess_type(lower)
    if guessed and (guessed.startswith("text/") or guessed.endswith("xml")):
        return f"{guessed}; charset=utf-8"
    return guessed or "application/octet-stream"


def _load_plugin(path: Path) -> Any:
    name = f"replica_site_{path.parent.name}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a "slow" fault must not hold up stop()
    replica: ReplicaServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gives up (timeout, size limit) is part of the tests, not an error to print."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        pass

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(head=True)

    def do_GET(self) -> None:  # noqa: N802
        self._answer(head=False)

    def _answer(self, *, head: bool) -> None:
        replica = self.server.replica
        target = self.path
        conditional = bool(self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since"))
        agent = self.headers.get("User-Agent", "")
        if replica.latency:
            time.sleep(replica.latency)
        fault = replica._fault_for(target)
        if fault is not None and fault.kind == "drop":
            replica.record(LoggedRequest(target, 0, conditional, agent))
            self.close_connection = True
            return
        if fault is not None and fault.kind == "slow":
            # Logged on arrival (status 0: "no answer in time"), so a test's log never gets a late entry.
            replica.record(LoggedRequest(target, 0, conditional, agent))
            time.sleep(fault.delay)
            page = replica.resolve(target)
            self._send(200, page.body if page else b"", HTML, {}, head)
            return
        if fault is not None and fault.kind == "status":
            replica.record(LoggedRequest(target, fault.status, conditional, agent))
            self._send(fault.status, b"<html><body><h1>Server error</h1></body></html>", HTML, {}, head)
            return
        page = replica.resolve(target)
        if page is None:
            replica.record(LoggedRequest(target, 404, conditional, agent))
            self._send(404, b"<html><body><h1>Page not found</h1></body></html>", HTML, {}, head)
            return
        body, content_type = page.body, page.content_type
        if fault is not None and fault.kind == "oversized":
            body = body + b"<!-- " + b"x" * max(0, fault.size - len(body)) + b" -->"
        if fault is not None and fault.kind == "charset":
            content_type = f"text/html; charset={fault.charset}"
        etag, first = replica.validators(target, body)
        headers = {"ETag": etag, "Last-Modified": email.utils.formatdate(first, usegmt=True), **page.headers}
        if page.status == 200 and self._not_modified(etag, first):
            replica.record(LoggedRequest(target, 304, conditional, agent))
            self._send(304, b"", None, headers, head=True)
            return
        replica.record(LoggedRequest(target, page.status, conditional, agent))
        self._send(page.status, body, content_type, headers, head)

    def _not_modified(self, etag: str, first: float) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match:
            return etag in [tag.strip() for tag in if_none_match.split(",")] or if_none_match.strip() == "*"
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                parsed = email.utils.parsedate_to_datetime(since).timestamp()
            except (TypeError, ValueError):
                return False
            return int(first) <= parsed
        return False

    def _send(
        self, status: int, body: bytes, content_type: str | None, headers: dict[str, str], head: bool
    ) -> None:
        try:
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0" if status == 304 else str(len(body)))
            self.end_headers()
            if not head and status != 304:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
