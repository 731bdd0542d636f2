"""Configuration: TOML file plus NEWSWATCH_* variables, secrets only from the environment, readable errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from newswatch.cli import cli
from newswatch.config import ConfigError, CrawlSettings, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("NEWSWATCH_"):
            monkeypatch.delenv(key)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "newswatch.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.database_url == "sqlite:///./var/newswatch.db"
    assert settings.scheduler.crawl_interval_minutes == 30
    assert settings.smtp.host is None


def test_file_values_and_environment_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, '[scheduler]\ncrawl_interval_minutes = 45\n[smtp]\nhost = "mail.example.org"\n')
    monkeypatch.setenv("NEWSWATCH_SMTP__HOST", "relay.example.org")
    monkeypatch.setenv("NEWSWATCH_DATABASE_URL", "postgresql://me@db/newswatch")
    settings = load_settings(path)
    assert settings.scheduler.crawl_interval_minutes == 45
    assert settings.smtp.host == "relay.example.org"
    assert settings.database_url == "postgresql+psycopg://me@db/newswatch"


def test_secret_comes_only_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="NEWSWATCH_SMTP_PASSWORD"):
        load_settings(write(tmp_path, '[smtp]\npassword = "hunter2"\n'))
    monkeypatch.setenv("NEWSWATCH_SMTP_PASSWORD", "s3cret")
    settings = load_settings(write(tmp_path, '[smtp]\nhost = "mail"\n'))
    assert settings.smtp.password is not None and settings.smtp.password.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[smtp]\nsecurity = 'tls'\n", "smtp.security: must be one of 'starttls', 'ssl' or 'none'"),
        ("[scheduler]\ncrawl_interval_minutes = 0\n", "scheduler.crawl_interval_minutes"),
        ("[scheduler]\ndaily_digest_time = '25:00'\n", "scheduler.daily_digest_time"),
        ("[crawl]\nspeed = 3\n", "crawl.speed: unknown key"),
        ("database_url = 'mysql://x'\n", "database_url"),
        ("[smtp\nhost=1", "is not valid TOML"),
    ],
)
def test_bad_values_name_the_key_and_what_is_allowed(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text))
    assert expected in str(info.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[smtp]\nsender = "newswatch <a@example.org>\\r\\nBcc: all@example.org"\n',
            "smtp.sender: must be one line",
        ),
        ('[smtp]\nsender = "newswatch"\n', "smtp.sender: must be a mail address like"),
        ('[alerts]\nadmin_email = "root@example.org\\n"\n', "alerts.admin_email: must be one line"),
        ('[alerts]\nadmin_email = "nobody at example.org"\n', "alerts.admin_email: must be a mail address"),
        ('[alerts]\npublic_url = "javascript:alert(1)"\n', "alerts.public_url: must be an http(s) URL"),
        ('[crawl]\ncontact = "me@example.org\\r\\nX-Evil: 1"\n', "crawl.contact: must be one line"),
        ('[crawl]\nuser_agent = "bot\\n"\n', "crawl.user_agent: must be one line"),
        ('[smtp]\nhost = "mail\\r\\n"\n', "smtp.host: must be one line"),
    ],
)
def test_header_bound_settings_are_checked_at_load(tmp_path: Path, text: str, expected: str) -> None:
    """A CR/LF in a sender used to pass here and then fail inside every digest job."""
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text))
    assert expected in str(info.value)


def test_sender_with_a_display_name_and_a_local_domain_is_fine(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, '[smtp]\nsender = "newswatch demo <newswatch@localhost>"\n'))
    assert settings.smtp.sender == "newswatch demo <newswatch@localhost>"


def test_sender_with_cr_lf_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSWATCH_SMTP__SENDER", "a@example.org\r\nBcc: x@example.org")
    with pytest.raises(ConfigError, match="smtp.sender: must be one line"):
        load_settings(None)


def test_cli_reports_bad_config_without_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, "[web]\nport = 'eighty'\n")
    result = CliRunner().invoke(cli, ["--config", str(path), "db", "upgrade"])
    assert result.exit_code != 0
    assert "web.port" in result.output and "Traceback" not in result.output


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_example_file_loads_and_lists_every_key() -> None:
    from newswatch.config import Settings

    example = Path(__file__).resolve().parents[1] / "newswatch.example.toml"
    load_settings(example)
    text = example.read_text(encoding="utf-8")
    for name, field in Settings.model_fields.items():
        assert name in text, f"{name} missing from newswatch.example.toml"
        section = getattr(field.annotation, "model_fields", {})
        for key in section:
            if key != "password":
                assert key in text, f"{name}.{key} missing from newswatch.example.toml"


def test_crawl_defaults_are_the_crawlers_own() -> None:
    """One User-Agent and one set of politeness defaults: newswatch.toml's [crawl] starts from crawler/settings.py."""
    from crawler import settings as crawl_defaults

    overlaid = crawl_defaults.overlay(CrawlSettings().model_dump())
    assert overlaid["USER_AGENT"] == crawl_defaults.USER_AGENT
    for key, setting in crawl_defaults.CRAWL_OPTION_SETTINGS.items():
        assert overlaid[setting] == getattr(crawl_defaults, setting), key
