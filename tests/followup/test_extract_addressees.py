"""An ask put by name to another recipient is theirs to answer: no "Reply to" for the
owner (issue #12, cause 8). Driven through the CLI on a Maildir."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from hostile_mail import write_maildir

from followup.cli import cli

NOW = datetime(2026, 3, 17, 13, 30, tzinfo=UTC)
ME = "penny.example@example.com"


def _mail(n: int, body: str) -> bytes:
    stamp = (NOW - timedelta(days=2)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    return (
        f"From: Dana Lee <dana@acme.example>\n"
        f"To: Penny Example <{ME}>\nCc: John Valdes <john.valdes@acme.example>\n"
        f"Subject: report {n}\nDate: {stamp}\nMessage-ID: <ask{n}@acme.example>\n\n{body}"
    ).encode()


def _reply_evidence(tmp_path: Path, name: str) -> list[str]:
    root = write_maildir(
        tmp_path / "Mail",
        {
            "john": _mail(1, "John, can you send me the signed report by Friday?\n\nDana\n"),
            "penny": _mail(2, "Penny, can you send me the signed report by Friday?\n\nDana\n"),
        },
    )
    config = tmp_path / "config.toml"
    config.write_text(
        f'[me]\nname = "{name}"\naddresses = ["{ME}"]\ntimezone = "UTC"\n\n'
        f'[storage]\nurl = "sqlite:///{tmp_path / "state.db"}"\n\n[nlp]\npipeline = "rules"\n\n'
        f'[[mail]]\nname = "local"\nkind = "maildir"\npath = "{root}"\n'
    )
    runner = CliRunner()
    r = runner.invoke(cli, ["--config", str(config), "run", "--no-send", "--now", NOW.isoformat()])
    assert r.exit_code == 0, r.output
    digest = runner.invoke(
        cli, ["--config", str(config), "digest", "--json", "--now", NOW.isoformat()]
    )
    assert digest.exit_code == 0, digest.output
    return sorted(
        n["evidence"]["message_id"] for n in json.loads(digest.stdout) if n["kind"] == "reply"
    )


def test_an_ask_put_by_name_to_another_recipient_makes_no_reply(tmp_path: Path) -> None:
    assert _reply_evidence(tmp_path, "Penny Example") == ["ask2@acme.example"]


def test_the_owners_name_comes_from_the_address_too(tmp_path: Path) -> None:
    # No [me] name: "penny.example@" still says who the reader is.
    assert _reply_evidence(tmp_path, "") == ["ask2@acme.example"]
