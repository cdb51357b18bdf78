"""Through the CLI: what the digest shows of an mbox archive (folders, copies, ranking)."""

from __future__ import annotations

import json
import mailbox
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from followup.cli import cli

NOW = datetime(2026, 3, 17, 13, 30, tzinfo=UTC)  # Tue 07:30 Chicago
ME = "penny@example.com"


def mail(sender: str, to: str, when: datetime, subject: str, body: str, mid: str) -> EmailMessage:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = sender, to, subject
    m["Date"] = format_datetime(when)
    m["Message-ID"] = f"<{mid}>"
    m.set_content(body)
    return m


def write_archive(root: Path, asks: int = 3) -> None:
    """inbox, Deleted Items and sent_items as mbox files, the way an Outlook export is."""
    root.mkdir()
    inbox = mailbox.mbox(root / "inbox.mbox")
    deleted = mailbox.mbox(root / "deleted_items.mbox")
    sent = mailbox.mbox(root / "sent_items.mbox")
    when = NOW - timedelta(days=4)
    for i in range(asks):
        inbox.add(
            mail(
                f"Person {i} <p{i}@acme.example>",
                ME,
                when + timedelta(minutes=i),
                f"Report {i}",
                f"Hi Penny,\n\nCould you send me the report {i} numbers by Thursday?\n\nP{i}\n",
                f"ask-{i}@acme.example",
            )
        )
    # The same mail kept in Deleted Items too, under another Message-ID (a copy).
    deleted.add(
        mail(
            "Person 0 <p0@acme.example>",
            ME,
            when,
            "Report 0",
            "Hi Penny,\n\nCould you send me the report 0 numbers by Thursday?\n\nP0\n",
            "copy-of-ask-0@acme.example",
        )
    )
    # Mail that is only in Deleted Items: dealt with.
    deleted.add(
        mail(
            "Gone <gone@acme.example>",
            ME,
            when,
            "Old question",
            "Hi Penny,\n\nCould you send me the old figures?\n\nG\n",
            "gone@acme.example",
        )
    )
    sent.add(mail(ME, "friend@else.example", when, "Thanks", "Thanks, I got it!\n\nPenny\n", "t@x"))
    for box in (inbox, deleted, sent):
        box.flush()


def write_config(tmp_path: Path, extra: str = "") -> Path:
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
name = "archive"
kind = "mbox"
path = "{tmp_path / "Mail"}"

[nlp]
pipeline = "rules"
{extra}
"""
    )
    return path


def invoke(config: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    write_archive(tmp_path / "Mail")
    return write_config(tmp_path)


def test_digest_on_an_empty_store_says_to_sync_first(config: Path) -> None:
    r = invoke(config, "digest", "--now", NOW.isoformat())
    assert r.exit_code == 0
    assert "Nothing synced yet: run 'followup sync' (or 'followup run') first." in r.output


def test_deleted_mail_makes_no_nudge_and_a_copy_counts_once(config: Path) -> None:
    assert invoke(config, "sync").exit_code == 0
    out = json.loads(invoke(config, "digest", "--json", "--now", NOW.isoformat()).output)
    people = sorted(n["person"]["email"] for n in out if n["kind"] == "reply")
    # p0 once (its copy in Deleted Items is the same mail), "gone" not at all.
    assert people == ["p0@acme.example", "p1@acme.example", "p2@acme.example"]
    # A thank-you to an outside address expects no answer: nobody to chase.
    assert [n for n in out if n["kind"] == "follow_up"] == []


def test_digest_shows_the_top_items_and_how_many_more(tmp_path: Path) -> None:
    write_archive(tmp_path / "Mail")
    config = write_config(tmp_path, "[digest]\nmax_items = 2\n")
    invoke(config, "sync")
    shown = invoke(config, "digest", "--now", NOW.isoformat()).output
    assert shown.count("Reply to Person") == 2
    assert "+1 more: followup digest --all" in shown
    every = invoke(config, "digest", "--all", "--now", NOW.isoformat()).output
    assert every.count("Reply to Person") == 3 and "more" not in every
    plain = invoke(config, "digest", "--format", "plain", "--now", NOW.isoformat()).output
    assert plain.count("Reply to Person") == 2 and "And 1 more" in plain


@pytest.mark.parametrize(
    ("digest", "problem"),
    [
        ("caps = { reminders = 2 }", "digest.caps.reminders: not a kind of nudge"),
        ("caps = { reconnect = -1 }", "digest.caps.reconnect must be a whole number from 0"),
        ("caps = 3", "digest.caps must be a table"),
        ("min_score = 500", "digest.min_score must be a number from 0 to 100"),
    ],
)
def test_digest_limits_are_validated(tmp_path: Path, digest: str, problem: str) -> None:
    write_archive(tmp_path / "Mail")
    config = write_config(tmp_path, f"[digest]\n{digest}\n")
    r = CliRunner().invoke(cli, ["--config", str(config), "digest"])
    assert r.exit_code == 2
    assert problem in r.output


def test_dismissing_a_kind_twice_for_a_person_stops_it_until_allowed(tmp_path: Path) -> None:
    root = tmp_path / "Mail"
    root.mkdir()
    inbox = mailbox.mbox(root / "inbox.mbox")
    for i in range(3):
        inbox.add(
            mail(
                "Omar Diaz <omar@acme.example>",
                ME,
                NOW - timedelta(days=4, hours=i),
                f"Topic {i}",
                f"Hi Penny,\n\nCould you send me the topic {i} figures?\n\nOmar\n",
                f"omar-{i}@acme.example",
            )
        )
    inbox.flush()
    config = write_config(tmp_path)
    at = ("--now", NOW.isoformat())
    invoke(config, "sync")

    def omar() -> list[dict]:
        out = json.loads(invoke(config, "digest", "--json", *at).output)
        return [n for n in out if n["person"] and n["person"]["email"] == "omar@acme.example"]

    first = omar()
    assert len(first) == 3
    assert invoke(config, "dismiss", str(first[0]["number"])).exit_code == 0
    assert len(omar()) == 2  # one dismissal is about that one item only
    assert invoke(config, "dismiss", str(first[1]["number"])).exit_code == 0
    assert omar() == []  # twice: no more reply nudges about Omar

    shown = invoke(config, "person", "Omar Diaz", *at)  # by name
    assert shown.exit_code == 0
    assert "stopped: reply nudges (you dismissed 2)" in shown.output
    assert "followup person omar@acme.example --allow reply" in shown.output

    allowed = invoke(config, "person", "omar@acme.example", "--allow", "reply", *at)
    assert "Nudging again about omar@acme.example (2 dismissals withdrawn)." in allowed.output
    assert "stopped:" not in allowed.output
    assert len(omar()) == 3


def test_person_by_an_unknown_or_ambiguous_name_is_a_clear_error(config: Path) -> None:
    invoke(config, "sync")
    r = CliRunner().invoke(cli, ["--config", str(config), "person", "Nobody Here"])
    assert r.exit_code == 2 and "No one called 'Nobody Here'" in r.output
    r = CliRunner().invoke(cli, ["--config", str(config), "person", "Person"])
    assert r.exit_code == 2 and "matches several people" in r.output


def test_people_of_an_old_archive_say_where_its_mail_is(config: Path) -> None:
    empty = invoke(config, "people")
    assert "No one to list: nothing synced yet: run 'followup sync' first." in empty.output
    invoke(config, "sync")
    later = ("--now", "2029-01-05T09:00")  # more than two years after the mail
    hint = "the newest mail is from 2026-03-13 (try --now 2026-03-13)"
    listed = invoke(config, "people", *later)
    assert listed.exit_code == 0 and hint in listed.output
    for who in ("Person 0", "p0@acme.example"):
        r = CliRunner().invoke(cli, ["--config", str(config), "person", who, *later])
        assert r.exit_code == 2 and hint in r.output
    # At the archive's own time the people are there.
    then = invoke(config, "person", "Person 0", "--now", NOW.isoformat())
    assert "p0@acme.example" in then.output


def test_a_digest_with_no_way_to_go_out_is_said_once_by_run_and_doctor(tmp_path: Path) -> None:
    write_archive(tmp_path / "Mail")
    warning = "Warning: [digest] to is set but the digest has no way to go out"
    config = write_config(tmp_path, f'[digest]\nto = "{ME}"\n')
    run = invoke(config, "run", "--now", NOW.isoformat())
    assert run.exit_code == 0
    assert run.stderr.count(warning) == 1 and "[digest.smtp]" in run.stderr
    assert "imap_account" in run.stderr
    doctor = invoke(config, "doctor")
    assert doctor.output.count(warning) == 1
    # Not said where nothing was asked for: no [digest] to.
    quiet = write_config(tmp_path)
    assert warning not in invoke(quiet, "run", "--now", NOW.isoformat()).stderr
    assert warning not in invoke(quiet, "doctor").output


def test_an_ask_answered_by_a_blank_subject_reply_is_not_a_reply_nudge(tmp_path: Path) -> None:
    root = tmp_path / "Mail"
    root.mkdir()
    inbox, sent = mailbox.mbox(root / "inbox.mbox"), mailbox.mbox(root / "sent_items.mbox")
    asked = NOW - timedelta(days=5)
    for i, who in enumerate(("dana", "raj")):
        inbox.add(
            mail(
                f"{who.title()} Lee <{who}@acme.example>",
                ME,
                asked + timedelta(minutes=i),
                "",
                "Penny -\n\nCan you get me the list of curves for November?\n\nThanks\n",
                f"{who}-ask@acme.example",
            )
        )
    # Answered next morning under "RE:" with the Outlook separator (no header kept).
    sent.add(
        mail(
            ME,
            "dana@acme.example",
            asked + timedelta(hours=15),
            "RE:",
            "Here are the curves.\n\n-----Original Message-----\n",
            "answer@example.com",
        )
    )
    for box in (inbox, sent):
        box.flush()
    config = write_config(tmp_path)
    invoke(config, "sync")
    out = json.loads(invoke(config, "digest", "--json", "--now", NOW.isoformat()).output)
    assert [n["person"]["email"] for n in out if n["kind"] == "reply"] == ["raj@acme.example"]
