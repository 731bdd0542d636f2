"""A fingerprint of what an article says, independent of how its page laid it out."""

from __future__ import annotations

import hashlib

from crawler.normalize.text import normalize_body

__all__ = ["content_hash"]


def content_hash(body: str) -> str:
    """sha256 hex over the normalised body: the same text with other line breaks hashes the same."""
    return hashlib.sha256(normalize_body(body).encode("utf-8")).hexdigest()
