"""`followup sync` and `followup doctor` against a real Dovecot, end to end.

Crash safety is tested for real: a `python -m followup sync` subprocess is killed with
SIGKILL mid-sync, rerun, and the store must equal the store of an uninterrupted sync.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from imap_helpers import imap_table, invoke, write_config
from mailgen import ME, PEOPLE, make_message
from servers import (  # noqa: F401  (the fixtures dovecot_server, mail_user, private_dovecot)
    Dovecot,
    MailUser,
    dovecot_server_fixture,
    mail_user_fixture,
    private_dovecot_fixture,
)

from followup.config import SourceSettings
from followup.store.store import Store
from followup.sync import sync_mail

pytestmark = pytest.mark.server


def stored(db: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Every message row (minus row ids) and every checkpoint, in a stable order."""
    with sqlite3.connect(db) as conn:
        messages = conn.execute(
            "SELECT source, folder, role, uidvalidity, uid, message_id, subject, from_email, "
            "date, in_reply_to, excerpt, attachments, automated, size, from_me "
            "FROM message ORDER BY source, folder, uidvalidity, CAST(uid AS INTEGER)"
        ).fetchall()
        checkpoints = conn.execute(
            "SELECT source, folder, state FROM checkpoint ORDER BY source, folder"
        ).fetchall()
    return messages, checkpoints


def count_messages(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return int(conn.execute("SELECT count(*) FROM message").fetchone()[0])
    except sqlite3.OperationalError:  # not created or migrated yet
        return 0


def test_sync_json_counts_per_folder(
    tmp_path: Path, dovecot_server: Dovecot, mail_user: MailUser
) -> None:
    dovecot_server.append(
        mail_user, "INBOX", [make_message(i, sender=PEOPLE[i % 4]) for i in range(5)]
    )
    dovecot_server.append(mail_user, "Sent", [make_message(i, sender=ME) for i in (10, 11)])
    config = write_config(tmp_path, imap_table("work", dovecot_server, mail_user))

    result = invoke(config, "sync", "--json")
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.output)
    assert (report["source"], report["kind"], report["ok"]) == ("work", "imap", True)
    assert [
        (f["folder"], f["role"], f["seen"], f["new"], f["skipped"]) for f in report["folders"]
    ] == [
        ("INBOX", "inbox", 5, 5, 0),
        ("Sent", "sent", 2, 2, 0),
    ]

    dovecot_server.append(mail_user, "INBOX", [make_message(20)])
    (again,) = json.loads(invoke(config, "sync", "--json").output)
    assert [(f["folder"], f["seen"], f["new"]) for f in again["folders"]] == [
        ("INBOX", 1, 1),
        ("Sent", 0, 0),
    ]


def test_wrong_password_is_one_line_and_other_sources_still_sync(
    tmp_path: Path, dovecot_server: Dovecot, mail_user: MailUser, private_dovecot: Dovecot
) -> None:
    dovecot_server.append(mail_user, "INBOX", [make_message(1), make_message(2)])
    # The failing account lives on its own server: Dovecot slows every login from an
    # IP after a failed one, which would slow the other tests.
    other = private_dovecot.add_user()
    config = write_config(
        tmp_path,
        imap_table("broken", private_dovecot, other, password="wrong"),
        imap_table("work", dovecot_server, mail_user),
    )

    result = invoke(config, "sync")

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: broken: 127.0.0.1 refused the login for {other.name}: check the username "
        "and the password (from password_command)"
    ]
    assert "work: 2 new messages" in result.stdout
    assert count_messages(tmp_path / "state.db") == 2


@pytest.mark.slow
def test_kill_and_resume_ends_like_an_uninterrupted_sync(
    tmp_path: Path, dovecot_server: Dovecot, mail_user: MailUser
) -> None:
    total = 1000
    dovecot_server.deliver(mail_user, "INBOX", (make_message(i) for i in range(total)))
    dovecot_server.deliver(
        mail_user, "Sent", (make_message(10_000 + i, sender=ME) for i in range(100))
    )
    table = imap_table("work", dovecot_server, mail_user, batch_size=20)
    killed_config = write_config(tmp_path, table, db="killed.db")
    clean_config = write_config(tmp_path, table, db="clean.db")
    killed_db = tmp_path / "killed.db"
    command = [sys.executable, "-m", "followup", "--config", str(killed_config), "sync"]

    kill_points = []
    # A quarter in: the IMAP reader runs ahead in its own process, so the sync is quick.
    for threshold in (1, total // 4):
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while count_messages(killed_db) < threshold and time.monotonic() < deadline:
                assert proc.poll() is None, "sync finished before it could be killed"
                time.sleep(0.005)
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(timeout=10)
        assert proc.returncode == -signal.SIGKILL
        kill_points.append(count_messages(killed_db))
    assert 0 < kill_points[0] < kill_points[1] < total + 100  # really killed mid-sync

    resumed = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    clean = subprocess.run(
        [sys.executable, "-m", "followup", "--config", str(clean_config), "sync"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert clean.returncode == 0, clean.stderr

    killed_rows, killed_checkpoints = stored(killed_db)
    clean_rows, clean_checkpoints = stored(tmp_path / "clean.db")
    assert len(clean_rows) == total + 100
    assert killed_rows == clean_rows
    assert killed_checkpoints == clean_checkpoints


def test_server_stopped_mid_sync_reports_retryable_and_resumes(
    tmp_path: Path, private_dovecot: Dovecot
) -> None:
    user = private_dovecot.add_user()
    private_dovecot.deliver(user, "INBOX", (make_message(i) for i in range(400)))
    settings = SourceSettings(
        name="work",
        kind="imap",
        options={
            "host": private_dovecot.host,
            "port": private_dovecot.imap_port,
            "security": "none",
            "allow_insecure": True,
            "username": user.name,
            "password_command": ["printf", "%s", user.password],
            "batch_size": 100,
            "timeout": 5,
        },
    )
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    me = frozenset({ME[1]})

    def stop_after_first_batch(label: str, done: int, total: int) -> None:
        if private_dovecot.running:
            private_dovecot.stop()

    report = sync_mail(store, settings, me, progress=stop_after_first_batch)
    assert report.retryable
    assert report.error is not None
    assert report.error.startswith(
        f"work: the connection to 127.0.0.1:{private_dovecot.imap_port} dropped while reading INBOX"
    )
    # The batches fetched before the server went (one may have been fetched ahead),
    # each committed with its checkpoint.
    committed = store.count_messages()
    assert committed in (100, 200)

    private_dovecot.start(same_ports=True)
    again = sync_mail(store, settings, me)
    assert again.error is None
    assert again.new == 400 - committed
    assert store.count_messages() == 400
    store.close()


def test_doctor_logs_in_and_reports_without_syncing(
    tmp_path: Path, dovecot_server: Dovecot, mail_user: MailUser
) -> None:
    dovecot_server.append(mail_user, "INBOX", [make_message(i) for i in range(3)])
    config = write_config(tmp_path, imap_table("work", dovecot_server, mail_user))

    result = invoke(config, "doctor", "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    (source,) = report["sources"]
    assert source["ok"] and source["source"] == "work"
    details = source["details"]
    assert details["sent_folder"] == "Sent"
    assert "SPECIAL-USE" in details["capabilities"]
    assert [(c["folder"], c["messages"]) for c in details["configured"]] == [
        ("INBOX", 3),
        ("Sent", 0),
    ]
    assert report["messages"] == 0  # nothing was synced
