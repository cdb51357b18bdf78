"""The addresses I send from are mine, though the config names only one: the senders of
my sent folders count as me in every source, from the run that first reads them."""

from __future__ import annotations

import json
import mailbox
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from click.testing import CliRunner

from followup.cli import cli

NOW = datetime(2026, 3, 17, 15, 0, tzinfo=UTC)
OLD = "penny@old.example"  # an address the config does not name


def _msg(n: int, sender: str, to: str, subject: str, body: str, when: datetime) -> bytes:
    return (
        f"From: <{sender}>\r\nTo: <{to}>\r\nSubject: {subject}\r\n"
        f"Date: {format_datetime(when)}\r\nMessage-ID: <i{n}@x.example>\r\n\r\n{body}\r\n"
    ).encode()


def test_the_senders_of_my_sent_mail_are_me_across_sources(tmp_path: Path) -> None:
    work = mailbox.Maildir(tmp_path / "work", create=True)  # its INBOX only
    # Dana asks me at the old address; a note I sent myself from it sits in this INBOX.
    work.add(_msg(1, "dana@acme.example", OLD, "numbers", "Hi Penny,\r\n\r\nCould you "
                  "send me the Q3 numbers?\r\n\r\nThanks", NOW - timedelta(days=4)))  # fmt: skip
    work.add(_msg(2, OLD, OLD, "note", "Remember the numbers.", NOW - timedelta(days=3)))
    archive = mailbox.Maildir(tmp_path / "archive", create=True)
    sent = archive.add_folder("Sent")
    for i in range(6):  # my mail from the old address, to people I write to
        sent.add(_msg(10 + i, OLD, f"p{i}@beta.example", f"hello {i}", "See you soon.",
                      NOW - timedelta(days=20 + i)))  # fmt: skip
    config = tmp_path / "config.toml"
    config.write_text(
        '[me]\nname = "Penny Example"\naddresses = ["penny@example.com"]\n'
        'timezone = "America/Chicago"\n'
        f'[storage]\nurl = "sqlite:///{tmp_path / "state.db"}"\n'
        f'[[mail]]\nname = "work"\nkind = "maildir"\npath = "{tmp_path / "work"}"\n'
        f'[[mail]]\nname = "archive"\nkind = "maildir"\npath = "{tmp_path / "archive"}"\n'
        'sent = ["Sent"]\n[nlp]\npipeline = "rules"\n'
    )
    base = ["--config", str(config)]
    r = CliRunner().invoke(cli, [*base, "run", "--no-send", "--json", "--now", NOW.isoformat()])
    assert r.exit_code == 0, r.output
    people = CliRunner().invoke(cli, [*base, "people", "--all", "--json", "--now", NOW.isoformat()])
    emails = {p["email"] for p in json.loads(people.stdout)}
    assert "p0@beta.example" in emails and "dana@acme.example" in emails
    assert OLD not in emails  # me, not a contact
    digest = CliRunner().invoke(cli, [*base, "digest", "--json", "--now", NOW.isoformat()])
    items = json.loads(digest.stdout)
    # Dana's ask went to me: a reply is due.
    assert any(i["kind"] == "reply" and "dana" in i["key"] + json.dumps(i) for i in items)
