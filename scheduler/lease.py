"""One scheduler per database: a lease row in ``service_lease`` that expires unless renewed.

Why a lease and not a lock file: the database is the one thing every instance shares (it may be
PostgreSQL on another host), and a row with an expiry survives ``kill -9`` gracefully: the dead holder
simply stops renewing and a restart takes over once ``expires_at`` has passed. Acquisition is one
conditional UPDATE (or the first INSERT), so two instances racing can never both win.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

from storage import leases
from storage.db import SessionFactory, session_scope
from storage.types import utcnow

log = logging.getLogger(__name__)

SCHEDULER_LEASE = "scheduler"


def default_holder() -> str:
    """``host:pid``: enough for an admin to find (and kill) the instance that holds the lease."""
    return f"{socket.gethostname()}:{os.getpid()}"


class LeaseHeldError(RuntimeError):
    """Another live instance holds the lease; the message names it and says when it expires."""


@dataclass(frozen=True, slots=True)
class LeaseInfo:
    name: str
    holder: str
    acquired_at: dt.datetime
    expires_at: dt.datetime


class Lease:
    """Acquire, renew and release one named lease for one holder."""

    def __init__(
        self,
        session_factory: SessionFactory,
        *,
        name: str = SCHEDULER_LEASE,
        holder: str | None = None,
        ttl_seconds: float = 60,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.session_factory = session_factory
        self.name = name
        self.holder = holder or default_holder()
        self.ttl = dt.timedelta(seconds=ttl_seconds)
        self.clock = clock

    def current(self) -> LeaseInfo | None:
        with self.session_factory() as session:
            row = leases.current(session, self.name)
            if row is None:
                return None
            return LeaseInfo(row.name, row.holder, row.acquired_at, row.expires_at)

    def try_acquire(self) -> bool:
        """Take the lease if it is free, expired or already ours; True when we hold it afterwards."""
        return leases.take(self.session_factory, self.name, self.holder, self.clock(), self.ttl)

    def acquire(self) -> None:
        """Take the lease or raise LeaseHeldError naming the live holder."""
        if self.try_acquire():
            return
        info = self.current()
        if info is None:  # released in between: try once more
            if self.try_acquire():
                return
            info = self.current()
        assert info is not None
        raise LeaseHeldError(
            f"another newswatch scheduler ({info.holder}) holds the '{self.name}' lease on this database "
            f"until {info.expires_at:%Y-%m-%d %H:%M:%S} UTC; stop it first, or start with --standby to take "
            "over when it stops"
        )

    def wait_and_acquire(self, poll_seconds: float, should_stop: Callable[[], bool] = lambda: False) -> bool:
        """Standby mode: poll until the lease is ours (True) or ``should_stop`` says give up (False)."""
        announced = False
        while not should_stop():
            if self.try_acquire():
                return True
            if not announced:
                info = self.current()
                log.info("standing by: lease '%s' held by %s", self.name, info.holder if info else "?")
                announced = True
            time.sleep(poll_seconds)
        return False

    def renew(self) -> bool:
        """Extend our lease; False means another instance took it over and we must stop."""
        with session_scope(self.session_factory) as session:
            return leases.extend(session, self.name, self.holder, self.clock() + self.ttl)

    def lost_reason(self) -> str:
        """What happened when ``renew`` said the lease is no longer ours, worded for the operator.

        A lost lease used to be reported as taken over "by another instance" even when the database had
        been recreated under the service and no other instance existed.
        """
        try:
            info = self.current()
        except Exception as exc:  # noqa: BLE001 - any failure to read it back: the database itself is in question
            return f"the lease could not be read back ({exc.__class__.__name__}): is the database gone?"
        if info is None:
            return (
                f"the '{self.name}' lease row is gone: the database was recreated or emptied while this "
                "instance ran (no other instance took it)"
            )
        if info.holder != self.holder:
            return f"another instance ({info.holder}) took the '{self.name}' lease over"
        return f"the '{self.name}' lease could not be renewed"

    def release(self) -> None:
        """Let a successor start at once instead of waiting for the expiry."""
        with session_scope(self.session_factory) as session:
            leases.extend(session, self.name, self.holder, self.clock() - dt.timedelta(seconds=1))
