"""forget and purge against a real Dovecot: the next syncs do not bring the mail back,
neither the incremental one (the UID checkpoint) nor a full re-read (what a UIDVALIDITY
change causes)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from imap_helpers import imap_table, invoke, write_config
from mailgen import ME, PEOPLE, make_message
from servers import (  # noqa: F401  (the fixtures dovecot_server and mail_user)
    Dovecot,
    MailUser,
    dovecot_server_fixture,
    mail_user_fixture,
)

pytestmark = pytest.mark.server

NOW = datetime(2026, 3, 17, 12, 0, tzinfo=UTC)
DANA = PEOPLE[2]


def message_ids(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT message_id FROM message ORDER BY 1")]


def skip_reasons(output: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for source in json.loads(output):
        for f in source["folders"]:
            for k, v in f["skip_reasons"].items():
                out[k] = out.get(k, 0) + v
    return out


def test_forgotten_and_purged_mail_stays_gone(
    tmp_path: Path, dovecot_server: Dovecot, mail_user: MailUser
) -> None:
    day = timedelta(days=1)
    dovecot_server.append(
        mail_user,
        "INBOX",
        [
            make_message(1, sender=PEOPLE[0], date=NOW - 40 * day, message_id="old1@x"),
            make_message(2, sender=PEOPLE[1], date=NOW - 35 * day, message_id="old2@x"),
            make_message(3, sender=DANA, date=NOW - 3 * day, message_id="dana@x"),
            make_message(4, sender=PEOPLE[0], date=NOW - 2 * day, message_id="new@x"),
        ],
    )
    dovecot_server.append(
        mail_user, "Sent", [make_message(5, sender=ME, to=DANA, date=NOW - day, message_id="re@x")]
    )
    config = write_config(tmp_path, imap_table("work", dovecot_server, mail_user))
    db = tmp_path / "state.db"
    assert invoke(config, "sync").exit_code == 0
    assert len(message_ids(db)) == 5

    now = ["--now", NOW.isoformat()]
    forgot = invoke(config, "forget", DANA[1], "--yes", *now)
    assert forgot.stdout.startswith(f"Forgot {DANA[1]}: 2 messages,"), forgot.output
    purged = invoke(config, "purge", "--before", "2026-02-20", "--yes", *now)
    assert purged.stdout.startswith("Purged 2 messages,"), purged.output
    assert message_ids(db) == ["new@x"]

    incremental = invoke(config, "sync", "--json")
    assert incremental.exit_code == 0, incremental.output
    assert message_ids(db) == ["new@x"]

    # Forget the checkpoints, as a UIDVALIDITY change does: every message is read again.
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM checkpoint WHERE source = 'work'")
    full = invoke(config, "sync", "--json")
    assert full.exit_code == 0, full.output
    assert skip_reasons(full.stdout) == {
        "purged: dated before the purge date": 2,
        "forgotten: sent by or only to a forgotten person": 2,
    }
    assert message_ids(db) == ["new@x"]
