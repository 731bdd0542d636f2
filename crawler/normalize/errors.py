"""The one error the normaliser raises."""

from __future__ import annotations

__all__ = ["NotAnArticle"]


class NotAnArticle(ValueError):
    """The page is not an article; ``str(error)`` says why, e.g. "no title", "body too short (12 chars)"."""
