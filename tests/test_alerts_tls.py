"""STARTTLS, implicit TLS and SMTP AUTH against aiosmtpd on loopback, with a throw-away certificate.

The client verifies the server certificate as in production (``ssl.create_default_context``); the
test trusts its own self-signed certificate through ``SSL_CERT_FILE``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from test_alerts_support import T0, LoopbackController, RecordingHandler, mail_config

from alerts.admin import queue_admin_alert
from alerts.jobs import deliver_outbox
from storage.db import session_scope

x509 = pytest.importorskip("cryptography.x509", reason="cryptography is needed to make a test certificate")


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"newswatch",
        b"s3cret",
    )
    return AuthResult(success=ok, handled=False)  # handled=False: let aiosmtpd reply 535 itself


@pytest.fixture
def tls(tmp_path, monkeypatch) -> ssl.SSLContext:  # type: ignore[no-untyped-def]
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def queue_one(factory) -> None:  # type: ignore[no-untyped-def]
    with session_scope(factory) as session:
        queue_admin_alert(
            session, to="ops@example.org", subject="source osce failing", body="3 failures", now=T0
        )


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_and_login(security: str, tls: ssl.SSLContext, sqlite_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from storage.db import make_engine, make_session_factory

    engine = make_engine(sqlite_url)
    factory = make_session_factory(engine)
    queue_one(factory)
    handler = RecordingHandler()
    options: dict[str, Any] = (
        {"tls_context": tls, "require_starttls": True, "auth_require_tls": True}
        if security == "starttls"
        else {"ssl_context": tls, "auth_require_tls": False}  # implicit TLS: aiosmtpd cannot tell, it is TLS
    )
    controller = LoopbackController(
        handler, hostname="127.0.0.1", port=0, authenticator=authenticator, **options
    )
    controller.start()
    try:
        wrong = mail_config(controller.port, tmp_path, smtp_security=security, smtp_user="newswatch",
                            smtp_password="wrong")  # fmt: skip
        report = deliver_outbox(factory, wrong, now=T0)
        assert (report.sent, report.retried) == (0, 1)
        assert report.errors[0].startswith("message 1: login failed: 535")
        right = mail_config(controller.port, tmp_path, smtp_security=security, smtp_user="newswatch",
                            smtp_password="s3cret")  # fmt: skip
        assert deliver_outbox(factory, right, now=T0 + dt.timedelta(days=1)).sent == 1
    finally:
        controller.stop()
        engine.dispose()
    assert [r.rcpt_tos for r in handler.received] == [["ops@example.org"]]


def test_an_untrusted_certificate_is_not_accepted(
    tls: ssl.SSLContext, sqlite_url: str, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from storage.db import make_engine, make_session_factory

    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "nothing-trusted.pem"))
    engine = make_engine(sqlite_url)
    factory = make_session_factory(engine)
    queue_one(factory)
    handler = RecordingHandler()
    controller = LoopbackController(
        handler, hostname="127.0.0.1", port=0, tls_context=tls, require_starttls=True
    )
    controller.start()
    try:
        report = deliver_outbox(
            factory, mail_config(controller.port, tmp_path, smtp_security="starttls"), now=T0
        )
    finally:
        controller.stop()
        engine.dispose()
    assert report.sent == 0 and report.retried == 1 and "CERTIFICATE_VERIFY_FAILED" in report.errors[0]
    assert handler.received == []
