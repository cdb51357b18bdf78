"""ImapMailSource failures against a real Dovecot: each is one clear, typed error."""

from __future__ import annotations

import socket
import ssl
from typing import ClassVar

import imapclient
import pytest
from imap_helpers import make_source, records, run_sync
from mailgen import make_message
from servers import Dovecot, MailUser, private_dovecot_fixture  # noqa: F401  (a fixture)

from connectors.errors import AuthError, ConnectorError

pytestmark = pytest.mark.server


class TlsRecordingClient(imapclient.IMAPClient):
    """Records whether the connection was encrypted when the source logged out."""

    encrypted: ClassVar[list[bool]] = []

    def logout(self):  # type: ignore[no-untyped-def]
        TlsRecordingClient.encrypted.append(isinstance(self.socket(), ssl.SSLSocket))
        return super().logout()


def test_wrong_password_is_an_auth_error(private_dovecot: Dovecot) -> None:
    # A private server: Dovecot delays every login from an IP after a failed one.
    mail_user = private_dovecot.add_user()
    source = make_source(private_dovecot, mail_user, password_command="echo not-the-password")
    with pytest.raises(AuthError) as info:
        list(source.sync({}))
    assert str(info.value) == (
        f"work: 127.0.0.1 refused the login for {mail_user.name}: check the username and "
        "the password (from password_command)"
    )
    assert not info.value.retryable


def test_server_stopped_mid_sync_is_retryable_and_resumes(private_dovecot: Dovecot) -> None:
    user = private_dovecot.add_user()
    private_dovecot.deliver(user, "INBOX", [make_message(i) for i in range(300)])
    source = make_source(private_dovecot, user, batch_size=50)

    batches = source.sync({})
    got = [next(batches)]
    private_dovecot.stop()
    with pytest.raises(ConnectorError) as info:
        # The batch fetched ahead before the stop may still come through.
        got.extend(batches)
    assert len(got) in (1, 2)
    assert info.value.retryable
    assert str(info.value).startswith(
        f"work: the connection to 127.0.0.1:{private_dovecot.imap_port} dropped while reading INBOX"
    )
    assert "the next run resumes after the last saved batch" in str(info.value)
    first = got[-1]

    # While the server is down: refused, retryable, says what to check.
    with pytest.raises(ConnectorError) as down:
        list(source.sync({"INBOX": first.checkpoint}))
    assert down.value.retryable
    assert "refused the connection: check host and port" in str(down.value)

    private_dovecot.start(same_ports=True)
    rest, _ = run_sync(source, {"INBOX": first.checkpoint})
    uids = [int(r.uid) for r in records(got)] + [int(r.uid) for r in records(rest, "INBOX")]
    assert uids == list(range(1, 301))


def test_silent_server_times_out(dovecot_server: Dovecot, mail_user: MailUser) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    try:
        # The kernel completes the TCP handshake; nobody ever sends a greeting.
        source = make_source(dovecot_server, mail_user, port=port, timeout=0.3)
        with pytest.raises(ConnectorError) as info:
            list(source.sync({}))
        assert info.value.retryable
        assert str(info.value) == (
            f"work: 127.0.0.1:{port} did not answer within 0.3 s while connecting: "
            "try again later (or raise timeout)"
        )
    finally:
        listener.close()


def test_implicit_tls_with_the_test_ca(dovecot_server: Dovecot, mail_user: MailUser) -> None:
    dovecot_server.append(mail_user, "INBOX", [make_message(1)])
    TlsRecordingClient.encrypted.clear()
    source = make_source(
        dovecot_server,
        mail_user,
        security="ssl",
        port=dovecot_server.imaps_port,
        ca_file=str(dovecot_server.cert),
    )
    source._client_factory = TlsRecordingClient
    batches, _ = run_sync(source)
    assert [r.message_id for r in records(batches)] == ["msg1@example.com"]
    assert TlsRecordingClient.encrypted == [True]


def test_starttls_upgrades_the_plain_port(dovecot_server: Dovecot, mail_user: MailUser) -> None:
    dovecot_server.append(mail_user, "INBOX", [make_message(1)])
    TlsRecordingClient.encrypted.clear()
    source = make_source(
        dovecot_server, mail_user, security="starttls", ca_file=str(dovecot_server.cert)
    )
    source._client_factory = TlsRecordingClient
    batches, _ = run_sync(source)
    assert len(records(batches)) == 1
    assert TlsRecordingClient.encrypted == [True]


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_untrusted_certificate_is_rejected(
    dovecot_server: Dovecot, mail_user: MailUser, security: str
) -> None:
    port = dovecot_server.imaps_port if security == "ssl" else dovecot_server.imap_port
    source = make_source(dovecot_server, mail_user, security=security, port=port)
    with pytest.raises(ConnectorError) as info:
        list(source.sync({}))
    message = str(info.value)
    assert message.startswith("work: the TLS certificate of 127.0.0.1 is not trusted (")
    assert message.endswith("if the server uses a private CA, set ca_file to its certificate")
    assert not info.value.retryable
    assert not isinstance(info.value, AuthError)


def test_plain_tls_port_mismatch_is_explained(dovecot_server: Dovecot, mail_user: MailUser) -> None:
    # Implicit TLS spoken to the plain port: the handshake fails.
    source = make_source(
        dovecot_server,
        mail_user,
        security="ssl",
        port=dovecot_server.imap_port,
        ca_file=str(dovecot_server.cert),
        timeout=3,
    )
    with pytest.raises(ConnectorError) as info:
        list(source.sync({}))
    assert str(info.value).startswith(
        f"work: TLS with 127.0.0.1:{dovecot_server.imap_port} failed ("
    )
    assert str(info.value).endswith('check security ("ssl" for port 993, "starttls" for 143)')
