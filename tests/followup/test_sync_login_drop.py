"""`followup sync` when the connection drops during LOGIN, against a real Dovecot.

A loopback proxy forwards to Dovecot and cuts the connection when it sees the client's
LOGIN: the line says the connection dropped and is retryable, never that the password
was refused. A real refusal through the same proxy still says to check the password.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from imap_helpers import invoke, write_config
from mailgen import make_message
from servers import (  # noqa: F401  (the fixtures dovecot_server, mail_user, private_dovecot)
    Dovecot,
    MailUser,
    dovecot_server_fixture,
    mail_user_fixture,
    private_dovecot_fixture,
)
from tcp_proxy import DroppingProxy

pytestmark = pytest.mark.server


def plain_table(port: int, user: MailUser, *, password: str | None = None, timeout: int = 2) -> str:
    """An account over plain loopback, so the proxy can read the LOGIN command."""
    return f"""
[[mail]]
name = "work"
kind = "imap"
host = "127.0.0.1"
port = {port}
security = "none"
allow_insecure = true
username = "{user.name}"
password_command = ["printf", "%s", "{password or user.password}"]
timeout = {timeout}
"""


@pytest.mark.parametrize(
    ("action", "reason"),
    [
        ("close", "closed by the server"),
        ("reset", "reset"),
        ("hang", "no answer within 2 s"),  # then "try again later (or raise timeout)"
    ],
)
def test_connection_dropped_during_login_is_retryable_not_a_password_problem(
    tmp_path: Path, dovecot_server: Dovecot, mail_user: MailUser, action: str, reason: str
) -> None:
    dovecot_server.append(mail_user, "INBOX", [make_message(1)])
    with DroppingProxy(dovecot_server.imap_port, trigger=b" LOGIN ", action=action) as proxy:  # type: ignore[arg-type]
        config = write_config(tmp_path, plain_table(proxy.port, mail_user))

        result = invoke(config, "sync")
        assert proxy.drops == 1

        assert result.exit_code == 1
        assert result.stderr.splitlines() == [
            f"Error: work: the connection to 127.0.0.1:{proxy.port} dropped during login "
            f"({reason}): try again later" + (" (or raise timeout)" if action == "hang" else "")
        ]
        assert "password" not in result.stderr

        (report,) = json.loads(invoke(config, "sync", "--json").output)
        assert report["ok"] is False
        assert report["retryable"] is True

        # The network comes back: the same account syncs.
        proxy.armed = False
        again = invoke(config, "sync")
        assert again.exit_code == 0, again.output
        assert again.stdout.startswith("work: 1 new messages")


def test_refused_login_through_the_same_proxy_blames_the_credentials(
    tmp_path: Path, private_dovecot: Dovecot
) -> None:
    user = private_dovecot.add_user()
    with DroppingProxy(private_dovecot.imap_port, trigger=b" LOGIN ") as proxy:
        proxy.armed = False
        # Dovecot delays its answer to a repeated failed login by seconds: a long timeout.
        config = write_config(tmp_path, plain_table(proxy.port, user, password="wrong", timeout=30))

        result = invoke(config, "sync")

        assert result.exit_code == 1
        assert result.stderr.splitlines() == [
            f"Error: work: 127.0.0.1 refused the login for {user.name}: check the username "
            "and the password (from password_command)"
        ]
        (report,) = json.loads(invoke(config, "sync", "--json").output)
        assert report["retryable"] is False, report
