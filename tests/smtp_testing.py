"""A real SMTP server on 127.0.0.1 for the digest tests (aiosmtpd in a thread)."""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "penny@example.com", "s3cret-pw"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 made with the openssl CLI; (cert, key)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        reason = "openssl not found: install the Debian package openssl"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@dataclass
class Recorder:
    """aiosmtpd handler keeping every delivered message; can refuse recipients."""

    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    data_reply: str = "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply.startswith("250"):
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return self.data_reply

    def parsed(self, i: int = -1) -> EmailMessage:
        msg = email.message_from_bytes(self.messages[i][2], policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


def _authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = (
        isinstance(data, LoginPassword)
        and data.login.decode() == USER
        and data.password.decode() == PASSWORD
    )
    return AuthResult(success=ok, handled=False)


@dataclass(frozen=True)
class Settings:
    """Stands in for followup.config.SmtpSettings (same attribute names)."""

    host: str = "127.0.0.1"
    port: int = 0
    security: str = "none"
    username: str = ""
    password_command: str | None = None
    password_env: str | None = None
    password_keyring: bool | str | None = None
    allow_insecure: bool = True
    timeout: float = 10.0


@contextmanager
def smtp_server(
    mode: str, tmp: Path, recorder: Recorder | None = None
) -> Iterator[tuple[Recorder, Settings, ssl.SSLContext | None]]:
    """Start aiosmtpd in ``mode`` ("none", "starttls" with AUTH, "ssl" with AUTH).

    Yields the recorder, matching settings and a client context that trusts the cert.
    """
    recorder = recorder or Recorder()
    port = free_port()
    kwargs: dict[str, Any] = {}
    client_ctx: ssl.SSLContext | None = None
    if mode in ("starttls", "ssl"):
        cert, key = self_signed_cert(tmp)
        server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_ctx.load_cert_chain(cert, key)
        client_ctx = ssl.create_default_context(cafile=str(cert))
        kwargs.update(authenticator=_authenticator, auth_required=True)
        if mode == "starttls":
            kwargs.update(tls_context=server_ctx, require_starttls=True, auth_require_tls=True)
        else:
            # aiosmtpd does not count implicit TLS as TLS for AUTH, so AUTH is offered
            # without requiring it; the socket is TLS all the same.
            kwargs.update(ssl_context=server_ctx, auth_require_tls=False, auth_required=False)
    controller = Controller(recorder, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        settings = Settings(
            port=port,
            security=mode,
            username=USER if mode != "none" else "",
            allow_insecure=mode == "none",
        )
        yield recorder, settings, client_ctx
    finally:
        controller.stop()
