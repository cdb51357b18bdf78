"""Through the CLI: how the terminal digest reads (wrapping, Message-IDs, names)."""

from __future__ import annotations

import json
import mailbox
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner

from followup.cli import cli
from tests.followup.test_cli_digest_restraint import ME, NOW, mail, write_config

ASK = (
    "Could you send me the reconciled transport invoices for the northern pipeline "
    "capacity release before the Thursday settlement meeting?"
)


def archive(root: Path, *messages: tuple[str, str, str]) -> None:
    """An inbox of (sender, body, Message-ID) asks received four days before NOW."""
    root.mkdir()
    inbox = mailbox.mbox(root / "inbox.mbox")
    for i, (sender, body, mid) in enumerate(messages):
        when = NOW - timedelta(days=4, minutes=i)
        inbox.add(mail(sender, ME, when, "Invoices for the capacity release", body, mid))
    inbox.flush()


def digest(config: Path, *args: str, columns: str = "80") -> str:
    r = CliRunner(env={"COLUMNS": columns}).invoke(
        cli, ["--config", str(config), "digest", "--now", NOW.isoformat(), *args]
    )
    assert r.exit_code == 0, r.output
    return r.output


def test_terminal_digest_wraps_at_words_and_hides_message_ids(tmp_path: Path) -> None:
    body = f"Hi Penny,\n\n{ASK}\n\nDana\n"
    archive(tmp_path / "Mail", ("Dana Lee <dana@acme.example>", body, "inv-1@acme.example"))
    config = write_config(tmp_path)
    assert CliRunner().invoke(cli, ["--config", str(config), "sync"]).exit_code == 0

    shown = digest(config)
    assert "Reply to Dana Lee" in shown
    assert "inv-1@acme.example" not in shown  # behind -v, and in --json
    lines = shown.splitlines()
    assert max(len(line) for line in lines) <= 80
    # No word of the ask is broken, by a line's end or by the quote's cap.
    ask_words = {w.strip("?,.") for w in ASK.split()}
    shown_words = {w.strip("“”\"'?,.…") for w in " ".join(lines).split()}
    quoted = shown_words & ask_words
    assert {"reconciled", "transport", "pipeline"} <= quoted
    broken = {w for w in shown_words - ask_words if any(a.startswith(w) for a in ask_words)}
    assert broken - {""} == set()  # nothing but whole words
    wide = digest(config, columns="200")
    assert len([line for line in wide.splitlines() if "Reply to Dana Lee" in line]) == 1

    verbose = digest(config, "-v")
    assert "<inv-1@acme.example>" in verbose
    assert max(len(line) for line in verbose.splitlines()) <= 80
    listed = json.loads(digest(config, "--json"))
    replies = [n for n in listed if n["kind"] == "reply"]
    assert [n["evidence"]["message_id"] for n in replies] == ["inv-1@acme.example"]


def test_a_first_name_signed_above_the_full_name_is_not_doubled(tmp_path: Path) -> None:
    body = "Could you send me the invoices?\n\nThanks,\nStephanie\nStephanie Hopkins\n"
    archive(tmp_path / "Mail", ("shopkins@acme.example", body, "sig-1@acme.example"))
    config = write_config(tmp_path)
    assert CliRunner().invoke(cli, ["--config", str(config), "sync"]).exit_code == 0
    shown = digest(config, columns="200")
    assert "Reply to Stephanie Hopkins" in shown
    assert "Stephanie Stephanie" not in shown


def test_one_persons_several_asks_are_one_item(tmp_path: Path) -> None:
    omar = "Omar Diaz <omar@acme.example>"
    asks = [
        (omar, f"Hi Penny,\n\nCould you send the {t} figures?\n\nOmar\n", f"omar-{t}@acme.example")
        for t in ("march", "april", "may")
    ]
    other = (
        "Dana Lee <dana@beta.example>",
        "Hi Penny,\n\nCan you check the contract?\n\nDana\n",
        "d@b",
    )
    archive(tmp_path / "Mail", *asks, other)
    config = write_config(tmp_path)
    assert CliRunner().invoke(cli, ["--config", str(config), "sync"]).exit_code == 0

    shown = digest(config, columns="200")
    assert shown.count("Reply to Omar Diaz") == 1
    assert "; 2 more asks from them (--all lists them)" in shown
    assert shown.count("Reply to Dana Lee") == 1
    assert "+2 more: followup digest --all" in shown
    every = digest(config, "--all", columns="200")
    assert every.count("Reply to Omar Diaz") == 3 and "more asks" not in every
    plain = digest(config, "--format", "plain", columns="200")
    assert plain.count("Reply to Omar Diaz") == 1 and "2 more asks from them" in plain
