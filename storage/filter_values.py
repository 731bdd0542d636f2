"""Filters that answer: a source, language or tag the archive has never seen is an error naming the
close matches, not a quiet "no results".

``--source osec`` or ``--tag youht`` used to return an empty page, which reads as "nothing was written
about it". ``check_filters`` asks, per value, whether any article has it (one index seek each, so a
valid search pays a few hundred microseconds); only for an unknown value does it read the list of known
values, to suggest the closest ones (``difflib``) and, when there are few, to list them all.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from storage.models import Article, ArticleTag
from storage.query import QueryError
from storage.tags import tag_key

LIST_ALL_UP_TO = 12  # with this many known values or fewer, the message lists them all
SUGGESTIONS = 4


class UnknownFilterValue(QueryError):
    """A filter value no stored article has; ``str(exc)`` names it and the close matches."""

    def __init__(self, field: str, value: str, suggestions: Sequence[str], known: Sequence[str]) -> None:
        self.field, self.value, self.suggestions = field, value, list(suggestions)
        message = f"no article has {field} {value!r}"
        if suggestions:
            message += "; did you mean " + " or ".join(repr(s) for s in suggestions) + "?"
        if known and len(known) <= LIST_ALL_UP_TO:
            message += f" Known {field}s: {', '.join(known)}."
        elif not known:
            message += f" (the archive has no {field}s yet)"
        super().__init__(message)


def close_matches(value: str, known: Sequence[str]) -> list[str]:
    """The known values closest to ``value`` (case-insensitive), best first."""
    lowered = {k.casefold(): k for k in known}
    found = difflib.get_close_matches(value.casefold(), list(lowered), n=SUGGESTIONS, cutoff=0.6)
    prefixed = [k for low, k in lowered.items() if low.startswith(value.casefold()) and k not in found]
    return [lowered[f] for f in found] + prefixed[: SUGGESTIONS - len(found)]


def _check(
    session: Session, field: str, values: Sequence[str], column: Any, condition: list[ColumnElement[bool]]
) -> None:
    for value in values:
        if session.scalar(select(exists().where(column == value, *condition))):
            continue
        stmt = select(column).where(column.is_not(None), *condition).group_by(column).order_by(column)
        known = [str(v) for v in session.scalars(stmt)]
        raise UnknownFilterValue(field, value, close_matches(value, known), known)


def check_filters(
    session: Session,
    sources: Sequence[str] = (),
    languages: Sequence[str] = (),
    tags: Sequence[tuple[Sequence[str], str | None]] = (),
) -> None:
    """Raise ``UnknownFilterValue`` for the first value no article has (``tags``: folded key groups)."""
    _check(session, "source", sources, Article.source, [])
    _check(session, "language", languages, Article.language, [])
    for keys, kind in tags:
        condition = [ArticleTag.kind == kind] if kind else []
        _check(session, kind or "tag", [tag_key(k) for k in keys], ArticleTag.tag, condition)
