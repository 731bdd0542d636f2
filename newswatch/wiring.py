"""Settings → the plain values the lower layers take (they never import ``newswatch``).

One converter per value, shared by every command that needs it.
"""

from __future__ import annotations

from alerts.config import MailConfig
from newswatch.config import Settings


def mail_config(settings: Settings) -> MailConfig:
    """The ``[smtp]`` and ``[alerts]`` sections as the plain value ``alerts`` takes."""
    smtp, alerts = settings.smtp, settings.alerts
    return MailConfig(
        smtp_host=smtp.host, smtp_port=smtp.port, smtp_security=smtp.security, smtp_user=smtp.user,
        smtp_password=smtp.password.get_secret_value() if smtp.password else None, sender=smtp.sender,
        smtp_timeout=smtp.timeout, outbox_dir=alerts.outbox_dir, admin_email=alerts.admin_email,
        public_url=alerts.public_url, alert_backfill=alerts.alert_backfill, max_attempts=alerts.max_attempts,
        retry_base_seconds=alerts.retry_base_seconds, news_window_days=alerts.news_window_days,
    )  # fmt: skip
