"""Offline replicas of the sites newswatch crawls, served on loopback by ``ReplicaServer``.

They ship with the package (not the test tree) because three users need them: the test suite, the
benchmarks and ``newswatch demo``, which must work from an installed wheel. ``python -m
newswatch.replicas`` keeps them running for a manual look or a hand-made crawl.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

from .server import REPLICAS, ReplicaServer


def site_names() -> list[str]:
    """Every site with a replica folder (a source key of the registry), sorted."""
    return sorted(
        path.name
        for path in REPLICAS.iterdir()
        if path.is_dir() and not path.name.startswith(("_", ".")) and path.name != "__pycache__"
    )


@contextlib.contextmanager
def running_sites(keys: Iterable[str]) -> Iterator[dict[str, str]]:
    """One running ``ReplicaServer`` per key that has a replica (others are left out); yields key → base URL."""
    with running_servers(keys) as servers:
        yield {key: server.base_url for key, server in servers.items()}


@contextlib.contextmanager
def running_servers(keys: Iterable[str]) -> Iterator[dict[str, ReplicaServer]]:
    """``running_sites``, yielding the servers themselves (to publish a page while they run)."""
    available = set(site_names())
    servers: dict[str, ReplicaServer] = {}
    try:
        for key in keys:
            if key in available:
                servers[key] = ReplicaServer(key).start()
        yield servers
    finally:
        for server in servers.values():
            server.stop()
