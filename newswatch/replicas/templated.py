"""Replica files that name their own host: ``{{BASE_URL}}`` becomes the running server's base URL.

Feeds and sitemaps carry absolute links (the formats require them), but a replica's port is only known
once its server starts. ``ReplicaServer`` calls ``install_templated(server, root)`` for a site without a
``site.py`` plug-in (a plug-in may call it itself): every servable
file containing the placeholder (gzip files are unpacked, filled in and packed again) is put on the
server under its URL, ``<dir>/index.<ext>`` under ``/<dir>/`` and ``/<dir>``, with a content type
sniffed from the body (RSS/Atom, sitemap XML or HTML).
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

PLACEHOLDER = b"{{BASE_URL}}"


def content_type(name: str, body: bytes) -> str:
    head = body[:600].lower()
    if name.endswith(".gz"):
        return "application/gzip"
    if b"<rss" in head or b"<rdf:rdf" in head:
        return "application/rss+xml; charset=utf-8"
    if b"<feed" in head:
        return "application/atom+xml; charset=utf-8"
    if b"<urlset" in head or b"<sitemapindex" in head:
        return "application/xml; charset=utf-8"
    return "text/html; charset=utf-8"


def install_templated(server: Any, root: Path) -> int:
    """Put every templated file of ``root`` on ``server``; returns how many."""
    base = server.base_url.encode()
    count = 0
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if not path.is_file() or path.name == "site.py" or "@" in path.name:
            continue
        if any(part.startswith(("_", ".")) or part == "__pycache__" for part in relative.parts):
            continue
        data = path.read_bytes()
        packed = path.suffix == ".gz"
        text = gzip.decompress(data) if packed else data
        if PLACEHOLDER not in text:
            continue
        text = text.replace(PLACEHOLDER, base)
        body = gzip.compress(text, mtime=0) if packed else text
        ctype = content_type(path.name, text)
        if path.stem == "index":
            folder = "/" + relative.parent.as_posix().strip(".")
            urls = [folder.rstrip("/") + "/", folder.rstrip("/") or "/"]
        else:
            urls = ["/" + relative.as_posix()]
        for url in dict.fromkeys(urls):
            server.put(url, body, ctype)
        count += 1
    return count
