"""`followup forget ADDRESS` and `followup purge --before DATE` through the CLI.

What is removed stays removed: the sources read mail again (Maildir after a flag
change, an mbox rewritten by a mail client, IMAP after a UIDVALIDITY change), so each
test syncs again after the removal and checks nothing came back.
"""

from __future__ import annotations

import json
import mailbox
import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pgserver import postgres_url  # noqa: F401  (fixture)

from followup.cli import cli

NOW = datetime(2026, 3, 17, 13, 30, tzinfo=UTC)  # Tue 07:30 Chicago
ME = "penny@example.com"
DANA = "dana@acme.example"
RAJ = "raj@beta.example"


def mail(
    sender: str, to: str, when: datetime, subject: str, body: str, mid: str, cc: str = ""
) -> bytes:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = sender, to, subject
    if cc:
        m["Cc"] = cc
    m["Date"] = format_datetime(when)
    m["Message-ID"] = f"<{mid}>"
    m.set_content(body)
    return m.as_bytes()


ASK = "Hi Penny,\n\nCould you send me the {} by Thursday?\n\nThanks\n"


def fill(root: Path) -> None:
    inbox = mailbox.Maildir(root, create=True)
    sent = inbox.add_folder("Sent")
    day = timedelta(days=1)
    inbox.add(mail(f"Dana Lee <{DANA}>", ME, NOW - 6 * day, "Q3", ASK.format("Q3 numbers"), "d1@x"))
    inbox.add(mail(f"Dana Lee <{DANA}>", ME, NOW - 5 * day, "Deck", ASK.format("deck"), "d2@x"))
    sent.add(mail(ME, DANA, NOW - 4 * day, "Re: Deck", "I will send it by Friday.\n", "d3@x"))
    # Raj writes to Penny and Dana: his message stays, without Dana.
    inbox.add(
        mail(f"Raj Patel <{RAJ}>", ME, NOW - 5 * day, "Venue", ASK.format("venue"), "r1@x", DANA)
    )
    sent.add(mail(ME, RAJ, NOW - 4 * day, "Budget", "Thanks for the budget.\n", "r2@x"))
    # Older history, for purge: an ask from Raj still open (a nudge) and Penny's note.
    inbox.add(mail(f"Raj Patel <{RAJ}>", ME, NOW - 14 * day, "Old", ASK.format("old"), "o1@x"))
    # A question: an outreach that waits for an answer (a chase), not a thank-you.
    sent.add(mail(ME, RAJ, NOW - 13 * day, "Lunch", "Lunch again next week?\n", "o2@x"))


def write_config(tmp_path: Path, url: str | None = None, extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    url = url or f"sqlite:///{tmp_path / 'state.db'}"
    path.write_text(
        f"""
[me]
name = "Penny Example"
addresses = ["{ME}"]
timezone = "America/Chicago"

[storage]
url = "{url}"

[[mail]]
name = "local"
kind = "maildir"
path = "{tmp_path / "Mail"}"

[nlp]
pipeline = "rules"
{extra}
"""
    )
    return path


@pytest.fixture
def config(tmp_path: Path) -> Path:
    fill(tmp_path / "Mail")
    return write_config(tmp_path)


def invoke(config: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(
        cli, ["--config", str(config), *args], input=input, catch_exceptions=False
    )


def touch_every_message(root: Path) -> None:
    """What a mail client does when it marks mail read: a rename, so a new ctime."""
    for folder in (root, root / ".Sent"):
        for sub in ("new", "cur"):
            for f in sorted((folder / sub).iterdir()):
                name = f.name.split(":")[0] + ":2,S"
                f.rename(folder / "cur" / name)


def db_rows(config: Path, sql: str) -> list[tuple[object, ...]]:
    db = config.parent / "state.db"
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def mentions(config: Path, email: str) -> dict[str, int]:
    """Every row of the store that names ``email``, per table."""
    like = f"%{email}%"
    checks = {
        "message": f"SELECT count(*) FROM message WHERE from_email = '{email}'",
        "participant": f"SELECT count(*) FROM participant WHERE email = '{email}'",
        "address": f"SELECT count(*) FROM address WHERE email = '{email}'",
        "nudge": f"SELECT count(*) FROM nudge WHERE payload LIKE '{like}'",
    }
    return {k: int(db_rows(config, q)[0][0]) for k, q in checks.items()}


def plan(config: Path) -> list[dict[str, object]]:
    r = invoke(config, "digest", "--json", "--now", NOW.isoformat())
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_forget_removes_the_person_and_stays_forgotten(config: Path, tmp_path: Path) -> None:
    assert invoke(config, "sync").exit_code == 0
    nudges = plan(config)
    assert {n["person"]["email"] for n in nudges if n["person"]} >= {DANA, RAJ}
    raj = next(n for n in nudges if n["person"] and n["person"]["email"] == RAJ)
    assert invoke(config, "done", str(raj["number"])).exit_code == 0  # another's decision
    assert invoke(config, "mute", DANA).exit_code == 0
    assert invoke(config, "important", RAJ).exit_code == 0
    assert all(mentions(config, DANA).values())

    r = invoke(config, "forget", DANA.upper(), "--yes", "--now", NOW.isoformat())
    assert r.exit_code == 0, r.output
    # Her two asks and Penny's reply to her alone; a finding in each; her two nudges.
    assert r.stdout == f"Forgot {DANA}: 3 messages, 3 findings, 2 nudges.\n"
    assert mentions(config, DANA) == {"message": 0, "participant": 0, "address": 0, "nudge": 0}
    assert db_rows(config, "SELECT count(*) FROM person WHERE muted") == [(0,)]
    # Raj: his messages, his flag and the user's decision on his nudge are untouched.
    assert db_rows(config, "SELECT message_id FROM message WHERE message_id = 'r1@x'") == [
        ("r1@x",)
    ]
    assert db_rows(config, "SELECT count(*) FROM person WHERE important") == [(1,)]
    every = json.loads(
        invoke(config, "digest", "--json", "--all", "--no-plan", "--now", NOW.isoformat()).stdout
    )
    assert [n["state"] for n in every if n["key"] == raj["key"]] == ["done"]

    # A mail client marks everything read: every file is read again, none of hers is kept.
    touch_every_message(tmp_path / "Mail")
    again = invoke(config, "sync", "--json")
    assert again.exit_code == 0, again.output
    reasons: dict[str, int] = {}
    for f in json.loads(again.stdout)[0]["folders"]:
        for k, v in f["skip_reasons"].items():
            reasons[k] = reasons.get(k, 0) + v
    assert reasons == {"forgotten: sent by or only to a forgotten person": 3}
    plan(config)
    assert mentions(config, DANA) == {"message": 0, "participant": 0, "address": 0, "nudge": 0}

    # Mail she sends after the forget is mail like any other.
    mailbox.Maildir(tmp_path / "Mail").add(
        mail(DANA, ME, NOW + timedelta(hours=2), "New", ASK.format("plan"), "d9@x")
    )
    assert invoke(config, "sync").exit_code == 0
    assert mentions(config, DANA)["message"] == 1


def test_forget_asks_in_a_terminal_and_requires_yes_elsewhere(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert invoke(config, "sync").exit_code == 0
    plan(config)
    piped = invoke(config, "forget", DANA)
    assert piped.exit_code == 2
    assert (
        piped.stderr == "Error: This removes data for good: confirm in a terminal, or pass --yes\n"
    )

    monkeypatch.setattr("followup.cli.privacy._interactive", lambda: True)
    no = invoke(config, "forget", DANA, input="n\n")
    assert no.exit_code == 1 and "Nothing removed." in no.stdout
    assert f"Forget {DANA}: remove 3 messages, 3 findings, 2 nudges? [y/N]" in no.stdout
    assert mentions(config, DANA)["message"] == 2
    yes = invoke(config, "forget", DANA, input="y\n")
    assert yes.exit_code == 0 and f"Forgot {DANA}: 3 messages" in yes.stdout
    assert mentions(config, DANA)["message"] == 0


def test_forget_refuses_own_address_and_non_addresses(config: Path) -> None:
    assert invoke(config, "sync").exit_code == 0
    own = invoke(config, "forget", ME, "--yes")
    assert own.exit_code == 2 and "is one of your own addresses" in own.stderr
    bad = invoke(config, "forget", "dana", "--yes")
    assert bad.exit_code == 2 and bad.stderr == "Error: 'dana' is not an email address\n"
    unknown = invoke(config, "forget", "nobody@nowhere.example", "--yes")
    assert unknown.exit_code == 0
    assert unknown.stdout == "Forgot nobody@nowhere.example: 0 messages, 0 findings, 0 nudges.\n"


def test_forget_notes_a_config_mute_it_cannot_edit(tmp_path: Path) -> None:
    fill(tmp_path / "Mail")
    config = write_config(tmp_path, extra=f'\n[rules]\nmute = ["{DANA}"]\n')
    assert invoke(config, "sync").exit_code == 0
    r = invoke(config, "forget", DANA, "--yes")
    assert r.exit_code == 0
    assert r.stdout.splitlines()[1] == (
        f"Note: {DANA} is still listed in [rules] mute in {config}; remove it there."
    )


def checkpoints(config: Path) -> list[tuple[object, ...]]:
    return db_rows(
        config, "SELECT source, folder, state FROM checkpoint WHERE source != '' ORDER BY 1, 2"
    )


def test_purge_removes_old_history_keeps_checkpoints_and_it_stays_gone(
    config: Path, tmp_path: Path
) -> None:
    assert invoke(config, "sync").exit_code == 0
    plan(config)
    before = checkpoints(config)
    old_nudges = db_rows(config, "SELECT count(*) FROM nudge WHERE payload LIKE '%o1@x%'")
    assert old_nudges == [(1,)]  # "Reply to Raj Patel", asked 14 days ago

    r = invoke(config, "purge", "--before", "2026-03-06", "--yes", "--now", NOW.isoformat())
    assert r.exit_code == 0, r.output
    assert r.stdout == "Purged 2 messages, 2 findings, 2 nudges from before 2026-03-06.\n"
    assert db_rows(config, "SELECT message_id FROM message WHERE message_id LIKE 'o%'") == []
    assert db_rows(config, "SELECT count(*) FROM nudge WHERE payload LIKE '%o1@x%'") == [(0,)]
    assert db_rows(config, "SELECT count(*) FROM message") == [(5,)]
    assert checkpoints(config) == before

    touch_every_message(tmp_path / "Mail")
    again = json.loads(invoke(config, "sync", "--json").stdout)
    skipped = sum(
        f["skip_reasons"].get("purged: dated before the purge date", 0) for f in again[0]["folders"]
    )
    assert skipped == 2
    plan(config)
    assert db_rows(config, "SELECT message_id FROM message WHERE message_id LIKE 'o%'") == []
    assert db_rows(config, "SELECT count(*) FROM message") == [(5,)]


def test_purge_checks_its_date(config: Path) -> None:
    r = invoke(config, "purge", "--before", "2026-02-30", "--yes")
    assert r.exit_code == 2
    assert r.stderr == "Error: --before '2026-02-30' is not a date; use YYYY-MM-DD\n"
    r = invoke(config, "purge", "--before", "2026-03-18", "--yes", "--now", NOW.isoformat())
    assert r.exit_code == 2
    assert r.stderr == "Error: --before 2026-03-18 is in the future: purge removes history only\n"
    assert invoke(config, "purge", "--before", "2026-03-01").exit_code == 2  # no --yes, piped


def test_purge_of_a_rewritten_mbox_stays_gone(tmp_path: Path) -> None:
    box = mailbox.mbox(tmp_path / "mail.mbox")
    box.add(mail(RAJ, ME, NOW - timedelta(days=90), "Old", ASK.format("old"), "o1@x"))
    box.add(mail(RAJ, ME, NOW - timedelta(days=2), "New", ASK.format("new"), "n1@x"))
    box.flush()
    config = tmp_path / "config.toml"
    config.write_text(
        write_config(tmp_path).read_text()
        .replace('kind = "maildir"', 'kind = "mbox"')
        .replace(str(tmp_path / "Mail"), str(tmp_path / "mail.mbox"))
    )  # fmt: skip
    assert invoke(config, "sync").exit_code == 0
    r = invoke(config, "purge", "--before", "2026-03-01", "--yes", "--now", NOW.isoformat())
    assert r.stdout.startswith("Purged 1 message,")
    # A mail client marks the old message read and rewrites the whole file.
    msg = box[0]
    msg.set_flags("RO")
    box[box.keys()[0]] = msg
    box.flush()
    box.close()
    again = json.loads(invoke(config, "sync", "--json").stdout)
    assert again[0]["folders"][0]["skip_reasons"] == {"purged: dated before the purge date": 1}
    assert db_rows(config, "SELECT message_id FROM message") == [("n1@x",)]


@pytest.fixture
def pg_url(postgres_url: str, request: pytest.FixtureRequest) -> Iterator[str]:  # noqa: F811
    from sqlalchemy import create_engine, text

    name = f"t_{abs(hash(request.node.nodeid)) % 10**9}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    yield postgres_url.rsplit("/", 1)[0] + "/" + name


@pytest.mark.server
def test_forget_and_purge_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    from sqlalchemy import create_engine, text

    fill(tmp_path / "Mail")
    config = write_config(tmp_path, url=pg_url)
    assert invoke(config, "sync").exit_code == 0
    plan(config)
    r = invoke(config, "forget", DANA, "--yes", "--now", NOW.isoformat())
    assert r.stdout == f"Forgot {DANA}: 3 messages, 3 findings, 2 nudges.\n", r.output
    r = invoke(config, "purge", "--before", "2026-03-06", "--yes", "--now", NOW.isoformat())
    assert r.stdout == "Purged 2 messages, 2 findings, 2 nudges from before 2026-03-06.\n", r.output
    touch_every_message(tmp_path / "Mail")
    assert invoke(config, "sync").exit_code == 0
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            ids = sorted(conn.execute(text("SELECT message_id FROM message")).scalars())
            dana = conn.execute(
                text("SELECT count(*) FROM participant WHERE email = :e"), {"e": DANA}
            ).scalar_one()
    finally:
        engine.dispose()
    assert ids == ["r1@x", "r2@x"] and dana == 0


def test_forget_preview_and_file_modes_are_unchanged(config: Path) -> None:
    """forget writes nothing before the answer, and its store stays 0600."""
    assert invoke(config, "sync").exit_code == 0
    before = db_rows(config, "SELECT count(*) FROM message")
    invoke(config, "forget", DANA)  # refused: not a terminal
    assert db_rows(config, "SELECT count(*) FROM message") == before
    assert db_rows(config, "SELECT count(*) FROM checkpoint WHERE source = ''") == [(0,)]
    assert os.stat(config.parent / "state.db").st_mode & 0o077 == 0


def test_an_unreadable_screen_does_not_stop_sync(config: Path) -> None:
    assert invoke(config, "sync").exit_code == 0
    assert invoke(config, "forget", DANA, "--yes").exit_code == 0
    db = config.parent / "state.db"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE checkpoint SET state = '{not json' WHERE source = ''")
    r = invoke(config, "sync")
    assert r.exit_code == 0, r.output
