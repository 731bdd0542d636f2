"""A hostile news site on 127.0.0.1: every attack we know of, served by one small real HTTP server.

newswatch fetches what strangers write. This site plays the stranger: a feed and a sitemap whose items
redirect inside our network, link to ``javascript:`` and cloud-metadata URLs, loop, bomb, drip, and put
script and control characters in every field. ``tests/test_hostile_site.py`` crawls it end to end with
the real spiders and checks what is stored and what every output (web page, API, Atom, digest) shows.

It lives in tests/, not beside the product's replicas: it is attack data for tests only, and a
package that ships to users should not carry a ready-made SSRF and bomb server.

Every attack is time-bounded on our side: the test sets a small DOWNLOAD_MAXSIZE and DOWNLOAD_TIMEOUT,
and the streaming attacks stop by themselves after ``STREAM_LIMIT_SECONDS`` in case a client hangs on.

``InternalService`` is a second loopback server standing for what sits inside (a database admin page,
cloud metadata): it must never receive a request. Its pages carry ``SECRET`` so a leak is visible in
any output.
"""

from __future__ import annotations

import functools
import gzip
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

SECRET = "SECRET-internal-0xC0FFEE"
STREAM_LIMIT_SECONDS = 20.0
SCRIPT = "<script>alert('xss')</script>"
# Every stored article must mention the watched country, so relevance keeps it and outputs show it.
ABOUT = "Dushanbe, Tajikistan"


def _paragraphs(topic: str, n: int = 5) -> str:
    sentence = f"Officials in {ABOUT} discussed {topic} on Monday with regional partners and observers."
    return "".join(f"<p>{sentence} Paragraph {i + 1} adds detail.</p>" for i in range(n))


class _Recorder(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.requests: list[str] = []
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A crawler that gives up on a bomb or a drip is the point of the test, not an error."""

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def record(self, path: str) -> None:
        with self.lock:
            self.requests.append(path)

    def __enter__(self) -> _Recorder:
        self.thread = threading.Thread(target=self.serve_forever, name=type(self).__name__, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


class _InternalHandler(BaseHTTPRequestHandler):
    server: InternalService

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.server.record(self.path)
        body = f"<html><head><title>{SECRET}</title></head><body><p>{SECRET}</p></body></html>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class InternalService(_Recorder):
    """Stands for a service inside our network. ``requests`` must stay empty."""

    def __init__(self) -> None:
        super().__init__(_InternalHandler)


class HostileSite(_Recorder):
    """The attacker's site. ``internal`` is the address it tries to make us reach."""

    def __init__(self, internal: InternalService) -> None:
        super().__init__(_HostileHandler)
        self.internal = internal

    # --- what the crawl and the test need ----------------------------------------------------------
    def source(self, **extra: Any) -> dict[str, Any]:
        """The ``[sources.hostile]`` table pointing at this site (feed spider, always relevant)."""
        return {
            "name": "Hostile replica",
            "base_url": self.base_url,
            "languages": ["en"],
            "spider": "feed",
            "parser": "generic",
            "entry": [
                {"kind": "feed", "path": "/feed.xml", "always_relevant": True},
                {"kind": "feed", "path": "/xxe.xml", "always_relevant": True},
                {"kind": "feed", "path": "/laughs.xml", "always_relevant": True},
            ],
            **extra,
        }

    def sitemap_source(self, **extra: Any) -> dict[str, Any]:
        """A second source reading the same site through its (hostile) sitemap."""
        return {
            "name": "Hostile replica sitemap",
            "base_url": self.base_url,
            "languages": ["en"],
            "spider": "sitemap",
            "parser": "generic",
            "entry": [{"kind": "sitemap", "path": "/sitemap.xml", "always_relevant": True}],
            **extra,
        }

    # --- the pages ------------------------------------------------------------------------------------
    def feed(self) -> bytes:
        base, internal = self.base_url, self.internal.base_url
        internal_port = urlsplit(internal).port
        full = _paragraphs("a link that is not a web page", 6)

        def item(
            title: str, link: str, content: str = "", date: str = "Mon, 23 Sep 2024 10:00:00 GMT"
        ) -> str:
            encoded = f"<content:encoded><![CDATA[{content}]]></content:encoded>" if content else ""
            return (
                f"<item><title><![CDATA[{title}]]></title><link>{link}</link><pubDate>{date}</pubDate>"
                f"<description><![CDATA[Teaser about {ABOUT}…]]></description>{encoded}</item>"
            )

        items = [
            # SSRF: redirects inside, to another loopback port, to a name that resolves to loopback
            item("Redirect to the internal service", f"{base}/go/internal"),
            item("Redirect to localhost", f"{base}/go/localhost"),
            item("Link to cloud metadata", "http://169.254.169.254/latest/meta-data/"),
            item("Link to the internal service", f"{internal}/secret"),
            item("IPv4-mapped IPv6 loopback", f"http://[::ffff:127.0.0.1]:{internal_port}/secret"),
            item("Redirect to a file", f"{base}/go/file"),
            item("Redirect loop", f"{base}/loop/a"),
            # unsafe schemes with full text in the feed (no page fetch would catch them)
            item(f"Script link about {ABOUT}", "javascript:alert(document.domain)", full),
            item(f"Data link about {ABOUT}", "data:text/html,<script>alert(1)</script>", full),
            item(f"File link about {ABOUT}", "file:///etc/passwd", full),
            # script in every field (title, summary, body, author and tag via the page), absurd dates
            item(f"{SCRIPT} Script title on {ABOUT}", f"{base}/a/script"),
            item(f"Absurd dates in {ABOUT}", f"{base}/a/dates", date="Fri, 31 Dec 9999 23:59:59 GMT"),
            item(f"Control characters in {ABOUT}", f"{base}/a/control"),
            item(f"Deeply nested page from {ABOUT}", f"{base}/a/nested"),
            # bombs: these must fail fast and be counted, nothing stored
            item("Gzip bomb", f"{base}/a/gzip-bomb"),
            item("Huge page", f"{base}/a/huge"),
            item("Endless page", f"{base}/a/endless"),
            item("Slow drip", f"{base}/a/drip"),
        ]
        return (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            f"<title>Hostile {SCRIPT}</title><link>{base}/</link><language>en</language>"
            + "".join(items)
            + "</channel></rss>"
        ).encode()

    def xxe_feed(self) -> bytes:
        """An external entity pointing at a local file and at the internal service."""
        return (
            '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">'
            f'<!ENTITY int SYSTEM "{self.internal.base_url}/xxe">]>'
            '<rss version="2.0"><channel><title>x</title>'
            f"<item><title>XXE &xxe; &int;</title><link>{self.base_url}/a/xxe</link>"
            "<description>&xxe;</description></item></channel></rss>"
        ).encode()

    def laughs_feed(self) -> bytes:
        """A billion laughs: nested entities that expand to gigabytes if anyone expands them."""
        entities = '<!ENTITY l0 "lol">' + "".join(
            f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
        )
        return (
            f'<?xml version="1.0"?><!DOCTYPE rss [{entities}]><rss version="2.0"><channel><title>&l9;</title>'
            f"<item><title>Laughs &l9;</title><link>{self.base_url}/a/laughs</link></item></channel></rss>"
        ).encode()

    def sitemap(self) -> bytes:
        entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
            f'<!ENTITY {c} "{("&" + p + ";") * 10}">' for p, c in zip("abcdefg", "bcdefgh", strict=True)
        )
        internal = self.internal.base_url
        urls = [
            f"{self.base_url}/a/sitemap-article",
            f"{self.base_url}/go/internal",
            f"{internal}/from-sitemap",
            f"{self.base_url}/&h;",
        ]
        body = "".join(f"<url><loc>{u}</loc><lastmod>2024-09-23</lastmod></url>" for u in urls)
        return (
            f'<?xml version="1.0"?><!DOCTYPE urlset [{entities}<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>'
        ).encode()

    def article(self, name: str) -> bytes | None:
        if name == "script":
            return (
                f"<html><head><title>{SCRIPT} Script title on {ABOUT}</title>"
                f'<meta name="description" content="{_attr(SCRIPT)} summary">'
                f'<meta name="author" content="{_attr(SCRIPT)} Author">'
                f'<meta property="article:tag" content="{_attr(SCRIPT)}">'
                f'<meta property="article:published_time" content="2024-09-23T10:00:00Z">'
                f"</head><body><article><h1>{SCRIPT} Script title on {ABOUT}</h1>"
                f'<p>Body with <a href="javascript:alert(1)">a script link</a> and '
                f"<img src=x onerror=alert(1)> in {ABOUT}.</p>{_paragraphs('scripts', 4)}"
                f"<p>&lt;script&gt;alert('escaped in source')&lt;/script&gt;</p></article></body></html>"
            ).encode()
        if name == "dates":
            return (
                f"<html><head><title>Absurd dates in {ABOUT}</title>"
                '<meta property="article:published_time" content="9999-12-31T23:59:59Z">'
                '<meta property="article:modified_time" content="0001-01-01T00:00:00Z">'
                f"</head><body><article><h1>Absurd dates in {ABOUT}</h1>"
                f"<time datetime='-0044-03-15'>Ides</time>{_paragraphs('dates')}</article></body></html>"
            ).encode()
        if name == "control":
            junk = "\x00\x01\x07\x08\x0b\x0c\x1b[31m\x7f\u2028\u2029\ufeff"
            return (
                f"<html><head><title>Control{junk} characters in {ABOUT}</title></head><body><article>"
                f"<h1>Control{junk} characters in {ABOUT}</h1>"
                f"<p>Before{junk}after, in {ABOUT}.</p>{_paragraphs('control characters')}"
                "</article></body></html>"
            ).encode("utf-8", "surrogatepass")
        if name == "nested":
            depth = 10_000
            return (
                f"<html><head><title>Deeply nested page from {ABOUT}</title></head><body><article>"
                f"<h1>Deeply nested page from {ABOUT}</h1>{_paragraphs('nesting')}"
                + "<div>" * depth
                + f"deep text in {ABOUT}"
                + "</div>" * depth
                + "</article></body></html>"
            ).encode()
        if name == "sitemap-article":
            return (
                f"<html><head><title>Sitemap article from {ABOUT}</title></head><body><article>"
                f"<h1>Sitemap article from {ABOUT}</h1>{_paragraphs('sitemaps')}</article></body></html>"
            ).encode()
        return None


@functools.cache
def _gzip_bomb() -> bytes:
    """32 MB of zeros in 32 KB: far past any response limit once inflated."""
    return gzip.compress(b"\0" * (32 * 1024 * 1024), compresslevel=9)


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;")


# Chunked stream helpers for the bombs: bounded by the client's limits and by STREAM_LIMIT_SECONDS.
def _stream(handler: BaseHTTPRequestHandler, chunk: bytes, pause: float, headers: dict[str, str]) -> None:
    handler.send_response(200)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    deadline = time.monotonic() + STREAM_LIMIT_SECONDS
    try:
        while time.monotonic() < deadline:
            if "Content-Length" in headers:
                handler.wfile.write(chunk)
            else:
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            handler.wfile.flush()
            if pause:
                time.sleep(pause)
    except OSError:
        pass  # the crawler hung up: that is the defence working
    handler.close_connection = True


class _HostileHandler(BaseHTTPRequestHandler):
    server: HostileSite
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        pass

    def do_GET(self) -> None:  # noqa: N802
        site = self.server
        path = self.path
        site.record(path)
        internal = site.internal.base_url
        port = site.server_address[1]
        redirects = {
            "/go/internal": f"{internal}/secret",
            "/go/localhost": f"http://localhost:{urlsplit(internal).port}/secret",
            "/go/self-localhost": f"http://localhost:{port}/a/script",
            "/go/file": "file:///etc/passwd",
            "/loop/a": "/loop/b",
            "/loop/b": "/loop/a",
        }
        if path in redirects:
            self._send(302, b"", "text/html", {"Location": redirects[path]})
            return
        xml = "application/xml; charset=utf-8"
        documents: dict[str, Callable[[], bytes]] = {
            "/feed.xml": site.feed,
            "/xxe.xml": site.xxe_feed,
            "/laughs.xml": site.laughs_feed,
            "/sitemap.xml": site.sitemap,
        }
        if path in documents:
            kind = "application/rss+xml; charset=utf-8" if path.endswith("feed.xml") else xml
            self._send(200, documents[path](), kind)
            return
        if path == "/robots.txt":
            self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
            return
        html = "text/html; charset=utf-8"
        if path == "/a/gzip-bomb":
            self._send(200, _gzip_bomb(), html, {"Content-Encoding": "gzip"})
            return
        if path == "/a/huge":  # declares 200 MB and sends until we hang up
            _stream(
                self,
                b"<p>" + b"x" * 65536 + b"</p>",
                0,
                {"Content-Type": html, "Content-Length": str(200 << 20)},
            )
            return
        if path == "/a/endless":  # chunked, never ends
            _stream(
                self,
                b"<p>" + b"y" * 65536 + b"</p>",
                0,
                {"Content-Type": html, "Transfer-Encoding": "chunked"},
            )
            return
        if path == "/a/drip":  # one byte now and then, forever
            _stream(self, b"z", 0.2, {"Content-Type": html, "Transfer-Encoding": "chunked"})
            return
        body = site.article(path.rsplit("/", 1)[-1]) if path.startswith("/a/") else None
        if body is None:
            self._send(404, b"<html><body>not found</body></html>", html)
            return
        self._send(200, body, html)

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            self.close_connection = True
