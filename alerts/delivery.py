"""Working through the outbox: SMTP delivery (or .eml files when no SMTP host is configured).

Failures are sorted by what a retry could change. A 5xx reply to one message (recipient or content
refused) fails that message with the server's words and the sender moves on. Everything else — a
refused connection, a timeout, a 4xx reply, a failed login — is transient: the message is retried
with exponential backoff until ``max_attempts``. When the connection itself is the problem the run
stops early, since the remaining messages would only fail the same way.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import re
import smtplib
import ssl
import tempfile
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from alerts import outbox
from alerts.config import MailConfig
from alerts.headers import MAIL_POLICY
from storage import subscriptions
from storage.db import Session, SessionFactory, session_scope
from storage.types import utcnow

log = logging.getLogger(__name__)
WITHHELD = "not sent: the subscription was paused or unsubscribed after this digest was queued"


@dataclass(slots=True)
class DeliveryReport:
    """What one pass over the outbox did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    withheld: int = 0  # digests whose subscription was paused or unsubscribed after they were queued
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class SendError(Exception):
    """A delivery attempt that did not work; ``permanent`` means retrying cannot help."""

    def __init__(self, reason: str, *, permanent: bool, connection_lost: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.connection_lost = connection_lost


class Transport(Protocol):
    def send(self, sender: str, recipient: str, payload: bytes, message_id: str) -> None: ...

    def close(self) -> None: ...


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(words.split())}".strip()


def classify(exc: BaseException) -> SendError:
    """Turn whatever smtplib or the network raised into a SendError with a readable reason."""
    if isinstance(exc, SendError):
        return exc
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()), (450, b"recipient refused"))
        return SendError(f"recipient refused: {_reply(code, text)}", permanent=code >= 500)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return SendError(f"login failed: {_reply(exc.smtp_code, exc.smtp_error)}", permanent=False,
                         connection_lost=True)  # fmt: skip
    if isinstance(exc, smtplib.SMTPConnectError | smtplib.SMTPHeloError):
        return SendError(f"server refused the session: {_reply(exc.smtp_code, exc.smtp_error)}",
                         permanent=False, connection_lost=True)  # fmt: skip
    if isinstance(exc, smtplib.SMTPSenderRefused | smtplib.SMTPDataError):
        what = "sender refused" if isinstance(exc, smtplib.SMTPSenderRefused) else "message refused"
        return SendError(f"{what}: {_reply(exc.smtp_code, exc.smtp_error)}", permanent=exc.smtp_code >= 500)
    if isinstance(exc, smtplib.SMTPResponseException):
        return SendError(_reply(exc.smtp_code, exc.smtp_error), permanent=False, connection_lost=True)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return SendError(f"server disconnected: {exc}", permanent=False, connection_lost=True)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return SendError(f"server does not support it: {exc}", permanent=False, connection_lost=True)
    if isinstance(exc, TimeoutError):
        return SendError("timed out talking to the SMTP server", permanent=False, connection_lost=True)
    if isinstance(exc, OSError):
        return SendError(f"cannot reach the SMTP server: {exc.strerror or exc}", permanent=False,
                         connection_lost=True)  # fmt: skip
    return SendError(f"{exc.__class__.__name__}: {exc}", permanent=False, connection_lost=True)


class SmtpTransport:
    """One SMTP session reused for a whole run; opened on the first message."""

    def __init__(self, mail: MailConfig) -> None:
        self.mail = mail
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        mail = self.mail
        assert mail.smtp_host
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if mail.smtp_security == "ssl":
            smtp = smtplib.SMTP_SSL(
                mail.smtp_host, mail.smtp_port, timeout=mail.smtp_timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(mail.smtp_host, mail.smtp_port, timeout=mail.smtp_timeout)
        try:
            smtp.ehlo_or_helo_if_needed()
            if mail.smtp_security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if mail.smtp_user:
                smtp.login(mail.smtp_user, mail.smtp_password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, sender: str, recipient: str, payload: bytes, message_id: str) -> None:
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            self._smtp.sendmail(sender, [recipient], payload)
        except (
            Exception
        ) as exc:  # not BaseException: Ctrl-C / SystemExit must stop us (the lease recovers the row)
            error = classify(exc)
            if error.connection_lost:
                self.close()
            raise error from exc

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None


class EmlTransport:
    """Writes each message to ``<outbox_dir>/<message-id>.eml``; rewriting the same file is harmless."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def path_for(self, message_id: str) -> Path:
        name = re.sub(r"[^A-Za-z0-9._@-]", "_", message_id.strip("<> ")) or "message"
        return self.directory / f"{name[:200]}.eml"

    def send(self, sender: str, recipient: str, payload: bytes, message_id: str) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            target = self.path_for(message_id)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".eml")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(payload)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise SendError(f"cannot write to {self.directory}: {exc.strerror or exc}", permanent=False,
                            connection_lost=True) from exc  # fmt: skip

    def close(self) -> None:
        return None


def transport_for(mail: MailConfig) -> Transport:
    return SmtpTransport(mail) if mail.smtp_host else EmlTransport(mail.outbox_dir)


def _unsubscribed(session: Session, subscription_id: int | None) -> bool:
    """True when a digest's subscription was paused or unsubscribed after the digest was queued.

    A deleted subscription (id set to NULL) is not withheld: removal is an operator's action, and
    what was queued before it is still delivered.
    """
    return subscriptions.is_paused(session, subscription_id)


def with_sender(payload: bytes, sender: str) -> bytes:
    """Add a From header to a stored message that was queued without one (e.g. an admin alert)."""
    head, sep, _ = payload.partition(b"\r\n\r\n")
    if re.search(rb"(?im)^from:", head):
        return payload
    header = EmailMessage(policy=MAIL_POLICY)
    header["From"] = sender
    return header.as_bytes().split(b"\r\n\r\n", 1)[0] + b"\r\n" + payload if sep else payload


def deliver_due(
    session_factory: SessionFactory,
    mail: MailConfig,
    *,
    now: dt.datetime | None = None,
    transport: Transport | None = None,
    rng: random.Random | None = None,
    limit: int = 500,
) -> DeliveryReport:
    """Send every due outbox row once; see the module docstring for how failures are handled."""
    now = now or utcnow()
    report = DeliveryReport()
    transport = transport or transport_for(mail)
    with session_scope(session_factory) as session:
        ids = outbox.due_ids(session, now, limit)
    try:
        for outbox_id in ids:
            with session_scope(session_factory) as session:
                row = outbox.claim(session, outbox_id, now, mail.send_lease_seconds)
                if row is None:
                    continue
                recipient, message_id, attempts = row.recipient, row.message_id, row.attempts
                payload = with_sender(row.payload, mail.sender)
                if row.kind == "digest" and _unsubscribed(session, row.subscription_id):
                    outbox.mark_failed(session, outbox_id, WITHHELD)
                    report.withheld += 1
                    continue
            try:
                transport.send(mail.sender_address, recipient, payload, message_id)
            except SendError as error:
                _record_failure(session_factory, mail, outbox_id, attempts, error, now, report, rng)
                if error.connection_lost:
                    break
                continue
            with session_scope(session_factory) as session:
                outbox.mark_sent(session, outbox_id, now)
            report.sent += 1
    finally:
        transport.close()
    return report


def _record_failure(
    session_factory: SessionFactory,
    mail: MailConfig,
    outbox_id: int,
    attempts: int,
    error: SendError,
    now: dt.datetime,
    report: DeliveryReport,
    rng: random.Random | None,
) -> None:
    with session_scope(session_factory) as session:
        if error.permanent or attempts >= mail.max_attempts:
            reason = error.reason if error.permanent else f"gave up after {attempts} attempts: {error.reason}"
            outbox.mark_failed(session, outbox_id, reason)
            report.failed += 1
            log.warning("outbox message %s failed: %s", outbox_id, reason)
        else:
            delay = outbox.backoff_seconds(attempts, mail.retry_base_seconds, rng)
            outbox.mark_retry(session, outbox_id, error.reason, now + dt.timedelta(seconds=delay))
            report.retried += 1
            log.info("outbox message %s will be retried in %.0fs: %s", outbox_id, delay, error.reason)
    report.errors.append(f"message {outbox_id}: {error.reason}")
