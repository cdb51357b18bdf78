"""The digest saved to IMAP exactly once when the server's OK to the APPEND is lost.

A proxy between followup and the real Dovecot closes the connection right after the
server's tagged OK to the APPEND: the message is stored, the client saw only a dead
connection. The retry (in the same run, or the next run) searches the folder for the
digest's Message-ID before appending again.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from imap_helpers import invoke, write_config
from imap_proxy import ImapProxy, imap_proxy
from mailgen import ME
from servers import (  # noqa: F401  (the fixtures dovecot_server and mail_user)
    Dovecot,
    MailUser,
    dovecot_server_fixture,
    mail_user_fixture,
)

pytestmark = pytest.mark.server

DIGEST = f'[digest]\nto = "{ME[1]}"\nat = "07:00"\nsend_empty = true\nimap_account = "work"\n'


def config_through(tmp_path: Path, proxy: ImapProxy, user: MailUser) -> Path:
    table = "\n".join(
        [
            "[[mail]]",
            'name = "work"',
            'kind = "imap"',
            'host = "127.0.0.1"',
            f"port = {proxy.port}",
            'security = "none"',
            "allow_insecure = true",
            f'username = "{user.name}"',
            f'password_command = ["printf", "%s", "{user.password}"]',
            "timeout = 10",
            "",
        ]
    )
    return write_config(tmp_path, table, DIGEST)


def digests(server: Dovecot, user: MailUser) -> list[str]:
    with server.client(user) as client:
        client.select_folder("INBOX", readonly=True)
        uids = client.search(["HEADER", "X-Followup-Digest", "2026-03-17"])
        got = client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]) if uids else {}
    return [v[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode().strip() for v in got.values()]


def test_a_lost_ok_is_resolved_by_the_retry_in_the_same_run(
    tmp_path: Path, dovecot_server: Dovecot, mail_user: MailUser
) -> None:
    with imap_proxy(dovecot_server.host, dovecot_server.imap_port, drop_appends=1) as proxy:
        config = config_through(tmp_path, proxy, mail_user)
        run = invoke(config, "run", "--json", "--now", "2026-03-17T07:30:00+00:00")
        assert run.exit_code == 0, run.output + run.stderr
        assert proxy.dropped == 1
        digest = json.loads(run.stdout)["digest"]
        assert (digest["sent"], digest["reason"]) == (True, "saved")
        again = invoke(config, "run", "--json", "--now", "2026-03-17T09:30:00+00:00")
        assert json.loads(again.stdout)["digest"]["reason"] == "already sent today"
    assert digests(dovecot_server, mail_user) == [
        f"Message-ID: <{digest['message_id'].strip('<>')}>"
    ]


def test_a_lost_ok_and_a_dead_retry_are_resolved_by_the_next_run(
    tmp_path: Path, dovecot_server: Dovecot, mail_user: MailUser
) -> None:
    with imap_proxy(
        dovecot_server.host, dovecot_server.imap_port, drop_appends=1, refuse_after_drop=True
    ) as proxy:
        config = config_through(tmp_path, proxy, mail_user)
        first = invoke(config, "run", "--json", "--now", "2026-03-17T07:30:00+00:00")
        assert first.exit_code == 1, first.output + first.stderr
        assert proxy.dropped == 1
        assert json.loads(first.stdout)["digest"]["reason"] == "failed"
        assert "Error: digest not sent: work:" in first.stderr
        assert len(digests(dovecot_server, mail_user)) == 1  # stored all the same
        proxy.reset()
        rerun = invoke(config, "run", "--json", "--now", "2026-03-17T07:45:00+00:00")
        assert rerun.exit_code == 0, rerun.output + rerun.stderr
        assert json.loads(rerun.stdout)["digest"]["reason"] == "saved"
    assert len(digests(dovecot_server, mail_user)) == 1
