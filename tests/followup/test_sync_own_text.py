"""Privacy at rest: only the writer's own text of a message is stored, not what it quotes."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from hostile_mail import write_maildir
from sqlalchemy import select

from followup.cli import cli
from followup.store import tables as t
from followup.store.store import Store
from followup.sync import own_text

NOW = datetime(2026, 3, 17, 13, 30, tzinfo=UTC)
ME = "penny@example.com"
PRIVATE = "my salary is 91,000 and I am leaving in May"


def test_own_text_cuts_quotes_and_forwards_and_keeps_the_signature() -> None:
    reply = (
        "Could you send me the signed contract by Friday?\n\nThanks,\nDana Lee\nAcme Ltd.\n\n"
        f"On Mon, 9 Mar 2026 at 10:00, Penny Example <{ME}> wrote:\n> {PRIVATE}\n> more\n"
    )
    kept = own_text(reply)
    assert PRIVATE not in kept and "> more" not in kept
    assert kept.startswith("Could you send me the signed contract by Friday?")
    assert "Dana Lee" in kept  # the signature names the writer
    assert kept.endswith(f"On Mon, 9 Mar 2026 at 10:00, Penny Example <{ME}> wrote:")
    forward = f"FYI, see below.\n\n---------- Forwarded message ---------\nFrom: HR\n{PRIVATE}\n"
    assert PRIVATE not in own_text(forward)
    outlook = f"Yes, Tuesday works.\n\n-----Original Message-----\nFrom: Penny\n{PRIVATE}\n"
    assert own_text(outlook) == "Yes, Tuesday works.\n\n-----Original Message-----"
    interleaved = f"> {PRIVATE}\nNo, that is wrong.\n> Another line\nAgreed.\n"
    assert own_text(interleaved) == "No, that is wrong.\nAgreed."
    assert own_text("") == ""
    assert own_text("Just one line.") == "Just one line."


def test_cutting_quotes_does_not_import_spacy() -> None:
    code = (
        "import sys\nfrom followup.sync import own_text\nown_text('a\\n> b\\nOn x wrote:\\n')\n"
        "assert not [m for m in sys.modules if m.startswith(('spacy', 'thinc'))], 'spaCy'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def _mail(n: int, subject: str, body: str, **headers: str) -> bytes:
    stamp = (NOW - timedelta(days=4)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    extra = "".join(f"{k}: {v}\n" for k, v in headers.items())
    return (
        f"From: Dana Lee <dana@acme.example>\nTo: Penny Example <{ME}>\nSubject: {subject}\n"
        f"Date: {stamp}\nMessage-ID: <own{n}@acme.example>\n{extra}\n{body}"
    ).encode()


def test_synced_excerpts_hold_no_quoted_history_and_the_ask_still_nudges(
    tmp_path: Path,
) -> None:
    root = write_maildir(
        tmp_path / "Mail",
        {
            "reply": _mail(
                1,
                "Re: contract",
                "Hi Penny,\n\nCould you send me the signed contract by Friday?\n\nThanks,\nDana\n\n"
                f"On Mon, 9 Mar 2026 at 10:00, Penny Example <{ME}> wrote:\n> {PRIVATE}\n",
                In_Reply_To="<orig@example.com>",
            ),
            "forward": _mail(
                2,
                "Fwd: notes",
                f"See below.\n\n---------- Forwarded message ---------\nFrom: HR\n{PRIVATE}\n",
            ),
        },
    )
    config = tmp_path / "config.toml"
    config.write_text(
        f'[me]\nname = "Penny Example"\naddresses = ["{ME}"]\ntimezone = "UTC"\n\n'
        f'[storage]\nurl = "sqlite:///{tmp_path / "state.db"}"\n\n[nlp]\npipeline = "rules"\n\n'
        f'[[mail]]\nname = "local"\nkind = "maildir"\npath = "{root}"\n'
    )
    runner = CliRunner()
    assert runner.invoke(cli, ["--config", str(config), "sync"]).exit_code == 0
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        with store.begin() as conn:
            excerpts = [e for (e,) in conn.execute(select(t.Message.excerpt))]
    finally:
        store.close()
    assert len(excerpts) == 2
    assert not [e for e in excerpts if "salary" in e]
    assert any("Could you send me the signed contract by Friday?" in e for e in excerpts)
    digest = runner.invoke(cli, ["--config", str(config), "digest", "--json", "--now",
                                 NOW.isoformat()])  # fmt: skip
    asks = [n for n in json.loads(digest.stdout) if n["kind"] == "reply"]
    assert [n["evidence"]["message_id"] for n in asks] == ["own1@acme.example"]
