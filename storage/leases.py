"""Named leases with an expiry (``service_lease``): the statements behind ``scheduler.lease.Lease``.

Acquisition is one conditional UPDATE (or the first INSERT), so two instances racing can never both
win; every function runs in the caller's transaction except :func:`take`, which needs its own to turn
a lost INSERT race into a plain ``False``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.db import SessionFactory, rowcount, session_scope
from storage.models import ServiceLease

__all__ = ["ServiceLease", "current", "extend", "take"]


def current(session: Session, name: str) -> ServiceLease | None:
    return session.get(ServiceLease, name)


def take(sessions: SessionFactory, name: str, holder: str, now: dt.datetime, ttl: dt.timedelta) -> bool:
    """Take the lease if it is free, expired or already ``holder``'s; True when ``holder`` has it afterwards."""
    try:
        with session_scope(sessions) as session:
            taken = session.execute(
                update(ServiceLease)
                .where(
                    ServiceLease.name == name,
                    or_(ServiceLease.holder == holder, ServiceLease.expires_at < now),
                )
                .values(holder=holder, acquired_at=now, expires_at=now + ttl)
                .execution_options(synchronize_session=False)
            )
            if rowcount(taken) == 1:
                return True
            if session.scalar(select(ServiceLease.name).where(ServiceLease.name == name)):
                return False
            session.add(ServiceLease(name=name, holder=holder, acquired_at=now, expires_at=now + ttl))
    except IntegrityError:
        # Another instance inserted the first row between our UPDATE and INSERT: it won.
        return False
    return True


def extend(session: Session, name: str, holder: str, expires_at: dt.datetime) -> bool:
    """Move ``holder``'s lease expiry (forward to renew, into the past to release); False if not theirs."""
    result = session.execute(
        update(ServiceLease)
        .where(ServiceLease.name == name, ServiceLease.holder == holder)
        .values(expires_at=expires_at)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1
