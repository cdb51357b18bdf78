"""Deletions mirrored, through the CLI: mail expunged on Dovecot or removed from a Maildir
or an mbox leaves the store at the next `followup sync`, and its nudge leaves the digest.
"""

from __future__ import annotations

import json
import mailbox
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from imap_helpers import imap_table, invoke, write_config
from mailgen import ME, make_message
from servers import (  # noqa: F401  (the fixtures dovecot_server and mail_user)
    Dovecot,
    MailUser,
    dovecot_server_fixture,
    mail_user_fixture,
)
from tcp_proxy import DroppingProxy

NOW = datetime(2026, 3, 17, 13, 30, tzinfo=UTC)
DANA = ("Dana Placeholder", "dana@example.net")
RAJ = ("Raj Sample", "raj@example.org")


def ask(n: int, sender: tuple[str, str], what: str) -> bytes:
    return make_message(
        n,
        sender=sender,
        to=ME,
        subject=f"About {what}",
        date=NOW - timedelta(days=6, hours=n),
        body=f"Hi Penny,\n\nCould you send me {what} by Thursday?\n\nThanks\n",
        message_id=f"{what.replace(' ', '-')}@example.net",
    )


QUESTIONS = [ask(1, DANA, "the Q3 numbers"), ask(2, RAJ, "the venue list")]


def replies(config: Path) -> list[str]:
    """Who the open reply nudges are for, from `followup digest --json`."""
    result = invoke(config, "digest", "--json", "--now", NOW.isoformat())
    assert result.exit_code == 0, result.output
    return sorted(n["person"]["email"] for n in json.loads(result.output) if n["kind"] == "reply")


def closed_keys(db: Path) -> list[str]:
    """Nudges the planner closed (the digest never lists them)."""
    with sqlite3.connect(db) as conn:
        return sorted(k for (k,) in conn.execute("SELECT key FROM nudge WHERE state = 'closed'"))


def stored(db: Path) -> dict[str, int]:
    """Rows left: messages, and the findings and participants of messages."""
    with sqlite3.connect(db) as conn:
        return {
            table: int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            for table in ("message", "finding", "participant")
        }


def folders(result_output: str) -> dict[str, dict[str, object]]:
    (report,) = json.loads(result_output)
    return {f["folder"]: f for f in report["folders"]}


def expunge(server: Dovecot, user: MailUser, message_id: str) -> None:
    with server.client(user) as client:
        client.select_folder("INBOX")
        uids = client.search(["HEADER", "Message-ID", f"<{message_id}>"])
        assert len(uids) == 1
        client.delete_messages(uids)
        client.expunge()


# -- IMAP ---------------------------------------------------------------------------------


@pytest.mark.server
def test_expunged_on_the_server_leaves_the_store_and_the_digest(
    tmp_path: Path, dovecot_server: Dovecot, mail_user: MailUser
) -> None:
    dovecot_server.append(mail_user, "INBOX", QUESTIONS)
    config = write_config(tmp_path, imap_table("work", dovecot_server, mail_user))
    assert invoke(config, "sync").exit_code == 0
    assert replies(config) == ["dana@example.net", "raj@example.org"]
    before = stored(tmp_path / "state.db")

    expunge(dovecot_server, mail_user, "the-Q3-numbers@example.net")
    result = invoke(config, "sync")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "work: 0 new messages, 1 gone — INBOX 0 new (1 gone), Sent 0 new"
    ]
    assert replies(config) == ["raj@example.org"]
    assert closed_keys(tmp_path / "state.db") == ["reply:the-Q3-numbers@example.net"]
    after = stored(tmp_path / "state.db")
    assert after["message"] == before["message"] - 1
    assert after["finding"] < before["finding"]
    assert after["participant"] == before["participant"] - 2  # Dana's from and to

    again = invoke(config, "sync", "--json")
    assert {f: v["gone"] for f, v in folders(again.output).items()} == {"INBOX": 0, "Sent": 0}


@pytest.mark.server
def test_a_connection_dropped_mid_listing_deletes_nothing(
    tmp_path: Path, dovecot_server: Dovecot, mail_user: MailUser
) -> None:
    dovecot_server.append(mail_user, "INBOX", QUESTIONS)
    with DroppingProxy(dovecot_server.imap_port, trigger=b"SEARCH ALL", reply_bytes=12) as proxy:
        table = f"""
[[mail]]
name = "work"
kind = "imap"
host = "127.0.0.1"
port = {proxy.port}
security = "none"
allow_insecure = true
username = "{mail_user.name}"
password_command = ["printf", "%s", "{mail_user.password}"]
timeout = 5
"""
        config = write_config(tmp_path, table)
        assert invoke(config, "sync").exit_code == 0
        assert replies(config) == ["dana@example.net", "raj@example.org"]
        expunge(dovecot_server, mail_user, "the-Q3-numbers@example.net")

        # The answer to UID SEARCH ALL is cut after "* SEARCH 1 2".
        cut = invoke(config, "sync")
        assert proxy.drops == 1
        assert cut.exit_code == 1
        (line,) = cut.stderr.splitlines()
        assert line.startswith(
            f"Error: work: the connection to 127.0.0.1:{proxy.port} dropped while reading INBOX"
        )
        assert stored(tmp_path / "state.db")["message"] == 2
        assert replies(config) == ["dana@example.net", "raj@example.org"]

        proxy.armed = False
        result = invoke(config, "sync", "--json")
        assert result.exit_code == 0, result.output
        assert folders(result.output)["INBOX"]["gone"] == 1
        assert replies(config) == ["raj@example.org"]


@pytest.mark.server
def test_uidvalidity_change_rebases_then_deletions_still_mirror(
    tmp_path: Path, dovecot_server: Dovecot, mail_user: MailUser
) -> None:
    dovecot_server.append(mail_user, "Projects", QUESTIONS)
    config = write_config(
        tmp_path, imap_table("work", dovecot_server, mail_user, folders=["INBOX", "Projects"])
    )
    assert invoke(config, "sync").exit_code == 0
    assert replies(config) == ["dana@example.net", "raj@example.org"]  # analysed: findings

    def rows() -> dict[str, tuple[int, str]]:
        with sqlite3.connect(tmp_path / "state.db") as conn:
            q = "SELECT message_id, id, uidvalidity FROM message WHERE folder = 'Projects'"
            return {mid: (pk, uv) for mid, pk, uv in conn.execute(q)}

    first = rows()
    with dovecot_server.client(mail_user) as client:  # the folder is recreated
        client.delete_folder("Projects")
    dovecot_server.append(mail_user, "Projects", [*QUESTIONS, make_message(9)])

    rebased = invoke(config, "sync", "--json")
    assert folders(rebased.output)["Projects"]["gone"] == 0
    second = rows()
    assert {m: pk for m, (pk, _) in second.items() if m in first} == {
        m: pk for m, (pk, _) in first.items()
    }  # the same rows, moved to the new UIDs: nothing deleted and read again
    assert len({uv for _, uv in second.values()}) == 1
    assert {uv for _, uv in second.values()} != {uv for _, uv in first.values()}
    assert stored(tmp_path / "state.db")["finding"] > 0

    with dovecot_server.client(mail_user) as client:
        client.select_folder("Projects")
        client.delete_messages(client.search(["HEADER", "Message-ID", "<the-venue-list@"]))
        client.expunge()
    result = invoke(config, "sync", "--json")
    assert folders(result.output)["Projects"]["gone"] == 1
    assert sorted(rows()) == ["msg9@example.com", "the-Q3-numbers@example.net"]
    assert replies(config) == ["dana@example.net"]


# -- files --------------------------------------------------------------------------------


def file_config(tmp_path: Path, kind: str, path: Path) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[me]
name = "Penny Example"
addresses = ["{ME[1]}"]
timezone = "UTC"

[storage]
url = "sqlite:///{tmp_path / "state.db"}"

[nlp]
pipeline = "rules"

[[mail]]
name = "local"
kind = "{kind}"
path = "{path}"
"""
    )
    return config


def test_a_maildir_file_removed_leaves_the_store_and_the_digest(tmp_path: Path) -> None:
    inbox = mailbox.Maildir(tmp_path / "Mail", create=True)
    keys = [inbox.add(raw) for raw in QUESTIONS]
    config = file_config(tmp_path, "maildir", tmp_path / "Mail")
    assert invoke(config, "sync").exit_code == 0
    assert replies(config) == ["dana@example.net", "raj@example.org"]

    inbox.remove(keys[0])  # Dana's question: the file is unlinked, as a mail client does
    result = invoke(config, "sync", "--json")

    assert result.exit_code == 0, result.output
    assert folders(result.output)["INBOX"]["gone"] == 1
    assert replies(config) == ["raj@example.org"]
    assert closed_keys(tmp_path / "state.db") == ["reply:the-Q3-numbers@example.net"]
    assert stored(tmp_path / "state.db")["message"] == 1


def test_a_message_removed_from_an_mbox_leaves_the_store_and_the_digest(tmp_path: Path) -> None:
    path = tmp_path / "inbox.mbox"
    box = mailbox.mbox(path)
    keys = [box.add(raw) for raw in QUESTIONS]
    box.close()
    config = file_config(tmp_path, "mbox", path)
    assert invoke(config, "sync").exit_code == 0
    assert replies(config) == ["dana@example.net", "raj@example.org"]

    box = mailbox.mbox(path)
    box.lock()
    box.remove(keys[1])  # Raj's: the file is rewritten without it
    box.close()
    result = invoke(config, "sync")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["local: 0 new messages, 1 gone — inbox 0 new (1 gone)"]
    assert replies(config) == ["dana@example.net"]
    assert stored(tmp_path / "state.db")["message"] == 1
