"""`followup sync` reads IMAP in a child process: its failures, against a real Dovecot.

The connection cut mid-sync, the child killed, the parent killed, a refused password:
each ends in one clear line (or no orphan), and the next sync continues from the last
stored batch with nothing lost or stored twice. The password travels on the child's
stdin, never in its command line or environment.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from imap_helpers import imap_table, invoke, write_config
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

CHILD_MODULE = b"followup.source_child"


def stored(db: Path) -> tuple[int, int]:
    """(messages stored, distinct Message-IDs among them); (0, 0) before migration."""
    try:
        # Read-only: never create the file (with other permissions than followup's).
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            row = conn.execute("SELECT count(*), count(DISTINCT message_id) FROM message")
            n, distinct = row.fetchone()
            return int(n), int(distinct)
    except sqlite3.OperationalError:
        return 0, 0


def readers_of(parent: int) -> list[int]:
    """The mail reader processes whose parent is ``parent``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent and CHILD_MODULE in cmdline:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def sync_process(config: Path) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "followup", "--config", str(config), "sync"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(db: Path, at_least: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while stored(db)[0] < at_least and time.monotonic() < deadline:
        assert proc.poll() is None, "sync finished before the fault"
        time.sleep(0.005)


def plain_table(port: int, user: MailUser, **extra: object) -> str:
    lines = [
        "[[mail]]",
        'name = "work"',
        'kind = "imap"',
        'host = "127.0.0.1"',
        f"port = {port}",
        'security = "none"',
        "allow_insecure = true",
        f'username = "{user.name}"',
        f'password_command = ["printf", "%s", "{user.password}"]',
        "timeout = 5",
        *(f"{k} = {v}" for k, v in extra.items()),
    ]
    return "\n".join(lines) + "\n"


def test_a_connection_cut_mid_sync_then_the_next_sync_loses_and_doubles_nothing(
    tmp_path: Path, dovecot_server: Dovecot, mail_user: MailUser
) -> None:
    total = 120
    secret_text = "SECRET-BODY-LINE"
    dovecot_server.deliver(
        mail_user, "INBOX", (make_message(i, body=f"{secret_text} {i}") for i in range(total))
    )
    # The FETCH of UIDs 61.. is answered for 300 bytes, then the connection closes.
    with DroppingProxy(
        dovecot_server.imap_port, trigger=b"UID FETCH 61,", reply_bytes=300
    ) as proxy:
        config = write_config(tmp_path, plain_table(proxy.port, mail_user, batch_size=20))

        cut = invoke(config, "sync")
        assert proxy.drops == 1
        assert cut.exit_code == 1
        assert cut.stderr.splitlines() == [
            f"Error: work: the connection to 127.0.0.1:{proxy.port} dropped while reading "
            "INBOX (closed by the server): try again; the next run resumes after the last "
            "saved batch"
        ]
        n, _ = stored(tmp_path / "state.db")
        assert 0 < n < total

        proxy.armed = False
        again = invoke(config, "sync")
        assert again.exit_code == 0, again.stderr
        assert stored(tmp_path / "state.db") == (total, total)


def reading(
    tmp_path: Path, server: Dovecot, user: MailUser, total: int
) -> tuple[Path, Path, subprocess.Popen[str], int]:
    """``total`` messages in INBOX and a `followup sync` of them under way, its first
    batch stored: (config, store, the sync's process, its reader's pid)."""
    server.deliver(user, "INBOX", (make_message(i) for i in range(total)))
    config = write_config(tmp_path, imap_table("work", server, user, batch_size=10))
    db = tmp_path / "state.db"
    proc = sync_process(config)
    wait_for(db, 1, proc)
    (reader,) = readers_of(proc.pid)
    return config, db, proc, reader


def test_a_killed_reader_is_one_line_and_the_next_sync_continues(
    tmp_path: Path, dovecot_server: Dovecot, mail_user: MailUser
) -> None:
    # Enough mail that the kill lands mid-sync even when this process is starved of CPU
    # for a while (with 1,000, a CI run once stored them all before the kill).
    total = 4000
    config, db, proc, reader = reading(tmp_path, dovecot_server, mail_user, total)
    try:
        os.kill(reader, signal.SIGKILL)
        _out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 1
    assert err.splitlines() == [
        "Error: work: the mail reader process was killed (signal 9) before the sync "
        "finished: try again; the next run resumes after the last saved batch"
    ]
    n, distinct = stored(db)
    assert 0 < n < total and n == distinct

    again = invoke(config, "sync")
    assert again.exit_code == 0, again.stderr
    assert stored(db) == (total, total)


def test_a_killed_parent_leaves_no_reader_behind(
    tmp_path: Path, dovecot_server: Dovecot, mail_user: MailUser
) -> None:
    total = 1000
    config, db, proc, reader = reading(tmp_path, dovecot_server, mail_user, total)
    try:
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    deadline = time.monotonic() + 10
    while alive(reader) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not alive(reader), "the mail reader outlived its sync"

    again = invoke(config, "sync")
    assert again.exit_code == 0, again.stderr
    assert stored(db) == (total, total)


def test_a_refused_password_is_the_same_one_line(tmp_path: Path, private_dovecot: Dovecot) -> None:
    user = private_dovecot.add_user()
    private_dovecot.append(user, "INBOX", [make_message(1)])
    config = write_config(tmp_path, imap_table("work", private_dovecot, user, password="wrong"))

    result = invoke(config, "sync")

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: work: 127.0.0.1 refused the login for {user.name}: check the username "
        "and the password (from password_command)"
    ]


def test_the_password_reaches_the_reader_on_stdin_only(
    tmp_path: Path, dovecot_server: Dovecot, mail_user: MailUser
) -> None:
    dovecot_server.append(mail_user, "INBOX", [make_message(1)])
    # The password command, run by the reader, records what its parent (the reader)
    # was started with, then prints the password from a file.
    seen = tmp_path / "reader-seen"
    secret_file = tmp_path / "secret"
    secret_file.write_text(mail_user.password)
    script = tmp_path / "password.sh"
    script.write_text(
        f'#!/bin/sh\ncat /proc/$PPID/cmdline /proc/$PPID/environ > "{seen}"\ncat "{secret_file}"\n'
    )
    script.chmod(0o700)
    table = imap_table("work", dovecot_server, mail_user).replace(
        f'password_command = ["printf", "%s", "{mail_user.password}"]',
        f'password_command = ["{script}"]',
    )
    config = write_config(tmp_path, table)

    result = subprocess.run(
        [sys.executable, "-m", "followup", "-v", "-v", "--config", str(config), "sync"],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert "work: 1 new messages" in result.stdout
    recorded = seen.read_bytes()
    assert CHILD_MODULE in recorded  # it ran in the reader
    assert mail_user.password.encode() not in recorded
    assert mail_user.password not in result.stdout + result.stderr


def test_a_batch_crosses_the_pipe_unchanged() -> None:
    import io
    from datetime import UTC, datetime

    from connectors.records import Address, MailBatch, MailRecord, Skipped
    from followup.child_pipes import frame, read_frame
    from followup.source_child import _pickle_as_fields

    record = MailRecord(
        source="work",
        folder="INBOX",
        role="inbox",
        uid="7",
        message_id="<a@example.com>",
        subject="Re: numbers",
        sender=Address("Dana Lee", "dana@example.net"),
        date=datetime(2026, 3, 1, 9, tzinfo=UTC),
        to=(Address("", "penny@example.com"),),
        cc=(Address("Raj", "raj@example.org"),),
        in_reply_to="<b@example.com>",
        references=("<b@example.com>",),
        excerpt="Yes.\n\nOn Monday Dana wrote:",
        attachments=("q3.pdf",),
        automated=None,
        size=1234,
        uidvalidity="9",
        labels=("Work",),
    )
    batch = MailBatch(
        folder="INBOX",
        role="inbox",
        records=(record,),
        skipped=(Skipped("INBOX", "8", "unreadable header"),),
        checkpoint='{"last_uid": 8}',
        seen=2,
    )
    _pickle_as_fields()

    assert read_frame(io.BytesIO(frame(("batch", batch)))) == ("batch", batch)
    assert read_frame(io.BytesIO(frame(batch)[:-1])) is None  # a cut-off frame ends
