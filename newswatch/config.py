"""One settings object for the whole service, read from ``newswatch.toml`` and ``NEWSWATCH_*`` variables.

The environment wins over the file so a deployment can override a shared file; secrets (the SMTP
password) are accepted only from the environment so they never end up in a file that gets copied around.
"""

from __future__ import annotations

import os
import re
import tomllib
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from crawler import settings as crawl_defaults
from storage.links import safe_url

DEFAULT_CONFIG_FILE = "newswatch.toml"
CONFIG_ENV = "NEWSWATCH_CONFIG"
SECRET_ENV = {"smtp.password": "NEWSWATCH_SMTP_PASSWORD"}


class ConfigError(Exception):
    """A configuration problem, worded for the person who wrote the file."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Values that end up in a mail or HTTP header: a CR or LF there starts a new header (injection), and was
# only caught inside every digest job. Checked once, at load, with the key named.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def one_line(value: str | None) -> str | None:
    """A header-bound setting: no CR, LF or other control characters."""
    if value is not None and _CONTROL.search(value):
        raise ValueError("must be one line without control characters (no CR/LF)")
    return value


def mail_address(value: str | None) -> str | None:
    """``alerts@example.org`` or ``newswatch <alerts@example.org>``: one address, one line."""
    if value is None:
        return None
    one_line(value)
    _, address = parseaddr(value)
    local, at, domain = address.rpartition("@")
    if not (at and local and domain) or any(ch.isspace() for ch in address):
        raise ValueError("must be a mail address like 'newswatch <alerts@example.org>'")
    return value


class CrawlSettings(_Section):
    """How politely and how hard we fetch."""

    # Defaults live once, in crawler/settings.py (what `scrapy crawl` from the project root uses too).
    user_agent: str = crawl_defaults.AGENT
    contact: str = crawl_defaults.CONTACT
    obey_robots: bool = crawl_defaults.ROBOTSTXT_OBEY
    concurrent_requests: int = Field(default=crawl_defaults.CONCURRENT_REQUESTS, ge=1, le=64)
    concurrent_per_domain: int = Field(default=crawl_defaults.CONCURRENT_REQUESTS_PER_DOMAIN, ge=1, le=16)
    download_delay: float = Field(default=crawl_defaults.DOWNLOAD_DELAY, ge=0)
    download_timeout: float = Field(default=crawl_defaults.DOWNLOAD_TIMEOUT, gt=0)
    max_response_bytes: int = Field(default=crawl_defaults.DOWNLOAD_MAXSIZE, ge=1024)
    retry_times: int = Field(default=crawl_defaults.RETRY_TIMES, ge=0, le=10)
    autothrottle: bool = crawl_defaults.AUTOTHROTTLE_ENABLED
    max_pages: int = Field(
        default=crawl_defaults.NEWSWATCH_MAX_PAGES,
        ge=1,
        description="listing pages per scheduled (incremental) run",
    )
    backfill_max_pages: int = Field(default=crawl_defaults.NEWSWATCH_BACKFILL_MAX_PAGES, ge=1)
    baseline_window_hours: int = Field(
        default=crawl_defaults.NEWSWATCH_BASELINE_HOURS,
        ge=0,
        description="a source's first crawl mails only what was published this recently",
    )

    _headers = field_validator("user_agent", "contact")(one_line)


class SmtpSettings(_Section):
    """Where digests go. With no ``host`` messages are written as .eml files instead."""

    host: str | None = None
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    user: str | None = None
    password: SecretStr | None = None
    sender: str = "newswatch <newswatch@localhost>"
    timeout: float = Field(default=30, gt=0)

    _headers = field_validator("host", "user")(one_line)

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        return mail_address(value) or value


class AlertSettings(_Section):
    outbox_dir: Path = Path("var/outbox")
    admin_email: str | None = None
    public_url: str | None = Field(
        default=None, description="base URL of the web UI, for links and unsubscribe"
    )
    alert_backfill: bool = False
    news_window_days: int = Field(
        default=7,
        ge=1,
        description="an article published longer ago than this is archive, not news: never mailed",
    )
    max_attempts: int = Field(default=8, ge=1)
    retry_base_seconds: float = Field(default=30, gt=0)

    @field_validator("admin_email")
    @classmethod
    def _admin(cls, value: str | None) -> str | None:
        return mail_address(value)

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is not None and safe_url(value) != value:
            raise ValueError("must be an http(s) URL such as https://news.example.org (one line, no spaces)")
        return value


class SchedulerSettings(_Section):
    timezone: str = "Asia/Dushanbe"
    crawl_interval_minutes: int = Field(default=30, ge=1)
    jitter_seconds: int = Field(default=120, ge=0)
    crawl_timeout_seconds: int = Field(default=1800, ge=10)
    shutdown_timeout_seconds: int = Field(default=60, ge=0)
    misfire_grace_seconds: int = Field(default=600, ge=1)
    immediate_digest_minutes: int = Field(default=5, ge=1)
    daily_digest_time: str = Field(default="07:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    weekly_digest_day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    failure_threshold: int = Field(default=3, ge=1)
    raw_html_max_age_days: int | None = Field(default=None, ge=1)


class ClusterSettings(_Section):
    """Several machines: set ``broker_url`` (and a PostgreSQL ``database_url``) and run ``newswatch worker``
    on each crawling host. Left unset, ``serve`` crawls on its own machine as always."""

    broker_url: str | None = Field(default=None, description="e.g. amqp://user:pass@broker:5672// (RabbitMQ)")
    queue: str = Field(default="newswatch.crawl", min_length=1, max_length=200)
    worker_concurrency: int = Field(default=2, ge=1, le=64, description="crawls one worker runs at once")
    worker_heartbeat_seconds: float = Field(default=10, gt=0)
    lock_wait_seconds: float = Field(default=30, ge=0)
    enqueue_retry_seconds: float = Field(default=30, gt=0)


class WebSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    page_size: int = Field(default=20, ge=1, le=100)


class Settings(BaseSettings):
    """Everything configurable. Nested keys map to ``NEWSWATCH_SECTION__KEY`` variables."""

    model_config = SettingsConfigDict(env_prefix="NEWSWATCH_", env_nested_delimiter="__", extra="forbid")

    database_url: str = "sqlite:///./var/newswatch.db"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    display_timezone: str = Field(
        default="Asia/Dushanbe",
        description="the readers' zone: times on pages, in digests and on the command line are shown in it, named",
    )
    crawl: CrawlSettings = CrawlSettings()
    smtp: SmtpSettings = SmtpSettings()
    alerts: AlertSettings = AlertSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    web: WebSettings = WebSettings()
    cluster: ClusterSettings = ClusterSettings()
    sources: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="per-source overrides and additions, merged over the built-in registry",
    )

    @field_validator("display_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone such as 'Asia/Dushanbe' or 'UTC'") from None
        return value

    @property
    def reader_zone(self) -> ZoneInfo:
        return ZoneInfo(self.display_timezone)

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must start with sqlite:/// or postgresql+psycopg://")
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # init carries the TOML file's values; the environment overrides them.
        return (env_settings, init_settings)


def _config_path(path: str | Path | None) -> Path | None:
    if path is not None:
        return Path(path)
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    default = Path(DEFAULT_CONFIG_FILE)
    return default if default.exists() else None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"configuration file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None


def _describe(error: dict[str, Any]) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"{key}: unknown key"
    allowed = error.get("ctx", {}).get("expected")
    message = error["msg"].removeprefix("Value error, ")
    if allowed:
        message = f"must be one of {allowed}"
    return f"{key}: {message} (got {error.get('input')!r})"


def load_settings(path: str | Path | None = None, **overrides: Any) -> Settings:
    """Read the TOML file (if any), then the environment; raise ConfigError with readable lines."""
    config_path = _config_path(path)
    values: dict[str, Any] = _read_toml(config_path) if config_path else {}
    smtp = values.get("smtp", {})
    if isinstance(smtp, dict) and "password" in smtp:
        raise ConfigError(
            f"smtp.password must not be written in {config_path}: set {SECRET_ENV['smtp.password']} instead"
        )
    values.update(overrides)
    try:
        settings = Settings(**values)
    except ValidationError as exc:
        where = f" in {config_path} or NEWSWATCH_* variables" if config_path else " in NEWSWATCH_* variables"
        lines = "\n".join(f"  - {_describe(err)}" for err in exc.errors())  # type: ignore[arg-type]
        raise ConfigError(f"invalid configuration{where}:\n{lines}") from None
    password = os.environ.get(SECRET_ENV["smtp.password"])
    if password:
        settings.smtp.password = SecretStr(password)
    return settings
