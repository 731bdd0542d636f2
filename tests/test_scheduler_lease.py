"""The single-instance lease: one holder at a time, expiry after a crash, clean hand-over."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from scheduler.lease import Lease, LeaseHeldError
from storage.types import utcnow


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def test_a_second_instance_is_refused_with_the_holder_named(session_factory) -> None:
    first = Lease(session_factory, holder="host-a:101", ttl_seconds=60)
    second = Lease(session_factory, holder="host-b:202", ttl_seconds=60)
    first.acquire()
    with pytest.raises(LeaseHeldError, match="host-a:101") as err:
        second.acquire()
    assert "--standby" in str(err.value)
    assert first.renew() is True
    assert first.current().holder == "host-a:101"


def test_an_expired_lease_is_taken_over_and_the_old_holder_learns_it(session_factory) -> None:
    clock = Clock()
    dead = Lease(session_factory, holder="killed:1", ttl_seconds=60, clock=clock)
    successor = Lease(session_factory, holder="restart:2", ttl_seconds=60, clock=clock)
    dead.acquire()
    clock.advance(30)
    assert successor.try_acquire() is False  # still live
    clock.advance(31)
    assert successor.try_acquire() is True  # kill -9 left it to expire
    assert dead.renew() is False  # a paused old instance must stop, not run jobs twice
    assert successor.current().holder == "restart:2"


def test_release_lets_a_successor_start_at_once(session_factory) -> None:
    first = Lease(session_factory, holder="a:1", ttl_seconds=600)
    first.acquire()
    first.release()
    assert Lease(session_factory, holder="b:2", ttl_seconds=600).try_acquire() is True


def test_standby_waits_until_the_holder_stops(session_factory) -> None:
    holder = Lease(session_factory, holder="a:1", ttl_seconds=600)
    holder.acquire()
    standby = Lease(session_factory, holder="b:2", ttl_seconds=600)
    polls: list[int] = []

    def should_stop() -> bool:
        polls.append(1)
        if len(polls) == 3:
            holder.release()
        return len(polls) > 20

    assert standby.wait_and_acquire(0.01, should_stop) is True
    assert len(polls) == 3  # refused while held, taken on the first poll after the release
    assert standby.current().holder == "b:2"


def test_racing_instances_never_both_win(session_factory) -> None:
    contenders = [Lease(session_factory, holder=f"racer:{i}", ttl_seconds=60) for i in range(6)]
    barrier = threading.Barrier(len(contenders))
    results: list[bool] = []

    def race(lease: Lease) -> None:
        barrier.wait()
        results.append(lease.try_acquire())

    threads = [threading.Thread(target=race, args=(lease,)) for lease in contenders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 5 + [True]


def test_a_lease_lost_to_a_recreated_database_says_so(session_factory, engine) -> None:  # type: ignore[no-untyped-def]
    """The database is recreated and migrated again under a running instance: no one else took the lease.

    On PostgreSQL the schema is really dropped and rebuilt; a SQLite file in use cannot be, so there the
    lease table is emptied, which is what the lease code sees after a recreation.
    """
    from sqlalchemy import delete, text

    from storage.migrate import upgrade
    from storage.models import ServiceLease

    lease = Lease(session_factory, holder="host-a:101", ttl_seconds=60)
    lease.acquire()
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade(engine)
    else:
        with engine.begin() as conn:
            conn.execute(delete(ServiceLease))
    assert lease.renew() is False
    reason = lease.lost_reason()
    assert "lease row is gone: the database was recreated or emptied" in reason
    assert "no other instance" in reason


def test_a_lease_taken_over_names_the_new_holder(session_factory) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    first = Lease(session_factory, holder="host-a:101", ttl_seconds=60, clock=clock)
    second = Lease(session_factory, holder="host-b:202", ttl_seconds=60, clock=clock)
    first.acquire()
    clock.advance(120)
    second.acquire()
    assert first.renew() is False
    assert first.lost_reason() == "another instance (host-b:202) took the 'scheduler' lease over"
