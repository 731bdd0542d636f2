"""Mail settings as plain values.

``alerts`` must not import ``newswatch`` (imports flow one way), so the composition root turns the
``[smtp]`` and ``[alerts]`` sections of the settings into this dataclass and hands it in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Literal

Security = Literal["starttls", "ssl", "none"]


@dataclass(frozen=True, slots=True)
class MailConfig:
    """Everything the digest and delivery code needs to know about mail.

    With ``smtp_host`` unset, messages are written as ``.eml`` files under ``outbox_dir`` instead of
    being sent, which is what a laptop or a demo wants.
    """

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_security: Security = "starttls"
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    sender: str = "newswatch <newswatch@localhost>"
    smtp_timeout: float = 30.0
    outbox_dir: Path = Path("var/outbox")
    admin_email: str | None = None
    public_url: str | None = None
    alert_backfill: bool = False
    news_window_days: int | None = 7  # an article published longer ago is never mailed (None: no limit)
    max_attempts: int = 8
    retry_base_seconds: float = 30.0
    topic: str = "Tajikistan"

    @property
    def sender_address(self) -> str:
        """The bare address of ``sender`` (for the SMTP envelope and the mailto: unsubscribe link)."""
        return parseaddr(self.sender)[1] or "newswatch@localhost"

    @property
    def sender_domain(self) -> str:
        """Right-hand side of the sender address, used for Message-IDs and the List-Id."""
        return self.sender_address.rpartition("@")[2] or "localhost"

    @property
    def send_lease_seconds(self) -> float:
        """How long a row may stay ``sending`` before another run may assume its sender died.

        An SMTP transaction is a connect plus a handful of commands, each bounded by the timeout.
        """
        return self.smtp_timeout * 4 + 30
