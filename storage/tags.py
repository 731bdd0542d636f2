"""Tags as the archive files them: a folded key and a kind, so filters match however a tag is spelt.

Sites spell the same tag many ways (``Border management``, ``border-management``, ``BORDER MANAGEMENT``)
and mix two different things under "tags": the OSCE field of work an article concerns (``topic``: given
by our keyword rules or declared on an OSCE page) and the site's own category (``section``: ``Сиёсат``,
``Политика``, ``Tajikistan``). ``article_tag`` stores the folded key with its kind (migration 0007); the
article row keeps the tags as the site wrote them, for display.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import regex
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import ArticleTag
from storage.tokens import fold

TagKind = Literal["topic", "section"]
TAG_KINDS: tuple[TagKind, ...] = ("topic", "section")
_SEPARATORS = regex.compile(r"[\s\-_/]+")


def tag_key(tag: str) -> str:
    """The folded key of a tag: case, Latin accents and separators do not matter.

    >>> tag_key("  Border-Management ") == tag_key("border management") == "border management"
    True
    """
    return _SEPARATORS.sub(" ", fold(tag.casefold())).strip()


def tag_rows(article_id: int, tags: Sequence[str], sections: Sequence[str]) -> list[dict[str, object]]:
    """``article_tag`` rows for one article: each folded tag once, ``section`` if the site gave it."""
    section_keys = {tag_key(s) for s in sections}
    rows: dict[str, dict[str, object]] = {}
    for tag in tags:
        key = tag_key(tag)
        if key and key not in rows:
            kind = "section" if key in section_keys else "topic"
            rows[key] = {"article_id": article_id, "tag": key, "kind": kind}
    return list(rows.values())


def tag_counts(session: Session, kind: TagKind | None = None) -> list[tuple[str, str, int]]:
    """(kind, tag, articles) for every tag, most used first (``newswatch tags``)."""
    count = func.count().label("articles")
    stmt = select(ArticleTag.kind, ArticleTag.tag, count).group_by(ArticleTag.kind, ArticleTag.tag)
    if kind is not None:
        stmt = stmt.where(ArticleTag.kind == kind)
    stmt = stmt.order_by(count.desc(), ArticleTag.tag)
    return [(k, t, int(n)) for k, t, n in session.execute(stmt)]
