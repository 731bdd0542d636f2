"""Per-source health that survives restarts: the failure streak and whether the admin was told."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import SourceState

__all__ = ["SourceState", "for_update", "states"]


def for_update(session: Session, source: str) -> SourceState:
    """The source's state row, locked for this transaction (a new, empty one if it has none yet)."""
    state = session.get(SourceState, source, with_for_update=True)
    if state is None:
        state = SourceState(source=source, consecutive_failures=0, failing_alert_sent=False)
        session.add(state)
    return state


def states(session: Session, sources: Collection[str] | None = None) -> dict[str, SourceState]:
    """State rows by source (of ``sources`` only, when given)."""
    query = select(SourceState)
    if sources is not None:
        query = query.where(SourceState.source.in_(list(sources)))
    return {state.source: state for state in session.scalars(query)}
