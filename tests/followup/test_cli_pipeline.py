"""The whole pipeline through the CLI, on a small Maildir built by the test."""

from __future__ import annotations

import json
import mailbox
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from followup.cli import cli

NOW = datetime(2026, 3, 17, 13, 30, tzinfo=UTC)  # Tue 07:30 Chicago
ME = "penny@example.com"


def mail(sender: str, to: str, when: datetime, subject: str, body: str, **headers: str) -> bytes:
    m = EmailMessage()
    m["From"] = sender
    m["To"] = to
    m["Subject"] = subject
    m["Date"] = format_datetime(when)
    m["Message-ID"] = headers.pop("message_id", make_msgid(domain="test.example"))
    for k, v in headers.items():
        m[k.replace("_", "-")] = v
    m.set_content(body)
    return m.as_bytes()


def build_maildir(root: Path) -> dict[str, Path]:
    inbox = mailbox.Maildir(root, create=True)
    sent = inbox.add_folder("Sent")
    inbox.add(
        mail(
            "Dana Lee <dana@acme.example>",
            ME,
            NOW - timedelta(days=6),
            "Q3 numbers",
            "Hi Penny,\n\nCould you send me the Q3 numbers by Thursday?\n\nThanks,\nDana\n",
            message_id="<q3@acme.example>",
        )
    )
    inbox.add(
        mail(
            "Acme News <news@acme.example>",
            ME,
            NOW - timedelta(days=6),
            "Weekly news",
            "Can you spare 5 minutes for our survey?\n",
            List_Unsubscribe="<mailto:u@acme.example>",
        )
    )
    inbox.add(
        mail(
            "Raj Patel <raj@beta.example>",
            ME,
            NOW - timedelta(days=5),
            "Venue",
            "Hi,\n\nCan you book the venue for the offsite?\n\nRaj\n",
            message_id="<venue@beta.example>",
        )
    )
    sent.add(
        mail(
            f"Penny Example <{ME}>",
            "raj@beta.example",
            NOW - timedelta(days=4),
            "Re: Venue",
            "Done, booked.\n",
            In_Reply_To="<venue@beta.example>",
            References="<venue@beta.example>",
        )
    )
    # Malformed: no headers at all, and a header section over the size limit.
    (root / "new" / "1700000000.broken.host").write_bytes(b"\x00\x01 not a mail at all \xff\xfe")
    return {"root": root}


@pytest.fixture
def config(tmp_path: Path) -> Path:
    build_maildir(tmp_path / "Mail")
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[me]
name = "Penny Example"
addresses = ["{ME}"]
domains = ["example.com"]
timezone = "America/Chicago"

[storage]
url = "sqlite:///{tmp_path / "state.db"}"

[[mail]]
name = "local"
kind = "maildir"
path = "{tmp_path / "Mail"}"

[nlp]
pipeline = "rules"
"""
    )
    return path


def invoke(config: Path, *args: str):
    result = CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)
    return result


def run_process(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """followup as a real process, its output to a pipe (as under cron)."""
    return subprocess.run(
        [sys.executable, "-m", "followup", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_sync_json_reports_folders_and_skips(config):
    result = invoke(config, "sync", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [r["source"] for r in report] == ["local"]
    folders = {f["folder"]: f for f in report[0]["folders"]}
    assert folders["INBOX"]["new"] == 3
    assert folders["INBOX"]["skipped"] == 1
    assert sum(folders["INBOX"]["skip_reasons"].values()) == 1
    assert folders["Sent"]["new"] == 1 and folders["Sent"]["role"] == "sent"
    again = json.loads(invoke(config, "sync", "--json").output)
    assert sum(f["new"] for f in again[0]["folders"]) == 0


def test_digest_then_done_survives_reruns(config):
    assert invoke(config, "sync").exit_code == 0
    out = json.loads(invoke(config, "digest", "--json", "--now", NOW.isoformat()).output)
    replies = [n for n in out if n["kind"] == "reply"]
    # Dana's request is open; Raj's was answered from the Sent folder; the newsletter is bulk.
    assert [n["person"]["email"] for n in replies] == ["dana@acme.example"]
    n = replies[0]
    assert n["person"]["name"] == "Dana Lee"
    assert n["evidence"]["message_id"] == "q3@acme.example"
    assert "Could you send me the Q3 numbers by Thursday?" in n["evidence"]["sentence"]
    assert n["key"] == "reply:q3@acme.example"
    assert not any(x["person"]["email"].startswith("news@") for x in out if x["person"])

    done = invoke(config, "done", str(n["number"]))
    assert done.exit_code == 0 and "Done: " in done.output
    invoke(config, "sync")
    again = json.loads(invoke(config, "digest", "--json", "--now", NOW.isoformat()).output)
    assert all(x["key"] != n["key"] for x in again)
    every = json.loads(invoke(config, "digest", "--json", "--all", "--now", NOW.isoformat()).output)
    assert [x["state"] for x in every if x["key"] == n["key"]] == ["done"]


def test_snooze_and_mute(config):
    invoke(config, "sync")
    out = json.loads(invoke(config, "digest", "--json", "--now", NOW.isoformat()).output)
    number = str(out[0]["number"])
    assert invoke(config, "snooze", "3d", number, "--now", NOW.isoformat()).exit_code == 0
    hidden = json.loads(invoke(config, "digest", "--json", "--now", NOW.isoformat()).output)
    assert all(str(x["number"]) != number for x in hidden)
    back = json.loads(
        invoke(
            config, "digest", "--json", "--now", (NOW + timedelta(days=3, hours=1)).isoformat()
        ).output
    )
    assert any(str(x["number"]) == number for x in back)

    assert invoke(config, "mute", "dana@acme.example").exit_code == 0
    muted = json.loads(invoke(config, "digest", "--json", "--now", NOW.isoformat()).output)
    assert all((x["person"] or {}).get("email") != "dana@acme.example" for x in muted)


def test_bad_references_are_clear_errors(config):
    invoke(config, "sync")
    r = invoke(config, "done", "999")
    assert (
        r.exit_code == 2
        and r.stderr.strip()
        == "Error: No nudge 999: 'followup digest' lists them with their numbers"
    )
    r = invoke(config, "mute", "not-an-address")
    assert r.exit_code == 2 and "is not an email address" in r.stderr
    r = invoke(config, "snooze", "soonish", "1")
    assert r.exit_code == 2 and "is not a duration" in r.stderr


def test_missing_maildir_is_one_line_and_exit_1(tmp_path, config):
    text = config.read_text().replace(str(tmp_path / "Mail"), str(tmp_path / "Nope"))
    config.write_text(text)
    r = invoke(config, "sync")
    assert r.exit_code == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: local") and "Nope" in lines[0]


def test_run_as_a_real_subprocess(config):
    proc = run_process(config, "run", "--now", NOW.isoformat())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Synced 4 new messages, analysed 3,")
    proc = run_process(config, "digest", "--now", NOW.isoformat())
    assert proc.returncode == 0, proc.stderr
    assert "Reply to Dana Lee" in proc.stdout
    assert "\x1b[" not in proc.stdout  # no colour codes in a pipe


def test_every_command_has_help():
    runner = CliRunner()
    ctx = click.Context(cli)
    for name in cli.list_commands(ctx):
        cmd = cli.get_command(ctx, name)
        assert cmd is not None, name
        r = runner.invoke(cli, [name, "--help"])
        assert r.exit_code == 0, name
        assert cmd.help and len(cmd.help.splitlines()[0]) < 80, name


def test_doctor_reports_pipeline_and_folders_without_syncing(config):
    r = invoke(config, "doctor")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[1].startswith("database:  sqlite:///") and lines[1].endswith(" (0 messages)")
    from followup.store.migrations import SCHEMA_VERSION

    steps = f"schema:    0 ({SCHEMA_VERSION} steps pending: 0001_initial, "
    assert lines[2].startswith(steps)  # never opened
    assert lines[3].startswith("nlp:       rules (spacy.blank en")  # [nlp] pipeline = "rules"
    assert "source local (maildir): ok" in lines
    assert "    2 folders: INBOX, Sent" in lines


def test_an_ask_to_two_people_is_mine_when_it_greets_me(tmp_path, config):
    box = mailbox.Maildir(tmp_path / "Mail")
    for i, greeting in enumerate(("Hi Penny,", "Hi Bob,")):
        box.add(
            mail(
                "Ana Ruiz <ana@north.example>",
                f"{ME}, bob@example.com",
                NOW - timedelta(days=5),
                f"Plan {i}",
                f"{greeting}\n\nCould you review the plan?\n\nAna\n",
                message_id=f"<plan{i}@north.example>",
            )
        )
    invoke(config, "sync")
    out = json.loads(invoke(config, "digest", "--json", "--now", NOW.isoformat()).output)
    asks = {n["evidence"]["message_id"] for n in out if n["kind"] == "reply"}
    assert "plan0@north.example" in asks and "plan1@north.example" not in asks


def test_a_failing_source_is_one_line_in_a_real_process(tmp_path, config):
    config.write_text(config.read_text().replace(str(tmp_path / "Mail"), str(tmp_path / "Gone")))
    proc = run_process(config, "sync")
    assert proc.returncode == 1
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert proc.stderr.startswith("Error: local: ")


def test_a_no_op_sync_does_no_threading_work(config, monkeypatch):
    assert invoke(config, "sync").exit_code == 0

    def boom(self):  # type: ignore[no-untyped-def]
        raise AssertionError("threads recomputed on a no-op sync")

    monkeypatch.setattr("followup.store.store.Store.assign_threads", boom)
    again = invoke(config, "sync")
    assert again.exit_code == 0, again.output
    assert again.output == "local: 0 new messages\n"


def test_people_and_person(config):
    invoke(config, "sync")
    rows = json.loads(invoke(config, "people", "--json", "--now", NOW.isoformat()).output)
    # Only two-way relationships by default: Raj wrote and was answered; Dana only wrote.
    assert [r["email"] for r in rows] == ["raj@beta.example"]
    assert rows[0]["name"] == "Raj Patel" and (rows[0]["received"], rows[0]["sent"]) == (1, 1)
    every = json.loads(invoke(config, "people", "--all", "--json", "--now", NOW.isoformat()).output)
    assert "dana@acme.example" in {r["email"] for r in every}
    assert not any(r["email"].startswith("news@") for r in every)  # bulk senders are no one

    one = invoke(config, "person", "raj@beta.example", "--now", NOW.isoformat())
    assert one.exit_code == 0
    assert one.output.splitlines()[:2] == [
        "Raj Patel <raj@beta.example>",
        "  strength 38, 1 message in, 1 out, 0 meetings",
    ]
    missing = invoke(config, "person", "nobody@x.example")
    assert missing.exit_code == 2 and "No history with nobody@x.example" in missing.stderr


def test_a_bare_address_takes_the_name_it_signs_with(tmp_path, config):
    inbox = mailbox.Maildir(tmp_path / "Mail", create=False)
    inbox.add(
        mail(
            "kgrant@gamma.example",
            ME,
            NOW - timedelta(days=5),
            "Lease",
            "Penny,\n\nCan you sign the lease renewal this week?\n\nThanks,\nKim Grant\n",
        )
    )
    # The signature names someone the address does not spell: the address stays bare.
    inbox.add(
        mail(
            "ops7@delta.example",
            ME,
            NOW - timedelta(days=5),
            "Badge",
            "Penny,\n\nCould you return the visitor badge today?\n\nRegards,\nLee Novak\n",
        )
    )
    assert invoke(config, "sync").exit_code == 0
    out = json.loads(invoke(config, "digest", "--json", "--now", NOW.isoformat()).output)
    people = {n["person"]["email"]: n["person"]["name"] for n in out if n["kind"] == "reply"}
    assert people["kgrant@gamma.example"] == "Kim Grant"
    assert people["ops7@delta.example"] == "ops7@delta.example"
    text = invoke(config, "digest", "--now", NOW.isoformat()).output
    assert "Reply to Kim Grant" in text
