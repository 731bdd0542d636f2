"""The service's settings as plain values.

``scheduler`` must not import ``newswatch`` (imports flow one way), so the CLI turns the ``[scheduler]``,
``[crawl]`` and ``[sources]`` sections into this dataclass and hands it in. Tests, the demo and the soak
benchmark build one directly with a fast schedule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from alerts.config import MailConfig


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """How a cluster's leader and workers meet: the broker, the queue, and each worker's share.

    RabbitMQ is the broker we test with: a message a worker took but did not acknowledge goes back to
    the queue the moment that worker's connection drops (kill -9 included), with no visibility timeout
    to wait out as with Redis.
    """

    broker_url: str
    queue: str = "newswatch.crawl"
    worker_concurrency: int = 2
    worker_heartbeat_seconds: float = 10
    lock_wait_seconds: float = (
        30  # longer than a dying crawl's orphan grace, so a redelivered job waits for it
    )
    enqueue_retry_seconds: float = 30  # the broker was down: try that source again this soon


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """Everything ``newswatch serve`` needs to know.

    ``crawl_interval_seconds`` (when set) replaces every source's interval: it exists for the demo,
    the reliability tests and the soak benchmark, which cannot wait 30 minutes between runs.
    """

    database_url: str
    source_overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    crawl_options: Mapping[str, Any] = field(default_factory=dict)
    max_pages: int | None = None
    mail: MailConfig = field(default_factory=MailConfig)
    timezone: str = "Asia/Dushanbe"
    crawl_interval_minutes: int = 30
    crawl_interval_seconds: float | None = None
    jitter_seconds: int = 120
    crawl_timeout_seconds: float = 1800
    shutdown_timeout_seconds: float = 60
    misfire_grace_seconds: int = 600
    immediate_digest_minutes: float = 5
    daily_digest_time: str = "07:00"
    weekly_digest_day: str = "mon"
    failure_threshold: int = 3
    raw_html_max_age_days: int | None = None
    housekeeping_minutes: float = 60
    outbox_seconds: float = 60
    lease_seconds: float = 60
    heartbeat_seconds: float = 15
    catch_up_stagger_seconds: float = 5
    crawl_log_level: str = "WARNING"
    crawl_child_command: tuple[str, ...] | None = None  # None: python -m scheduler.crawl_child
    log_level: str = "INFO"
    cluster: ClusterConfig | None = None  # None: single machine, crawls run in this process's children

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"scheduler.timezone: unknown time zone {self.timezone!r} (try 'Asia/Dushanbe' or 'UTC')"
            ) from None
        if self.heartbeat_seconds >= self.lease_seconds:
            raise ValueError("the lease heartbeat must be shorter than the lease itself")
        if self.cluster is not None and not self.database_url.startswith("postgresql"):
            raise ValueError(
                "cluster.broker_url is set but database_url is SQLite: a cluster shares one PostgreSQL "
                "database (set database_url = 'postgresql+psycopg://...' or remove [cluster])"
            )

    def interval_seconds(self, source_interval_minutes: float | None) -> float:
        """The interval a source runs at: the fast override, its own interval, or the default."""
        if self.crawl_interval_seconds is not None:
            return float(self.crawl_interval_seconds)
        return float(source_interval_minutes or self.crawl_interval_minutes) * 60
